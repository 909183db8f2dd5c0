// float32 -> fp16 eight at a time with F16C (vcvtps2ph, round to nearest
// even); compiled for F16C through function attributes and called only after
// a run-time CPU check on a little-endian host (half_convert.cpp).
#include <immintrin.h>

#include "pedigree/fingerprint/half_convert.hpp"
#include "pedigree/fingerprint/sketcher.hpp"

#define PD_F16C __attribute__((target("avx,f16c")))

namespace pedigree::fingerprint::detail {

PD_F16C void f32_bytes_to_half_bytes_f16c(const std::uint8_t* in, std::size_t count,
                                          std::uint8_t* out) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 v = _mm256_loadu_ps(reinterpret_cast<const float*>(in + 4 * i));
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), h);
  }
  if (i < count) f32_bytes_to_half_bytes_portable(in + 4 * i, count - i, out + 2 * i);
}

}  // namespace pedigree::fingerprint::detail
