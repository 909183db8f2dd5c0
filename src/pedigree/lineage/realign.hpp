// Seeing through function-preserving edits in `check` (issue 18, item 1).
//
// A merge whose hidden units were re-ordered or rescaled does not align with
// any base (fingerprint_quality.hpp: inconclusive, reason "alignment"). When
// the base it was measured against has unit signatures (FactSource::units_of:
// trusted units events, or the local reference store, which keeps them when
// the user checks the base file itself, as it keeps its fingerprint), the
// target's units are matched to the base's, the file is sketched again in the
// base's frame and the estimate is made again. Only a confident match (every
// unit matched clearly, one to one) replaces the estimate; otherwise the
// target stays inconclusive and the report says why.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/lineage/fingerprint_evidence.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::lineage {

// Both calls below read `file` a second time. `read_as` is its stat(2) from
// the first pass: when the file on disk is no longer that one (size, mtime,
// inode or device differ, or it cannot be told), nothing is read again and the
// note says so; a file replaced between the passes never mixes into one result.

// Stores the unit signatures of `file`, which is the base reference `base`,
// in `store` unless `source` knows some for it already. Returns a note for the report ("" when
// nothing was done).
std::string bootstrap_unit_signatures(const std::filesystem::path& file,
                                      const std::optional<FileStat>& read_as,
                                      const ReferenceModel& base, FactSource& source,
                                      const ReferenceStore& store);

// `evidence` for the model file `file`, re-aligned when it is inconclusive for
// alignment, or NAI was found in weights that do not align (the share is then
// measured again in the base's frame), and a base has unit signatures (source.units_of: the base it
// was measured against first, then the others); else `evidence` itself (with a note saying what was
// missing). `unaligned` is the file's own fingerprint; the re-aligned one is estimated against the
// same references.
FingerprintEvidence realign_evidence(const std::filesystem::path& file,
                                     const std::optional<FileStat>& read_as,
                                     const fingerprint::Fingerprint& unaligned,
                                     FingerprintEvidence evidence,
                                     const std::vector<ReferenceModel>& references,
                                     FactSource& source);

}  // namespace pedigree::lineage
