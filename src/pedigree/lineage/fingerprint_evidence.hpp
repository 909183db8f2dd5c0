// Fingerprint evidence for `check`: the target's NAI share estimated from its
// weights against the reference fingerprints the ledger (or the local
// reference store) holds.
//
// The NAI model is a fine-tune of SD1.4, so the earliest-published base
// reference with a fingerprint is the common base; later bases (SD1.5) enter
// the fit as further (free-signed) references, and one NAI reference (the leak's weights,
// else the official release's, which are the same UNet) is the reference
// whose share is reported. Every trusted `independent` reference with a
// fingerprint enters as a nuisance regressor (fingerprint::Reference::nuisance),
// and the projection rank and presence thresholds are those calibrated for that
// number of nuisance references (fingerprint_calibration.hpp); the result says
// which configuration was used.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::lineage {

// Interval reported around the estimate: this many standard errors each side.
inline constexpr double k_share_interval_z = policy::k_share_interval_z;

struct FingerprintEvidence {
  std::optional<FingerprintResult> result;  // nullopt when no estimate could be made
  std::string note;                         // which references were used, or why none
  std::vector<const ReferenceModel*> used;  // the references the estimate used (into the input)
  std::optional<VaeShareResult> vae;        // the VAE against the leaked NAI VAE (vae_evidence.hpp)
};

// Estimates the NAI share of `target` and judges it (fingerprint_quality.hpp):
// present, absent or inconclusive with reasons. Never fails: missing
// references or an estimator error (e.g. incompatible sketch parameters)
// yield a note instead.
FingerprintEvidence estimate_nai_share(const fingerprint::Fingerprint& target,
                                       const std::vector<ReferenceModel>& references);

}  // namespace pedigree::lineage
