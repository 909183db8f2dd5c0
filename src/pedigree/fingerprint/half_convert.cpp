#include "pedigree/fingerprint/half_convert.hpp"

#include <cpuid.h>

#include <bit>

#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/util/bytes.hpp"

namespace pedigree::fingerprint::detail {

bool have_f16c() {
  // F16C is CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does not know the name);
  // "avx" also checks that the system saves the AVX registers.
  static const bool have = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 &&
           (ecx & bit_F16C) != 0;
  }();
  return have;
}

void f32_bytes_to_half_bytes_portable(const std::uint8_t* in, std::size_t count,
                                      std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint16_t h = float_to_half(std::bit_cast<float>(load_le32(in + 4 * i)));
    out[2 * i] = static_cast<std::uint8_t>(h & 0xff);
    out[2 * i + 1] = static_cast<std::uint8_t>(h >> 8);
  }
}

void f32_bytes_to_half_bytes(const std::uint8_t* in, std::size_t count, std::uint8_t* out) {
  if constexpr (std::endian::native == std::endian::little) {
    if (have_f16c()) return f32_bytes_to_half_bytes_f16c(in, count, out);
  }
  f32_bytes_to_half_bytes_portable(in, count, out);
}

}  // namespace pedigree::fingerprint::detail
