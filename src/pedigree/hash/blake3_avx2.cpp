// BLAKE3 compression of eight inputs at once (eight chunks, or eight parent
// nodes): lane i of every AVX2 register holds the state of input i. Compiled for AVX2 through
// function attributes and called only after a run-time CPU check (blake3.cpp).
#include <immintrin.h>

#include "pedigree/hash/blake3_impl.hpp"

#define PD_AVX2 __attribute__((target("avx2")))

namespace pedigree::hash::blake3_detail {
namespace {

// k_schedule[r][i]: which message word round r uses in position i
// (round 0 in order, each later round the previous one permuted).
constexpr std::array<std::array<std::uint8_t, 16>, 7> make_schedule() {
  std::array<std::array<std::uint8_t, 16>, 7> s{};
  for (std::uint8_t i = 0; i < 16; ++i) s[0][i] = i;
  for (int r = 1; r < 7; ++r) {
    for (int i = 0; i < 16; ++i) s[r][i] = s[r - 1][k_permutation[i]];
  }
  return s;
}
constexpr auto k_schedule = make_schedule();

PD_AVX2 inline __m256i rot16(__m256i x) {
  const __m256i k = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13, 12,
                                    15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
  return _mm256_shuffle_epi8(x, k);
}
PD_AVX2 inline __m256i rot8(__m256i x) {
  const __m256i k = _mm256_set_epi8(12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1, 12, 15,
                                    14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1);
  return _mm256_shuffle_epi8(x, k);
}
PD_AVX2 inline __m256i rot12(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}
PD_AVX2 inline __m256i rot7(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

PD_AVX2 inline void g(__m256i* v, int a, int b, int c, int d, __m256i x, __m256i y) {
  v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), x);
  v[d] = rot16(_mm256_xor_si256(v[d], v[a]));
  v[c] = _mm256_add_epi32(v[c], v[d]);
  v[b] = rot12(_mm256_xor_si256(v[b], v[c]));
  v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), y);
  v[d] = rot8(_mm256_xor_si256(v[d], v[a]));
  v[c] = _mm256_add_epi32(v[c], v[d]);
  v[b] = rot7(_mm256_xor_si256(v[b], v[c]));
}

// In-place transpose of an 8x8 matrix of 32-bit words (row i = register i).
PD_AVX2 inline void transpose8(__m256i* r) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// Message words of block `block` of the eight inputs (`stride` bytes apart),
// word-major.
PD_AVX2 inline void load_block(const std::uint8_t* input, std::size_t stride, std::size_t block,
                               __m256i* m) {
  for (int half = 0; half < 2; ++half) {
    for (int lane = 0; lane < 8; ++lane) {
      m[8 * half + lane] = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(input + lane * stride + block * 64 + half * 32));
    }
    transpose8(m + 8 * half);
  }
}

// Eight inputs of `blocks` 64-byte blocks each, `stride` bytes apart; lane i
// uses counter `counter + i * counter_step`. `first_flags`/`last_flags` are
// added on the first and last block, `flags` on every block.
PD_AVX2 inline void hash_8(const std::uint8_t* input, std::size_t stride, std::size_t blocks,
                           std::uint64_t counter, std::uint64_t counter_step, std::uint32_t flags,
                           std::uint32_t first_flags, std::uint32_t last_flags,
                           std::array<std::uint32_t, 8>* out) {
  __m256i h[8];
  for (int i = 0; i < 8; ++i) h[i] = _mm256_set1_epi32(static_cast<int>(k_iv[i]));
  std::uint32_t lo[8], hi[8];
  for (int i = 0; i < 8; ++i) {
    lo[i] = static_cast<std::uint32_t>(counter + i * counter_step);
    hi[i] = static_cast<std::uint32_t>((counter + i * counter_step) >> 32);
  }
  const __m256i counter_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo));
  const __m256i counter_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi));
  for (std::size_t block = 0; block < blocks; ++block) {
    __m256i m[16];
    load_block(input, stride, block, m);
    const std::uint32_t block_flags =
        flags | (block == 0 ? first_flags : 0) | (block + 1 == blocks ? last_flags : 0);
    __m256i v[16] = {h[0],
                     h[1],
                     h[2],
                     h[3],
                     h[4],
                     h[5],
                     h[6],
                     h[7],
                     _mm256_set1_epi32(static_cast<int>(k_iv[0])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[1])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[2])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[3])),
                     counter_lo,
                     counter_hi,
                     _mm256_set1_epi32(64),
                     _mm256_set1_epi32(static_cast<int>(block_flags))};
#pragma GCC unroll 7
    for (const auto& s : k_schedule) {
      g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; ++i) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
  }
  transpose8(h);
  for (int lane = 0; lane < 8; ++lane) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[lane].data()), h[lane]);
  }
}

}  // namespace

PD_AVX2 void hash_8_chunks_avx2(const std::uint8_t* input, std::uint64_t counter,
                                std::array<std::uint32_t, 8>* out) {
  hash_8(input, 1024, 16, counter, 1, 0, k_chunk_start, k_chunk_end, out);
}

PD_AVX2 void hash_8_parents_avx2(const std::uint8_t* blocks, std::array<std::uint32_t, 8>* out) {
  hash_8(blocks, 64, 1, 0, 0, k_parent, 0, 0, out);
}

}  // namespace pedigree::hash::blake3_detail
