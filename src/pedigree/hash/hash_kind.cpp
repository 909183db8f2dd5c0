#include "pedigree/hash/hash_kind.hpp"

#include <algorithm>
#include <array>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hash {
namespace {

using K = HashKind;

// Candidates for a bare string, by length.
std::vector<HashKind> by_length(std::size_t length) {
  switch (length) {
    case 8: return {K::k_autov1, K::k_crc32, K::k_crc32_civitai};
    case 10: return {K::k_autov2};
    case 12: return {K::k_sha256_12, K::k_autov3_12};
    case 64: return {K::k_sha256, K::k_autov3, K::k_blake3, K::k_weights, K::k_component};
    default: return {};
  }
}

struct Prefix {
  std::string_view text;            // lower-case
  std::array<HashKind, 3> allowed;  // kinds this prefix may name
  std::size_t count;
};

// "model hash" is how A1111 labels its hash in PNG parameters: AutoV1 before
// 2023-01, AutoV2 since, so both are allowed.
constexpr std::array<Prefix, 10> k_prefixes = {{
    {"autov1", {K::k_autov1}, 1},
    {"autov2", {K::k_autov2}, 1},
    {"autov3", {K::k_autov3, K::k_autov3_12}, 2},
    {"sha256_12", {K::k_sha256_12}, 1},
    {"sha256", {K::k_sha256, K::k_autov2, K::k_sha256_12}, 3},
    {"crc32", {K::k_crc32, K::k_crc32_civitai}, 2},
    {"blake3", {K::k_blake3}, 1},
    {"weights", {K::k_weights}, 1},
    {"model hash", {K::k_autov1, K::k_autov2}, 2},
    {"0x", {K::k_autov3}, 1},
}};

}  // namespace

bool is_hash_kind_prefix(std::string_view name) {
  for (const auto& p : k_prefixes)
    if (p.text == name) return name != "model hash" && name != "0x";
  return false;
}

namespace {

// Splits "<prefix>[:=] <hex>" (or "0x<hex>"); nullptr when no prefix is present.
const Prefix* split_prefix(std::string& lower, std::string_view& hex_part) {
  for (const auto& p : k_prefixes) {
    if (!lower.starts_with(p.text)) continue;
    std::string_view rest = std::string_view(lower).substr(p.text.size());
    if (p.text != "0x") {
      rest = trim(rest);
      if (rest.empty() || (rest.front() != ':' && rest.front() != '=')) continue;
      rest = trim(rest.substr(1));
    }
    hex_part = rest;
    return &p;
  }
  return nullptr;
}

}  // namespace

std::string_view hash_kind_name(HashKind kind) {
  switch (kind) {
    case K::k_sha256: return "sha256";
    case K::k_autov2: return "autov2";
    case K::k_sha256_12: return "sha256_12";
    case K::k_autov1: return "autov1";
    case K::k_autov3: return "autov3";
    case K::k_autov3_12: return "autov3_12";
    case K::k_crc32: return "crc32";
    case K::k_crc32_civitai: return "crc32_civitai";
    case K::k_blake3: return "blake3";
    case K::k_weights: return "weights";
    case K::k_component: return "component";
  }
  return "unknown";
}

bool is_prefix_kind(HashKind kind) {
  return kind == K::k_autov2 || kind == K::k_sha256_12 || kind == K::k_autov3_12;
}

bool PastedHash::weak() const {
  return std::find(kinds.begin(), kinds.end(), K::k_autov1) != kinds.end();
}

Result<PastedHash> classify_hash(std::string_view text) {
  std::string lower = to_lower_ascii(trim(text));
  std::string_view hex_part = lower;
  const Prefix* prefix = split_prefix(lower, hex_part);
  const std::string shown(trim(text).substr(0, 80));
  if (hex_part.empty() || !is_hex(hex_part)) {
    return invalid_argument("'" + shown + "' is not a hash: expected 8, 10, 12 or 64 hex digits");
  }
  PastedHash out;
  out.hex = std::string(hex_part);
  if (prefix) out.prefix = std::string(prefix->text);
  for (auto kind : by_length(hex_part.size())) {
    if (prefix == nullptr ||
        std::find(prefix->allowed.begin(), prefix->allowed.begin() + prefix->count, kind) !=
            prefix->allowed.begin() + prefix->count) {
      out.kinds.push_back(kind);
    }
  }
  if (out.kinds.empty()) {
    return invalid_argument("'" + shown + "': " + std::to_string(hex_part.size()) +
                            " hex digits cannot be " +
                            (prefix ? "a " + std::string(prefix->text) + " hash"
                                    : std::string("a known hash (8, 10, 12 or 64 digits)")));
  }
  return out;
}

}  // namespace pedigree::hash
