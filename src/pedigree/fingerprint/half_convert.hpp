// Internal to fingerprint/: float32 -> fp16 for whole blocks, the value hash's
// input for F32 tensors (a re-aligned tensor is sketched from float32). The
// F16C instruction rounds exactly as float_to_half does (to nearest even,
// overflow to infinity, subnormals kept, NaN quieted with its payload's top
// bits), so the fast path changes no fingerprint; tests hold the two equal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pedigree::fingerprint::detail {

// `count` little-endian float32 values at `in` -> `count` little-endian fp16
// values at `out` (2 bytes each). Uses F16C when the CPU has it.
void f32_bytes_to_half_bytes(const std::uint8_t* in, std::size_t count, std::uint8_t* out);

// The portable loop (float_to_half per value) and the F16C one (call only
// when have_f16c()), exposed for the tests.
void f32_bytes_to_half_bytes_portable(const std::uint8_t* in, std::size_t count, std::uint8_t* out);
void f32_bytes_to_half_bytes_f16c(const std::uint8_t* in, std::size_t count, std::uint8_t* out);
bool have_f16c();

}  // namespace pedigree::fingerprint::detail
