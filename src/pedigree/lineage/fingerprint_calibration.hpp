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
// Calibration run 2026-12-07 (docs/fingerprint.md, "Calibration";
// `tools/bench-fingerprint check --phase calibrate --ranks 8,10,12 --pool-work
// DIR`): families cal-11 and cal-12 of tools/gen-family2 (config
// "calibration", size small) at two widths, pooled: scale 16 (UNet 20-80
// channels) and scale 4 (80-320 channels, where every matrix fills the
// sketch's 32x32 as full-size SD1.x does); 48 NAI-free targets, 38 at NAI
// share >= 5%; vectors left out of the fit. The rank is the one that rules
// out NAI on the most NAI-free targets while flagging every NAI >= 5% target
// and ruling out none that holds NAI, at both widths (bench_check.choose_rank
// over the pooled families): with no nuisance reference 10 (19 of 48 ruled
// out; 8: 15; 12 misses a >= 5% merge at scale 16), with one 12 (29; 10: 27;
// 8: 24), with three 10 (34; 12 misses two at scale 16). Each threshold is
// the largest NAI-free share that passed the z test at that rank, times 1.25,
// floored at the detection limit (policy::k_detection_limit): every overall
// threshold is the 3% floor; block thresholds 16.9% / 34.4% / 15.1%. (Scale
// 16 alone, 2026-12-06, chose 10 / 8 / 10 with blocks 16.9% / 25.0% / 15.1%.)
inline constexpr NuisanceCalibration k_nuisance_calibrations[] = {
    {"nuisance-0", 0, 10, 0.03, 0.1692},
    {"nuisance-1-2", 1, 12, 0.03, 0.3439},
    {"nuisance-3+", 3, 10, 0.03, 0.1506},
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
