// The identities `pedigree hash` reports for one file, which of them to
// compute (--only), and their JSON form (docs/cli.md, section hash).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pedigree/util/error.hpp"

namespace pedigree::hash {

// Groups of identifiers that are computed together (bit flags).
enum HashSet : unsigned {
  k_set_sha256 = 1u << 0,   // sha256, autov2 (its first 10 hex)
  k_set_autov1 = 1u << 1,   // SHA-256 of the 64 KiB window at 1 MiB
  k_set_autov3 = 1u << 2,   // SHA-256 of a safetensors file's data section
  k_set_crc32 = 1u << 3,    // crc32 and crc32_civitai
  k_set_blake3 = 1u << 4,   // BLAKE3 of the whole file
  k_set_weights = 1u << 5,  // weights and the per-component hashes
  k_set_all = (1u << 6) - 1,
};

// Parses a comma-separated --only list of JSON key names: sha256, autov1,
// autov2, autov3, sha256_12, crc32, crc32_civitai, blake3, weights,
// components (any case; a key selects the group that computes it).
// InvalidArgument naming an unknown or empty entry.
Result<unsigned> parse_hash_sets(std::string_view list);

struct ModelHashes {
  std::string file;        // the path as given
  std::uint64_t size = 0;  // bytes (a diffusers folder: sum of its files)
  std::optional<std::string>
      format;  // "safetensors", "torch-zip", ...; nullopt if not a checkpoint
  std::optional<std::string> sha256, autov1, autov2, autov3, crc32, crc32_civitai, blake3;
  std::optional<std::string> weights;
  std::map<std::string, std::string> components;  // "unet", "text_encoder", "vae", "unet_ema"
  // Why `weights` is absent although it was requested (empty file, not a checkpoint, ...).
  std::optional<Error> weights_error;
  unsigned computed = 0;  // HashSet bits that were computed (absent values are then final)
};

// {"file", "size", "format", "sha256", "autov1", "autov2", "autov3", "crc32",
//  "crc32_civitai", "blake3", "weights", "components"}: exactly these keys,
// lower-case hex, null for what does not apply or was not computed.
nlohmann::json to_json(const ModelHashes& hashes);

// Cache form: to_json plus "computed" and "weights_error"; from_cache_json
// returns nullopt for anything malformed (a damaged cache is ignored).
nlohmann::json to_cache_json(const ModelHashes& hashes);
std::optional<ModelHashes> from_cache_json(const nlohmann::json& json);

}  // namespace pedigree::hash
