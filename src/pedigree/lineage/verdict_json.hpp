// The documented JSON form of a check report (docs/json/check.md).
#pragma once

#include <nlohmann/json.hpp>

#include "pedigree/lineage/check.hpp"

namespace pedigree::lineage {

// {"schema":"pedigree-check/1","target":{...},"verdict","confidence","summary",
//  "licence_note","nai_share":{"declared":{estimate,low,high}|null,"fingerprint":...|null,
//  "disagree"},"paths":[...],"evidence":[...],"candidates":[...],"unknowns":[...],
//  "notes":[...],"image":{...}|null}
nlohmann::json to_json(const CheckReport& report);

}  // namespace pedigree::lineage
