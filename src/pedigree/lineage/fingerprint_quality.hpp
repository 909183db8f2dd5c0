// Judging a fingerprint estimate: how much of the UNet it covers, whether the
// target is aligned with an SD1.x base at all, how well the fit explains it,
// and from that the outcome (present, absent, inconclusive) with its reasons.
// Thresholds: lineage/fingerprint_policy.hpp.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::lineage {

// Coverage of `target` against the UNet of `base` (tensor by tensor, with the
// base's shape), plus what the builder recorded when `target` was scanned.
FingerprintCoverage unet_coverage(const fingerprint::Fingerprint& target,
                                  const fingerprint::Fingerprint& base);

// Alignment of `target` with one base: the largest per-block relative delta
// |target - base| / |base| over the UNet blocks both hold (sketch norms).
struct Alignment {
  double max_block_delta = 0;
  std::string block;
};
Alignment alignment_with(const fingerprint::Fingerprint& target,
                         const fingerprint::Fingerprint& base);

// Distance between the UNet updates of `a` and `b` from `base`, relative to the
// smaller of the two: |a - b| / min(|a - base|, |b - base|) over the UNet
// tensors all three hold with the same shape (sketch norms). Near 0 for the
// same weights stored at another precision; of the order of 1 for distinct
// fine-tunes. Infinite when either update is empty or nothing is shared.
double relative_update_distance(const fingerprint::Fingerprint& a,
                                const fingerprint::Fingerprint& b,
                                const fingerprint::Fingerprint& base);

// Parameter-weighted mean of per-block R^2 (block name -> R^2) over the target's UNet blocks.
double weighted_r2(const fingerprint::Fingerprint& target, const std::map<std::string, double>& r2);

// Sets r.outcome and r.reasons from the fields already filled in `r` (share,
// estimator_fired, coverage, alignment, fit, realigned) and the policy
// thresholds, and nai_detected (== present). Presence needs weights in a base's
// frame: within the alignment bound, or confidently re-aligned; the rule firing
// on other weights leaves the outcome inconclusive (reason "alignment").
void classify(FingerprintResult& r);

}  // namespace pedigree::lineage
