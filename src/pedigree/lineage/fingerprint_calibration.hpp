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
// Calibration run 2026-12-06 (docs/fingerprint.md, "Calibration"): families
// cal-11 and cal-12 of tools/gen-family2 (config "calibration", size small,
// scale 16; 24 NAI-free targets). Each threshold is the largest NAI-free share
// that passed the z test there, times 1.25, rounded up: with no nuisance
// reference 4.68% overall / 15.5% block, with three 3.38% / 19.4%; with one
// (measured for nuisance-1-2, same families, second run of the day) 3.32% /
// 14.98%.
inline constexpr NuisanceCalibration k_nuisance_calibrations[] = {
    {"nuisance-0", 0, 6, 0.059, 0.194},
    {"nuisance-1-2", 1, 6, 0.042, 0.188},
    {"nuisance-3+", 3, 6, 0.043, 0.243},
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
