// Unsigned hints from community sites (hints/hints.hpp) in a check report:
// shown as what they are, weighed below every signed fact. A hint never makes
// a verdict NAI or `no-nai-found`; a hint naming a NAI model as the base
// (its name says NovelAI, or the ledger's own verdict for that base is NAI)
// turns a would-be `no-nai-found` into `unknown` with that reason (fail
// closed, as an untrusted event pointing at NAI does). docs/json/check.md#hints.
#pragma once

#include <string>
#include <vector>

#include "pedigree/hints/hints.hpp"
#include "pedigree/lineage/source.hpp"

namespace pedigree::lineage {

struct CheckReport;

// One hint that matched the target, and what check made of it.
struct HintFinding {
  hints::Hint hint;        // a copy: reports outlive the store
  std::string matched_by;  // how it matched ("sha256", "autov1", "civitai-version", "hf-repo"...)
  std::string file;        // the hint's file that matched, "" for repository/version matches
  std::string sha256;      // that file's SHA-256 as the site gives it, "" when none
  bool names_nai = false;  // a base model it names is NAI
  std::string nai_via;     // why: "its name says NovelAI", "the ledger reads it nai-leak"
};

// Applies `matches` to `report` (its verdict already decided from signed
// facts): HintFinding entries, one `hint` evidence each (never counted), and
// the fail-closed rule above. `source` judges the bases the hints name.
Result<void> apply_hints(FactSource& source, const std::vector<hints::HintMatch>& matches,
                         CheckReport& report);

}  // namespace pedigree::lineage
