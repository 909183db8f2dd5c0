// The calibrated settings of `check`'s fingerprint estimate, one set per
// nuisance configuration: how many trusted `independent` references with a
// fingerprint the ledger holds changes how much of a fine-tune's shared update
// directions the fit can explain away, so each configuration has its own
// projection rank and presence thresholds.
//
// Chosen on the calibration families of `tools/bench-fingerprint check`
// (seeds and generator configuration disjoint from the held-out families the
// accuracy table in docs/benchmarks.md reports); how: docs/fingerprint.md,
// section "Calibration". Never tune these on the held-out families.
#pragma once

#include <cstddef>

namespace pedigree::lineage {

struct NuisanceCalibration {
  const char* name;          // reported in check's JSON ("thresholds")
  std::size_t min_nuisance;  // used from this many nuisance references on
  unsigned projection_rank;  // fingerprint::EstimateOptions::projection_rank
  double overall_threshold;  // ... ::overall_threshold
  double block_threshold;    // ... ::block_threshold
};

// Ascending by min_nuisance; the last entry whose min_nuisance <= n applies.
// Calibration v2, 2026-12-07 (docs/fingerprint.md, "Calibration";
// `tools/bench-fingerprint check --work W16 --pool-work W4 --calibration-seeds
// 13,14 --phase calibrate --ranks 8,10,12,14,16 --nuisance 0,1,3`): families
// cal-13 and cal-14 of tools/gen-family2 config "calibration" v2, whose
// independent anime fine-tunes share up to 90% of their update energy with
// NAI's directions (v1: 70%, which never showed the estimator's
// shared-direction bias), size small, at two widths pooled: scale 16 (UNet
// 20-80 channels) and scale 4 (80-320, every matrix fills the sketch's 32x32
// as at full size); 48 NAI-free targets, 40 at NAI share >= 5%. Each
// threshold is the largest NAI-free share that passed the z test at that
// rank, times 1.25, floored at the detection limit (policy::k_detection_limit),
// so no NAI-free calibration target is flagged. The rank is the one that
// flags the most NAI >= 5% targets and rules out none that holds NAI, then
// rules out the most NAI-free ones (bench_check.choose_rank): with no nuisance
// reference 10 (39 of 40 flagged; 8: 36, 12: 37, 14: 35, 16: 33), with one 12
// (36; 10: 35), with three 8 (39; 10: 36). No rank flags every >= 5% target
// without flagging a NAI-free one on these families: a missed merge reads
// `unknown`, never clean. (v1, 2026-12-07 morning: 10 / 12 / 10, overall 3%
// everywhere, blocks 16.9% / 34.4% / 15.1%; on the v2 families those settings
// flag 5, 1 and 2 of 48 NAI-free targets.)
inline constexpr NuisanceCalibration k_nuisance_calibrations[] = {
    {"nuisance-0", 0, 10, 0.0423, 0.3028},
    {"nuisance-1-2", 1, 12, 0.0319, 0.4965},
    {"nuisance-3+", 3, 8, 0.0699, 0.2007},
};

// At most this many nuisance references enter the fit (the estimator takes 16
// references in all; the NAI reference and later bases come first).
inline constexpr std::size_t k_max_nuisance_references = 12;

// The calibrated set for `nuisance` nuisance references.
constexpr const NuisanceCalibration& calibration_for(std::size_t nuisance) {
  const NuisanceCalibration* pick = &k_nuisance_calibrations[0];
  for (const auto& c : k_nuisance_calibrations)
    if (c.min_nuisance <= nuisance) pick = &c;
  return *pick;
}

}  // namespace pedigree::lineage
