// The all-pairs unit scores (fingerprint/units_match.hpp): the AVX2 kernel
// and the portable loop agree exactly, ties included, and a shuffled group's
// units find their base units.
#include "pedigree/fingerprint/units_match.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace pedigree::fingerprint::detail {
namespace {

constexpr std::int32_t k_none = std::numeric_limits<std::int32_t>::min();

UnitScores empty_scores(std::uint32_t units) {
  return {std::vector<std::uint32_t>(units, 0), std::vector<std::int32_t>(units, k_none),
          std::vector<std::int32_t>(units, k_none)};
}

std::vector<std::int8_t> random_signatures(std::uint32_t units, std::uint32_t dims,
                                           std::mt19937& rng) {
  std::uniform_int_distribution<int> value(-127, 127);
  std::vector<std::int8_t> s(std::size_t(units) * dims);
  for (auto& v : s) v = static_cast<std::int8_t>(value(rng));
  return s;
}

TEST(UnitScores, Avx2KernelAgreesWithThePortableLoop) {
  if (!have_avx2()) GTEST_SKIP() << "this CPU has no AVX2: only the portable loop runs here";
  std::mt19937 rng(7);
  for (std::uint32_t units : {1u, 2u, 3u, 7u, 8u, 9u, 13u, 64u, 130u}) {
    for (std::uint32_t dims : {2u, 16u, 32u, 48u}) {
      for (std::uint32_t fixed : {0u, 16u, dims}) {
        if (fixed > dims) continue;
        auto base = random_signatures(units, dims, rng);
        auto target = random_signatures(units, dims, rng);
        // Ties: base units 0 and 2 identical and as large as a signature can be, and target
        // unit 1 equal to them: its best product is theirs, twice.
        if (units > 2) {
          std::fill_n(base.begin(), dims, std::int8_t{127});
          std::fill_n(base.begin() + 2 * dims, dims, std::int8_t{127});
          std::fill_n(target.begin() + dims, dims, std::int8_t{127});
        }
        auto portable = empty_scores(units), avx2 = empty_scores(units);
        score_units_portable(base.data(), target.data(), units, dims, fixed, portable);
        score_units_avx2(base.data(), target.data(), units, dims, fixed, avx2);
        const auto where = std::to_string(units) + " units, " + std::to_string(dims) + " dims, " +
                           std::to_string(fixed) + " fixed";
        EXPECT_EQ(portable.best, avx2.best) << where;
        EXPECT_EQ(portable.best_dot, avx2.best_dot) << where;
        EXPECT_EQ(portable.second_dot, avx2.second_dot) << where;
        if (units > 2) {
          EXPECT_EQ(portable.best[1], 0u) << "a tie goes to the first base unit";
          EXPECT_EQ(portable.second_dot[1], portable.best_dot[1]) << "the tied unit is second";
        }
      }
    }
  }
}

TEST(UnitScores, ExtremeValuesDoNotOverflow) {
  const std::uint32_t units = 9, dims = 64;
  std::vector<std::int8_t> base(units * dims, -127), target(units * dims, -127);
  auto portable = empty_scores(units),
       chosen = score_units(base.data(), target.data(), units, dims, dims);
  score_units_portable(base.data(), target.data(), units, dims, dims, portable);
  EXPECT_EQ(chosen.best_dot, portable.best_dot);
  EXPECT_EQ(chosen.best_dot[0], 127 * 127 * 64);
}

TEST(UnitScores, ShuffledUnitsFindTheirBaseUnits) {
  std::mt19937 rng(11);
  const std::uint32_t units = 517, dims = 48;
  const auto base = random_signatures(units, dims, rng);
  std::vector<std::uint32_t> perm(units);
  std::iota(perm.begin(), perm.end(), 0u);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::int8_t> target(base.size());
  std::uniform_int_distribution<int> noise(-6, 6);
  for (std::uint32_t j = 0; j < units; ++j)
    for (std::uint32_t d = 0; d < dims; ++d)
      target[j * dims + d] =
          static_cast<std::int8_t>(std::clamp(base[perm[j] * dims + d] + noise(rng), -127, 127));
  const auto scores = score_units(base.data(), target.data(), units, dims, dims);
  EXPECT_EQ(scores.best, perm);
  for (std::uint32_t j = 0; j < units; ++j) EXPECT_GT(scores.best_dot[j], scores.second_dot[j]);
}

// A unit whose flippable dimensions (after the first `fixed`) were negated scores against
// its base unit as if they were not; with every dimension fixed it does not match at all.
TEST(UnitScores, NegatedFlippableDimensionsStillMatch) {
  std::mt19937 rng(13);
  const std::uint32_t units = 200, dims = 48, fixed = 16;
  const auto base = random_signatures(units, dims, rng);
  auto target = base;
  for (std::uint32_t j = 0; j < units; j += 2)
    for (std::uint32_t d = fixed; d < dims; ++d)
      target[j * dims + d] = static_cast<std::int8_t>(-target[j * dims + d]);
  const auto scores = score_units(base.data(), target.data(), units, dims, fixed);
  std::vector<std::uint32_t> identity(units);
  std::iota(identity.begin(), identity.end(), 0u);
  EXPECT_EQ(scores.best, identity);
  for (std::uint32_t j = 0; j < units; ++j)
    EXPECT_EQ(scores.best_dot[j],
              unit_score(base.data() + j * dims, base.data() + j * dims, dims, dims))
        << j;
  const auto signed_scores = score_units(base.data(), target.data(), units, dims, dims);
  std::uint32_t found = 0;
  for (std::uint32_t j = 0; j < units; j += 2) found += signed_scores.best[j] == j;
  EXPECT_EQ(found, 0u) << "with every dimension fixed a negated unit is not its base unit";
}

}  // namespace
}  // namespace pedigree::fingerprint::detail
