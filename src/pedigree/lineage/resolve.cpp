#include "pedigree/lineage/resolve.hpp"

#include <algorithm>

#include "pedigree/ledger/event.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {
namespace {

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

void match_hash(Resolution& out, const FactBase& facts, const hash::PastedHash& pasted) {
  const std::string& hex = pasted.hex;
  const std::size_t n = hex.size();
  for (const auto& [sha, a] : facts.artifacts()) {
    // The subject digest itself (SHA-256 of the file) and its A1111 prefixes;
    // a placeholder subject is no file's SHA-256 and is never matched as one.
    // A prefix names a known artifact only through the trusted events about it.
    const bool real = !ledger::is_placeholder_sha256(sha);
    const bool vouched = facts.trusted_identity(sha);
    const Provenance source = vouched ? Provenance{} : untrusted_source(facts, sha);
    if (real && sha.starts_with(hex) && hash::pasted_may_be(pasted, "sha256")) {
      const std::string as = n == 64 ? "sha256" : n == 10 ? "autov2" : "sha256_12";
      add_candidate(out, facts, sha, as, n == 64 || vouched, source);
    }
    for (const auto& m : a.models) {
      if (m.from.status != EventStatus::k_trusted) continue;
      for (const auto& [kind, value] : m.hashes) {
        if (!hash::pasted_may_be(pasted, kind)) continue;
        std::string as = kind;
        bool hit = false;
        if (kind == "crc32") {
          hit = value == hex && hash::allows(pasted, hash::HashKind::k_crc32);
          if (!hit && reverse_bytes_hex(value) == hex &&
              hash::allows(pasted, hash::HashKind::k_crc32_civitai)) {
            hit = true;
            as = "crc32_civitai";
          }
        } else if (kind == "sha256" || (kind == "autov3" && n == 12)) {
          hit = value.starts_with(hex);
        } else {
          hit = value == hex;
        }
        if (hit) add_candidate(out, facts, sha, as);
      }
    }
  }
  out.weak = pasted.weak() && !out.candidates.empty();
  trusted_first(out);
}

// Whether a model event's community identities match a pasted AIR or
// Hugging Face repository. An AIR matches by its Civitai model-version id
// (and model id when both sides give one); a repository without a revision
// matches every revision of it.
bool site_identity_matches(const ModelFact& m, const hash::Identifier& id) {
  if (id.kind == hash::IdentifierKind::k_air)
    return id.air.source == "civitai" && !id.air.version.empty() &&
           m.civitai_version == id.air.version &&
           (m.civitai_model.empty() || id.air.id == "?" || m.civitai_model == id.air.id);
  if (m.hf_repo.empty()) return false;
  const std::string stored = to_lower_ascii(m.hf_repo);
  const std::string repo = to_lower_ascii(id.hf.repo);
  return id.hf.revision.empty() ? stored.starts_with(repo + "@") : stored == id.hf.key();
}

void match_site_identity(Resolution& out, const FactBase& facts, const hash::Identifier& id) {
  const std::string kind(hash::identifier_kind_name(id.kind));
  for (const auto& [sha, a] : facts.artifacts())
    for (const auto& m : a.models)
      if (site_identity_matches(m, id))
        add_candidate(out, facts, sha, kind, m.from.status == EventStatus::k_trusted, m.from);
  trusted_first(out);
}

}  // namespace

Resolution resolve(const FactBase& facts, const hash::Identifier& id) {
  Resolution out;
  out.input = id.input;
  out.kind = std::string(hash::identifier_kind_name(id.kind));
  out.normalized = id.normalized;
  if (id.kind == hash::IdentifierKind::k_hash) {
    match_hash(out, facts, id.hash);
    return out;
  }
  if (id.kind == hash::IdentifierKind::k_air || id.kind == hash::IdentifierKind::k_hf_repo) {
    match_site_identity(out, facts, id);
    return out;
  }
  std::string want = strip_extension(to_lower_ascii(out.normalized));
  for (const auto& [sha, a] : facts.artifacts())
    for (const auto& n : a.named)
      if (!n.name.empty() && strip_extension(to_lower_ascii(n.name)) == want)
        add_candidate(out, facts, sha, "name", n.from.status == EventStatus::k_trusted, n.from);
  trusted_first(out);
  return out;
}

Result<Resolution> resolve(const FactBase& facts, std::string_view text) {
  PD_ASSIGN_OR_RETURN(auto id, hash::classify_identifier(text));
  return resolve(facts, id);
}

std::size_t Resolution::trusted_count() const {
  return static_cast<std::size_t>(std::count_if(candidates.begin(), candidates.end(),
                                                [](const Candidate& c) { return c.trusted; }));
}

}  // namespace pedigree::lineage
