// Internal to fingerprint/units*.cpp: every target unit of a group scored
// against every base unit by the dot product of their int8 signatures, the
// all-pairs step of matching a shuffled group (up to 5,120^2 pairs in each of
// SD1.x's 16 GEGLU layers). Integer arithmetic, so the AVX2 kernel and the
// portable loop give the same results bit for bit.
//
// A signature's first `fixed_dims` dimensions keep their sign; the rest belong
// to slices a function-preserving edit may negate together (a GEGLU value row
// with its ff.net.2 column, an attention q row with its k row, a v row with its
// output column), so they count by the absolute value of their dot product:
// score = dot(fixed) + |dot(rest)|.
#pragma once

#include <cstdint>
#include <vector>

namespace pedigree::fingerprint::detail {

// For each target unit j: the base unit with the highest dot product (the
// first one on a tie), that product, and the second highest over the other
// base units (INT32_MIN when there is none).
struct UnitScores {
  std::vector<std::uint32_t> best;
  std::vector<std::int32_t> best_dot, second_dot;
};

// `base` and `target` hold `units` signatures of `dims` int8 each, unit after
// unit; `dims` is a positive multiple of 2, `fixed_dims` an even number <= dims
// (dims: no dimension may flip). Uses AVX2 when the CPU has it.
UnitScores score_units(const std::int8_t* base, const std::int8_t* target, std::uint32_t units,
                       std::uint32_t dims, std::uint32_t fixed_dims);

// One pair's two dot products: over the sign-fixed dimensions and over the rest
// (negative when the target unit is the base unit with its flippable slices negated).
struct UnitDots {
  std::int32_t fixed = 0, flip = 0;
  std::int32_t score() const { return fixed + (flip < 0 ? -flip : flip); }
};
inline UnitDots unit_dots(const std::int8_t* t, const std::int8_t* b, std::uint32_t dims,
                          std::uint32_t fixed_dims) {
  UnitDots out;
  for (std::uint32_t d = 0; d < fixed_dims; ++d) out.fixed += std::int32_t(t[d]) * b[d];
  for (std::uint32_t d = fixed_dims; d < dims; ++d) out.flip += std::int32_t(t[d]) * b[d];
  return out;
}
// One pair's score by the same rule (the portable loop's inner step).
inline std::int32_t unit_score(const std::int8_t* t, const std::int8_t* b, std::uint32_t dims,
                               std::uint32_t fixed_dims) {
  return unit_dots(t, b, dims, fixed_dims).score();
}

// The portable loop and the AVX2 kernel (call only when the CPU has AVX2),
// exposed so that tests can hold them to the same answers.
void score_units_portable(const std::int8_t* base, const std::int8_t* target, std::uint32_t units,
                          std::uint32_t dims, std::uint32_t fixed_dims, UnitScores& out);
void score_units_avx2(const std::int8_t* base, const std::int8_t* target, std::uint32_t units,
                      std::uint32_t dims, std::uint32_t fixed_dims, UnitScores& out);
bool have_avx2();

// One base unit's dot product offered to target unit j's running best and
// second best (the rule both implementations apply, in ascending base order).
inline void offer_unit_score(UnitScores& s, std::uint32_t j, std::uint32_t i, std::int32_t dot) {
  if (dot > s.best_dot[j]) {
    s.second_dot[j] = s.best_dot[j];
    s.best_dot[j] = dot;
    s.best[j] = i;
  } else if (dot > s.second_dot[j]) {
    s.second_dot[j] = dot;
  }
}

}  // namespace pedigree::fingerprint::detail
