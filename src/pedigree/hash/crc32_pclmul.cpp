// CRC-32 by carry-less multiplication (PCLMULQDQ): the message is folded 64
// bytes at a time into four 128-bit accumulators, using
//   X * x^T  ==  H * (x^(T+63) mod P) * x  +  L * (x^(T-1) mod P) * x   (mod P)
// for a 128-bit block X = H*x^64 + L in the bit-reflected order of CRC-32,
// where a carry-less product of two reflected 64-bit values comes out
// multiplied by x. The fold constants are computed from the polynomial
// 0x104C11DB7 at start-up, not copied. The final 16 bytes, which are
// congruent to the whole message modulo P, go through zlib's table CRC.
#include <immintrin.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "pedigree/hash/crc32.hpp"

#define PD_PCLMUL __attribute__((target("pclmul,sse4.1")))

namespace pedigree::hash::crc32_detail {
namespace {

// x^n mod P (P = x^32 + 0x04C11DB7), as a normal-order 32-bit value (bit d = x^d).
std::uint64_t x_pow_mod(unsigned n) {
  std::uint64_t r = 1;
  for (unsigned i = 0; i < n; ++i) {
    r <<= 1;
    if (r & (1ull << 32)) r ^= 0x104C11DB7ull;
  }
  return r;
}

// A polynomial of degree < 64 in reflected 64-bit form (x^d at bit 63 - d).
std::uint64_t reflect64(std::uint64_t normal) {
  std::uint64_t out = 0;
  for (int d = 0; d < 64; ++d) {
    if (normal & (1ull << d)) out |= 1ull << (63 - d);
  }
  return out;
}

struct FoldConstants {
  std::uint64_t by4_high, by4_low;  // T = 512
  std::uint64_t by1_high, by1_low;  // T = 128
};

FoldConstants make_constants() {
  return {reflect64(x_pow_mod(512 + 63)), reflect64(x_pow_mod(512 - 1)),
          reflect64(x_pow_mod(128 + 63)), reflect64(x_pow_mod(128 - 1))};
}

const FoldConstants k_fold = make_constants();

PD_PCLMUL inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

PD_PCLMUL inline __m128i load(const std::uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

}  // namespace

bool have_pclmul() {
  static const bool have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return have;
}

// Continues `crc` (zlib convention) over `size` >= 64 bytes.
PD_PCLMUL std::uint32_t crc32_pclmul(std::uint32_t crc, const std::uint8_t* data,
                                     std::size_t size) {
  const __m128i k4 = _mm_set_epi64x(static_cast<long long>(k_fold.by4_low),
                                    static_cast<long long>(k_fold.by4_high));
  const __m128i k1 = _mm_set_epi64x(static_cast<long long>(k_fold.by1_low),
                                    static_cast<long long>(k_fold.by1_high));
  // Starting from register c equals starting from 0 with c xored into the first 4 bytes.
  __m128i x0 = _mm_xor_si128(load(data), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(data + 16), x2 = load(data + 32), x3 = load(data + 48);
  std::size_t pos = 64;
  for (; pos + 64 <= size; pos += 64) {
    x0 = _mm_xor_si128(fold(x0, k4), load(data + pos));
    x1 = _mm_xor_si128(fold(x1, k4), load(data + pos + 16));
    x2 = _mm_xor_si128(fold(x2, k4), load(data + pos + 32));
    x3 = _mm_xor_si128(fold(x3, k4), load(data + pos + 48));
  }
  x1 = _mm_xor_si128(fold(x0, k1), x1);
  x2 = _mm_xor_si128(fold(x1, k1), x2);
  x3 = _mm_xor_si128(fold(x2, k1), x3);
  for (; pos + 16 <= size; pos += 16) x3 = _mm_xor_si128(fold(x3, k1), load(data + pos));
  std::uint8_t folded[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(folded), x3);
  auto out = static_cast<std::uint32_t>(crc32_z(0xFFFFFFFFul, folded, 16));  // raw CRC from 0
  return static_cast<std::uint32_t>(crc32_z(out, data + pos, size - pos));
}

}  // namespace pedigree::hash::crc32_detail
