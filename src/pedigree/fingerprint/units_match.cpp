#include "pedigree/fingerprint/units_match.hpp"

#include <algorithm>
#include <limits>

namespace pedigree::fingerprint::detail {

bool have_avx2() {
  static const bool have = __builtin_cpu_supports("avx2");
  return have;
}

void score_units_portable(const std::int8_t* base, const std::int8_t* target, std::uint32_t units,
                          std::uint32_t dims, std::uint32_t fixed_dims, UnitScores& out) {
  for (std::uint32_t j = 0; j < units; ++j) {
    const std::int8_t* t = target + std::size_t(j) * dims;
    for (std::uint32_t i = 0; i < units; ++i)
      offer_unit_score(out, j, i, unit_score(t, base + std::size_t(i) * dims, dims, fixed_dims));
  }
}

UnitScores score_units(const std::int8_t* base, const std::int8_t* target, std::uint32_t units,
                       std::uint32_t dims, std::uint32_t fixed_dims) {
  constexpr std::int32_t k_none = std::numeric_limits<std::int32_t>::min();
  UnitScores out{std::vector<std::uint32_t>(units, 0), std::vector<std::int32_t>(units, k_none),
                 std::vector<std::int32_t>(units, k_none)};
  fixed_dims = std::min(fixed_dims, dims);
  if (have_avx2() && dims % 2 == 0 && fixed_dims % 2 == 0)
    score_units_avx2(base, target, units, dims, fixed_dims, out);
  else
    score_units_portable(base, target, units, dims, fixed_dims, out);
  return out;
}

}  // namespace pedigree::fingerprint::detail
