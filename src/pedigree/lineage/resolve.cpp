#include "pedigree/lineage/resolve.hpp"

#include <algorithm>
#include <array>

#include "pedigree/ledger/event.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::lineage {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::pair<std::string, std::string> split_hash_prefix(std::string_view text) {
  text = trim(text);
  std::string kind;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    kind = to_lower_ascii(trim(text.substr(0, colon)));
    text = trim(text.substr(colon + 1));
  }
  return {kind, to_lower_ascii(text)};
}

namespace {

constexpr std::array<std::string_view, 7> k_prefixes = {"autov1",    "autov2", "autov3", "sha256",
                                                        "sha256_12", "crc32",  "blake3"};

// Civitai's CRC32 spelling: the standard CRC's four bytes reversed.
std::string reverse_bytes_hex(const std::string& hex8) {
  if (hex8.size() != 8) return {};
  return hex8.substr(6, 2) + hex8.substr(4, 2) + hex8.substr(2, 2) + hex8.substr(0, 2);
}

std::string strip_extension(std::string name) {
  for (std::string_view ext : {".safetensors", ".ckpt", ".pt", ".pth", ".bin"})
    if (name.size() > ext.size() && name.ends_with(ext))
      return name.substr(0, name.size() - ext.size());
  return name;
}

void add_candidate(Resolution& out, const FactBase& facts, const std::string& sha,
                   std::string_view kind, bool trusted = true, const Provenance& named_by = {}) {
  for (auto& c : out.candidates)
    if (c.sha256 == sha) {
      if (trusted && !c.trusted) c = {sha, facts.display_name(sha), std::string(kind), true, {}};
      return;
    }
  out.candidates.push_back({sha, facts.display_name(sha), std::string(kind), trusted,
                            trusted ? Provenance{} : named_by});
}

// An event that speaks about `sha` although it does not count (for display).
Provenance untrusted_source(const FactBase& facts, const std::string& sha) {
  if (const ArtifactFacts* a = facts.artifact(sha))
    for (const auto& n : a->named)
      if (n.from.status != EventStatus::k_trusted) return n.from;
  return {};
}

// Trusted candidates first (stable: each group keeps its order).
void trusted_first(Resolution& out) {
  std::stable_partition(out.candidates.begin(), out.candidates.end(),
                        [](const Candidate& c) { return c.trusted; });
}

// Which hash kinds a bare hex string of this length may be.
bool kind_allowed(std::string_view prefix, std::string_view kind) {
  if (prefix.empty()) return true;
  if (prefix == "sha256") return kind == "sha256" || kind == "autov2" || kind == "sha256_12";
  if (prefix == "crc32") return kind == "crc32" || kind == "crc32_civitai";
  return prefix == kind;
}

void match_hash(Resolution& out, const FactBase& facts, const std::string& prefix,
                const std::string& hex) {
  const std::size_t n = hex.size();
  for (const auto& [sha, a] : facts.artifacts()) {
    // The subject digest itself (SHA-256 of the file) and its A1111 prefixes;
    // a placeholder subject is no file's SHA-256 and is never matched as one.
    // A prefix names a known artifact only through the trusted events about it.
    const bool real = !ledger::is_placeholder_sha256(sha);
    const bool vouched = facts.trusted_identity(sha);
    const Provenance source = vouched ? Provenance{} : untrusted_source(facts, sha);
    if (real && n == 64 && sha == hex && kind_allowed(prefix, "sha256"))
      add_candidate(out, facts, sha, "sha256");
    if (real && n == 10 && sha.starts_with(hex) && kind_allowed(prefix, "autov2"))
      add_candidate(out, facts, sha, "autov2", vouched, source);
    if (real && n == 12 && sha.starts_with(hex) && kind_allowed(prefix, "sha256_12"))
      add_candidate(out, facts, sha, "sha256_12", vouched, source);
    for (const auto& m : a.models) {
      if (m.from.status != EventStatus::k_trusted) continue;
      for (const auto& [kind, value] : m.hashes) {
        bool hit = false;
        std::string as = kind;
        if (n == 8 && (kind == "autov1" || kind == "crc32")) {
          hit = value == hex;
          if (!hit && kind == "crc32" && reverse_bytes_hex(value) == hex) {
            hit = true;
            as = "crc32_civitai";
          }
        } else if (n == 12 && kind == "autov3") {
          hit = value.starts_with(hex);
        } else if (n == 64 && kind != "autov1" && kind != "crc32") {
          hit = value == hex;
        } else if (n == 10 && kind == "autov2") {
          hit = value == hex;
        }
        if (hit && kind_allowed(prefix, as)) add_candidate(out, facts, sha, as);
      }
    }
  }
  out.weak = n == 8 && !out.candidates.empty();
  trusted_first(out);
}

}  // namespace

bool looks_like_hash(std::string_view text) {
  auto [prefix, hex] = split_hash_prefix(text);
  if (!prefix.empty() &&
      std::find(k_prefixes.begin(), k_prefixes.end(), prefix) == k_prefixes.end())
    return false;
  std::size_t n = hex.size();
  return (n == 8 || n == 10 || n == 12 || n == 64) && is_hex(hex);
}

Resolution resolve(const FactBase& facts, std::string_view text) {
  Resolution out;
  out.input = std::string(text);
  if (looks_like_hash(text)) {
    auto [prefix, hex] = split_hash_prefix(text);
    out.kind = "hash";
    out.normalized = hex;
    match_hash(out, facts, prefix, hex);
    return out;
  }
  out.kind = "name";
  out.normalized = std::string(trim(text));
  std::string want = strip_extension(to_lower_ascii(out.normalized));
  for (const auto& [sha, a] : facts.artifacts())
    for (const auto& n : a.named)
      if (!n.name.empty() && strip_extension(to_lower_ascii(n.name)) == want)
        add_candidate(out, facts, sha, "name", n.from.status == EventStatus::k_trusted, n.from);
  trusted_first(out);
  return out;
}

std::size_t Resolution::trusted_count() const {
  return static_cast<std::size_t>(std::count_if(candidates.begin(), candidates.end(),
                                                [](const Candidate& c) { return c.trusted; }));
}

}  // namespace pedigree::lineage
