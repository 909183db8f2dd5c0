// The page of one model as JSON (GET /api/model/SHA256, docs/serve.md):
// what the ledger's index holds about it, who said it and whether it counts.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pedigree/index/index.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::serve {

// Most children listed on a model page (a base model may have thousands).
inline constexpr std::size_t k_max_children_listed = 200;

// {"schema":"pedigree-model/1","sha256","name","role","published","models":[...],
//  "identities":[...],"claims":[...],"events":[...],"parents":[...],"children":[...],
//  "children_truncated","graph":{...},"check":{check report}}.
// NotFound when no event is about `sha256` (64 lower-case hex).
Result<nlohmann::json> model_view(index::Index& index, const std::filesystem::path& references,
                                  const std::string& sha256, const lineage::CheckOptions& options);

}  // namespace pedigree::serve
