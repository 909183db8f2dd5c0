// The compact `.fp` form of a fingerprint (docs/formats/fingerprint-v1.md):
// magic, spec version, sketch parameters, one record per tensor with its cells
// quantized to int16 against a per-tensor scale, and a SHA-256 trailer.
#pragma once

#include <filesystem>
#include <string>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

// The 8 magic bytes that open every .fp file: 0x89 'P' 'D' 'F' 'P' '\r' '\n' 0x1a.
inline constexpr unsigned char k_fp_magic[8] = {0x89, 'P', 'D', 'F', 'P', '\r', '\n', 0x1a};

// Serializes `fp` (tensors must be sorted by name, as builders produce them).
std::string serialize(const Fingerprint& fp);

// Parses a .fp file's bytes. Corruption naming the offset and field for any
// damage (bad magic, checksum mismatch, truncation, out-of-range fields,
// unsorted names); NotSupported for another spec version.
Result<Fingerprint> parse(ByteView bytes);

// `fp` with every tensor's cells passed through the int16 quantization that
// serialize applies (or `bits`-bit quantization, 2..16, for size experiments).
Fingerprint quantized(const Fingerprint& fp, int bits = 16);

// True when `bytes` start with k_fp_magic.
bool looks_like_fp(ByteView bytes);

// Reads and parses a .fp file (at most 64 MiB), errors prefixed with the path.
Result<Fingerprint> read_fp_file(const std::filesystem::path& path);

}  // namespace pedigree::fingerprint
