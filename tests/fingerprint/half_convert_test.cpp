// float32 -> fp16 in blocks (fingerprint/half_convert.hpp): the F16C path
// rounds every value exactly as float_to_half does, so it changes no value
// hash; near every fp16 value, on every rounding tie, at the overflow and
// subnormal edges, for NaNs and for random bit patterns.
#include "pedigree/fingerprint/half_convert.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "pedigree/fingerprint/sketcher.hpp"

namespace pedigree::fingerprint::detail {
namespace {

std::vector<float> hard_values() {
  std::vector<float> v;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    v.push_back(f);
    if (!std::isfinite(f)) continue;
    v.push_back(std::nextafter(f, std::numeric_limits<float>::infinity()));
    v.push_back(std::nextafter(f, -std::numeric_limits<float>::infinity()));
    const float next = half_to_float(static_cast<std::uint16_t>(h + 1));
    if (std::isfinite(next) && (h & 0x7fff) != 0x7bff) v.push_back(f + (next - f) / 2);  // a tie
  }
  for (float f : {65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e30f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f,
                  0x1p-26f, 1e-30f, std::numeric_limits<float>::denorm_min()}) {
    v.push_back(f);
    v.push_back(-f);
  }
  for (std::uint32_t bits : {0x7fc00000u, 0x7f800001u, 0x7fbfffffu, 0xffc12345u, 0x7f802000u})
    v.push_back(std::bit_cast<float>(bits));  // quiet and signalling NaNs, payloads
  std::mt19937 rng(3);
  for (int i = 0; i < 1'000'000; ++i)
    v.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(rng())));
  return v;
}

std::vector<std::uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<std::uint8_t> out(4 * v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto bits = std::bit_cast<std::uint32_t>(v[i]);
    for (int k = 0; k < 4; ++k) out[4 * i + k] = static_cast<std::uint8_t>(bits >> (8 * k));
  }
  return out;
}

TEST(HalfConvert, PortableLoopIsFloatToHalf) {
  const auto values = hard_values();
  const auto in = float_bytes(values);
  std::vector<std::uint8_t> out(2 * values.size());
  f32_bytes_to_half_bytes_portable(in.data(), values.size(), out.data());
  for (std::size_t i = 0; i < values.size(); i += 997) {
    const std::uint16_t want = float_to_half(values[i]);
    ASSERT_EQ(out[2 * i] | (out[2 * i + 1] << 8), want) << "value " << values[i];
  }
}

TEST(HalfConvert, F16cRoundsExactlyAsFloatToHalf) {
  if (!have_f16c()) GTEST_SKIP() << "this CPU has no F16C: only the portable loop runs here";
  const auto values = hard_values();
  const auto in = float_bytes(values);
  for (std::size_t count : {values.size(), std::size_t{7}, std::size_t{13}}) {  // and a tail
    std::vector<std::uint8_t> portable(2 * count), f16c(2 * count), chosen(2 * count);
    f32_bytes_to_half_bytes_portable(in.data(), count, portable.data());
    f32_bytes_to_half_bytes_f16c(in.data(), count, f16c.data());
    f32_bytes_to_half_bytes(in.data(), count, chosen.data());
    for (std::size_t i = 0; i < count; ++i)
      ASSERT_EQ(portable[2 * i] | (portable[2 * i + 1] << 8), f16c[2 * i] | (f16c[2 * i + 1] << 8))
          << "value " << values[i] << " (bits " << std::hex
          << std::bit_cast<std::uint32_t>(values[i]) << ")";
    EXPECT_EQ(portable, chosen);
  }
}

}  // namespace
}  // namespace pedigree::fingerprint::detail
