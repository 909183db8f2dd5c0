// What a verdict implies for use: may the model (or picture) be used
// commercially, and why (docs/json/check.md, "Licence").
//
//   - NAI weights from the leak: no licence was ever granted -> not-allowed;
//   - NovelAI's licensed release: CC BY-NC-SA 4.0 + CreativeML OpenRAIL-M,
//     non-commercial -> not-allowed (attribution and share-alike bind too);
//   - NAI of undetermined source: not-allowed either way;
//   - a licence in the known ancestry that is non-commercial -> not-allowed;
//   - no NAI found: allowed only when the target and every trusted ancestor
//     declare a licence that permits commercial use (CreativeML OpenRAIL-M
//     and its variants do, with use restrictions that pass to derivatives);
//     any ancestor without a recognised licence -> unknown;
//   - an `unknown` verdict -> unknown (NAI is not ruled out).
// Licences come from trusted model events (`license`) and, for a scanned
// file, its ModelSpec `modelspec.license` (the file's own declaration).
#pragma once

#include <string>
#include <vector>

#include "pedigree/lineage/facts.hpp"

namespace pedigree::lineage {

struct Verdict;

struct LicenceFinding {
  std::string commercial_use = "unknown";  // "allowed", "not-allowed", "unknown"
  std::vector<std::string> reasons;        // each one sentence, most decisive first
  // The licences seen: "NAME: licence (source)".
  std::vector<std::string> licences;
};

// The licence finding for a verdict about `target_sha256` ("" when
// unresolved). `declared_by_file` is the file's modelspec.license ("" if none).
LicenceFinding licence_finding(const FactBase& facts, const Verdict& verdict,
                               const std::string& target_sha256,
                               const std::string& declared_by_file);

// The finding for a picture from its resources' findings: not-allowed when
// any is, else unknown when any is, else allowed.
LicenceFinding combine_licences(const std::vector<const LicenceFinding*>& parts,
                                const std::vector<std::string>& labels);

}  // namespace pedigree::lineage
