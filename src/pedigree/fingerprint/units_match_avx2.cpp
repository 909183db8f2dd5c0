// The all-pairs unit scores with AVX2: the base's signatures re-packed as
// blocks of 8 units, each dimension pair of the 8 units in one register
// (int16 pairs), so one _mm256_madd_epi16 adds two dimensions of 8 dot
// products; 4 target units share each load of the base. Compiled for AVX2
// through function attributes and called only after a run-time CPU check
// (units_match.cpp).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "pedigree/fingerprint/units_match.hpp"

#define PD_AVX2 __attribute__((target("avx2")))

namespace pedigree::fingerprint::detail {
namespace {

constexpr std::uint32_t k_lanes = 8;        // base units per block (int32 lanes)
constexpr std::uint32_t k_target_rows = 4;  // target units per pass over the base

std::int32_t pack_pair(std::int8_t low, std::int8_t high) {
  const auto lo = static_cast<std::uint16_t>(static_cast<std::int16_t>(low));
  const auto hi = static_cast<std::uint16_t>(static_cast<std::int16_t>(high));
  return static_cast<std::int32_t>(lo | (std::uint32_t(hi) << 16));
}

// Offers a block's 8 products to target unit j, in ascending base order, when
// any of them beats its second best (rare once the first blocks are seen).
PD_AVX2 inline void offer_block(UnitScores& out, std::uint32_t j, std::uint32_t first,
                                std::uint32_t units, __m256i dots) {
  const __m256i beats = _mm256_cmpgt_epi32(dots, _mm256_set1_epi32(out.second_dot[j]));
  if (_mm256_movemask_ps(_mm256_castsi256_ps(beats)) == 0) return;
  alignas(32) std::int32_t lane[k_lanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lane), dots);
  const std::uint32_t n = std::min(k_lanes, units - first);
  for (std::uint32_t k = 0; k < n; ++k) offer_unit_score(out, j, first + k, lane[k]);
}

}  // namespace

PD_AVX2 void score_units_avx2(const std::int8_t* base, const std::int8_t* target,
                              std::uint32_t units, std::uint32_t dims, std::uint32_t fixed_dims,
                              UnitScores& out) {
  const std::uint32_t pairs = dims / 2, fixed_pairs = fixed_dims / 2;
  const std::uint32_t blocks = (units + k_lanes - 1) / k_lanes;
  // packed[(block * pairs + q) * 8 + lane]: base unit block*8+lane, dimensions 2q and 2q+1.
  std::vector<std::int32_t> packed(std::size_t(blocks) * pairs * k_lanes, 0);
  for (std::uint32_t u = 0; u < units; ++u) {
    const std::int8_t* b = base + std::size_t(u) * dims;
    for (std::uint32_t q = 0; q < pairs; ++q)
      packed[(std::size_t(u / k_lanes) * pairs + q) * k_lanes + u % k_lanes] =
          pack_pair(b[2 * q], b[2 * q + 1]);
  }
  std::vector<std::int32_t> words(std::size_t(k_target_rows) * pairs);
  for (std::uint32_t j0 = 0; j0 < units; j0 += k_target_rows) {
    const std::uint32_t rows = std::min(k_target_rows, units - j0);
    std::fill(words.begin(), words.end(), 0);
    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::int8_t* t = target + std::size_t(j0 + r) * dims;
      for (std::uint32_t q = 0; q < pairs; ++q)
        words[r * pairs + q] = pack_pair(t[2 * q], t[2 * q + 1]);
    }
    const std::int32_t* w0 = words.data();
    const std::int32_t* w1 = w0 + pairs;
    const std::int32_t* w2 = w1 + pairs;
    const std::int32_t* w3 = w2 + pairs;
    for (std::uint32_t block = 0; block < blocks; ++block) {
      const auto* p =
          reinterpret_cast<const __m256i*>(packed.data() + std::size_t(block) * pairs * k_lanes);
      // The sign-fixed dimensions into f*, the flippable ones into a*; score f + |a|.
      __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
      for (std::uint32_t q = 0; q < fixed_pairs; ++q) {
        const __m256i v = _mm256_loadu_si256(p + q);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_set1_epi32(w0[q]), v));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_set1_epi32(w1[q]), v));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_set1_epi32(w2[q]), v));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_set1_epi32(w3[q]), v));
      }
      const __m256i f0 = a0, f1 = a1, f2 = a2, f3 = a3;
      a0 = a1 = a2 = a3 = _mm256_setzero_si256();
      for (std::uint32_t q = fixed_pairs; q < pairs; ++q) {
        const __m256i v = _mm256_loadu_si256(p + q);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_set1_epi32(w0[q]), v));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_set1_epi32(w1[q]), v));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_set1_epi32(w2[q]), v));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_set1_epi32(w3[q]), v));
      }
      a0 = _mm256_add_epi32(f0, _mm256_abs_epi32(a0));
      a1 = _mm256_add_epi32(f1, _mm256_abs_epi32(a1));
      a2 = _mm256_add_epi32(f2, _mm256_abs_epi32(a2));
      a3 = _mm256_add_epi32(f3, _mm256_abs_epi32(a3));
      const std::uint32_t first = block * k_lanes;
      offer_block(out, j0, first, units, a0);
      if (rows > 1) offer_block(out, j0 + 1, first, units, a1);
      if (rows > 2) offer_block(out, j0 + 2, first, units, a2);
      if (rows > 3) offer_block(out, j0 + 3, first, units, a3);
    }
  }
}

}  // namespace pedigree::fingerprint::detail
