// Seeing through function-preserving edits in `check` (issue 18, item 1).
//
// A merge whose hidden units were re-ordered or rescaled does not align with
// any base (fingerprint_quality.hpp: inconclusive, reason "alignment"). When
// the local reference store holds the unit signatures of the base it was
// measured against (stored when the user checks the base file itself, as its
// fingerprint is), the target's units are matched to the base's, the file is
// sketched again in the base's frame and the estimate is made again. Only a
// confident match (every unit matched clearly, one to one) replaces the
// estimate; otherwise the target stays inconclusive and the report says why.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pedigree/lineage/fingerprint_evidence.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/lineage/source.hpp"

namespace pedigree::lineage {

// Stores the unit signatures of `file`, which is the base reference `base`,
// unless the store has them. Returns a note for the report ("" when nothing
// was done).
std::string bootstrap_unit_signatures(const std::filesystem::path& file, const ReferenceModel& base,
                                      const ReferenceStore& store);

// `evidence` for the model file `file`, re-aligned when it is inconclusive for
// alignment and the base's unit signatures are stored; else `evidence` itself
// (with a note saying what was missing). The fingerprint of the re-aligned
// file is estimated against the same references.
FingerprintEvidence realign_evidence(const std::filesystem::path& file,
                                     FingerprintEvidence evidence,
                                     const std::vector<ReferenceModel>& references,
                                     const ReferenceStore& store);

}  // namespace pedigree::lineage
