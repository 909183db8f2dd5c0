// The EMA copy of a file's UNet as evidence (issue 18). Training checkpoints
// ship `model_ema.diffusion_model.*` beside the UNet; loaders use the UNet by
// default but can be told to load the EMA copy, and either way the file
// distributes both. So the EMA copy is sketched as a UNet in the same pass
// (fingerprint::plan_ema_as_unet) and judged like the UNet:
//  - NAI present in the EMA copy makes the file's weight evidence "present"
//    whatever the UNet shows (the result then describes the EMA copy);
//  - the UNet rules NAI out only when the EMA copy rules it out too; else the
//    outcome is inconclusive with the reason `ema`;
//  - otherwise the UNet's result stands.
// Both copies' outcomes are listed in FingerprintResult::copies.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/lineage/fingerprint_evidence.hpp"

namespace pedigree::lineage {

// Combines the UNet's evidence with its EMA copy's: `ema_sketch` the copy
// sketched as a UNet, or nullopt with `ema_error` saying why it could not be
// (both empty: the file has no EMA copy, and `unet` is returned as it is).
FingerprintEvidence with_ema_copy(FingerprintEvidence unet,
                                  const std::optional<fingerprint::Fingerprint>& ema_sketch,
                                  const std::string& ema_error,
                                  const std::vector<ReferenceModel>& references);

}  // namespace pedigree::lineage
