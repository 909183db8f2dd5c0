// Classifying a pasted hash ("Model hash: 925997e9", "AutoV2: 6CE0161689",
// "0x<64 hex>", a bare SHA-256...) into the kinds of identifier it could be.
//
// Lengths decide: 8 hex = AutoV1, CRC32 or CRC32 as Civitai shows it; 10 =
// AutoV2; 12 = SHA256_12 or AutoV3 as Civitai shows it (prefixes of the
// full hashes); 64 = SHA-256, AutoV3, BLAKE3, or pedigree's weights or
// component hash. A prefix (AutoV1:, SHA256:, CRC32:, BLAKE3:, ...) narrows
// the candidates. AutoV1 is weak: files collide and it is trivially spoofed,
// so any API resolving a string whose candidates include AutoV1 must return
// every matching artifact, never pick one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/error.hpp"

namespace pedigree::hash {

enum class HashKind {
  k_sha256,         // 64 hex, whole file
  k_autov2,         // 10 hex: prefix of sha256
  k_sha256_12,      // 12 hex: prefix of sha256
  k_autov1,         // 8 hex: SHA-256 of the 64 KiB at 1 MiB, truncated (weak)
  k_autov3,         // 64 hex: SHA-256 of a safetensors data section
  k_autov3_12,      // 12 hex: prefix of autov3 (Civitai's display)
  k_crc32,          // 8 hex, standard byte order
  k_crc32_civitai,  // 8 hex, bytes reversed (Civitai's display)
  k_blake3,         // 64 hex, whole file
  k_weights,        // 64 hex, pedigree weights hash
  k_component,      // 64 hex, pedigree component hash (unet, text_encoder, vae, unet_ema)
};

// Name of a kind as a JSON key would spell it: "sha256", "autov2", "sha256_12",
// "autov1", "autov3", "autov3_12", "crc32", "crc32_civitai", "blake3", "weights", "component".
std::string_view hash_kind_name(HashKind kind);

// True for kinds whose value is a prefix of a longer hash (autov2, sha256_12, autov3_12).
bool is_prefix_kind(HashKind kind);

// Whether `name` (lower case) is a kind prefix written before ':' or '=' in a
// pasted hash ("sha256", "autov1", ..., "weights"): what classify_hash reads
// as a prefix, less A1111's "model hash" label and ModelSpec's "0x".
bool is_hash_kind_prefix(std::string_view name);

struct PastedHash {
  std::string hex;              // lower-case hex digits, prefix and whitespace removed
  std::vector<HashKind> kinds;  // every kind it could be, strongest first
  std::string prefix;           // the kind prefix as typed, lower case ("autov2", "0x"); "" if bare
  bool weak() const;            // true when autov1 is among the candidates
};

// Classifies `text`: surrounding whitespace ignored; an optional prefix of any
// case followed by ':' or '=' and optional spaces (AutoV1, AutoV2, AutoV3,
// SHA256, SHA256_12, CRC32, BLAKE3, Weights, "Model hash"), or "0x" (ModelSpec's
// hash_sha256, meaning AutoV3). InvalidArgument for anything else (wrong length,
// non-hex, or a prefix that cannot have that length), naming the problem.
Result<PastedHash> classify_hash(std::string_view text);

}  // namespace pedigree::hash
