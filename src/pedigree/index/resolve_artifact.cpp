#include "pedigree/index/resolve_artifact.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "pedigree/hash/identifier.hpp"
#include "pedigree/index/integrity.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::index {
namespace {

std::string without_extension(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// One artifact `text` may denote, and whether a trusted event vouches for
// the match (else the event that made it, to name in the refusal).
struct Hit {
  std::string name;
  bool trusted = false;
  std::string event, signer;
};

void add_hit(std::map<std::string, Hit>& hits, const std::string& sha, Hit hit) {
  auto [it, fresh] = hits.emplace(sha, hit);
  if (!fresh && hit.trusted && !it->second.trusted) it->second = std::move(hit);
}

// Names given to artifacts by valid model events, matched against `text`.
Result<std::map<std::string, Hit>> by_name(Index& index, std::string_view text,
                                           std::string_view own_keyid) {
  std::string wanted = to_lower_ascii(text);
  PD_ASSIGN_OR_RETURN(
      Statement st,
      index.database().prepare(
          std::string("SELECT e.signer = ?1 OR EXISTS (SELECT 1 FROM trust t "
                      "WHERE t.keyid = e.signer AND t.predicate = 'model'), ") +
          k_event_columns + " FROM events e WHERE e.status = 'valid' AND e.predicate = 'model'"));
  st.bind(1, own_keyid);
  std::map<std::string, Hit> hits;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    // A name resolves to what the user signs: only from checked rows.
    PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 1));
    auto doc = nlohmann::json::parse(e.payload, nullptr, false);
    if (doc.is_discarded()) continue;
    std::vector<std::string> names;
    if (doc.contains("subject") && doc["subject"].is_array() && !doc["subject"].empty()) {
      names.push_back(doc["subject"][0].value("name", ""));
    }
    const auto& p = doc.value("predicate", nlohmann::json::object());
    names.push_back(p.value("file_name", ""));
    names.push_back(p.value("title", ""));
    for (const auto& n : names) {
      if (n.empty()) continue;
      std::string l = to_lower_ascii(n);
      if (l == wanted || without_extension(l) == wanted)
        add_hit(hits, e.subject, {n, st.column_int(0) != 0, e.id, e.signer});
    }
  }
  return hits;
}

// A prefix match of an artifact no trusted event speaks about: vouched for
// when the user's own key made a valid event about it, else one of the
// events that made it, for the message.
Result<Hit> unvouched_prefix_hit(Index& index, const std::string& sha, std::string_view own_keyid) {
  PD_ASSIGN_OR_RETURN(auto rows, index.events_of(sha));
  Hit hit{"", false, "", ""};
  for (const auto& r : rows) {
    if (r.status != "valid") continue;
    if (r.signer == own_keyid) return Hit{"", true, r.id, r.signer};
    if (hit.event.empty()) hit = Hit{"", false, r.id, r.signer};
  }
  return hit;
}

std::string listing(const std::map<std::string, Hit>& hits) {
  std::string list;
  for (const auto& [sha, hit] : hits)
    list +=
        (list.empty() ? "" : ", ") + sha.substr(0, 12) + (hit.name.empty() ? "" : " " + hit.name);
  return list;
}

}  // namespace

Result<ArtifactRef> resolve_artifact(Index& index, std::string_view text,
                                     std::string_view own_keyid) {
  PD_ASSIGN_OR_RETURN(const hash::Identifier id, hash::classify_identifier(text));
  // A hash in any form; also, as git accepts, a SHA-256 prefix of another length.
  const bool hash_form = id.kind == hash::IdentifierKind::k_hash;
  const bool sha_prefix = id.kind == hash::IdentifierKind::k_name && id.normalized.size() >= 8 &&
                          id.normalized.size() < 64 && is_hex(id.normalized);
  std::map<std::string, Hit> hits;
  if (hash_form || sha_prefix) {
    PD_ASSIGN_OR_RETURN(auto matches, index.lookup_hash(hash_form ? id.hash.hex : id.normalized));
    for (const auto& m : matches) {
      // A kind prefix ("AutoV1:", "SHA256:") narrows what the digits may be.
      if (hash_form && !hash::pasted_may_be(id.hash, m.kind) &&
          !(m.kind == "sha256-prefix" && id.hash.prefix.empty()) &&
          !(m.kind == "crc32-civitai" && hash::allows(id.hash, hash::HashKind::k_crc32_civitai)))
        continue;
      Hit hit{"", m.trusted || (!m.event.empty() && m.signer == own_keyid), m.event, m.signer};
      if (!hit.trusted && m.event.empty()) {
        PD_ASSIGN_OR_RETURN(hit, unvouched_prefix_hit(index, m.sha256, own_keyid));
      }
      add_hit(hits, m.sha256, std::move(hit));
    }
  }
  if (hits.empty() && id.kind == hash::IdentifierKind::k_name) {
    PD_ASSIGN_OR_RETURN(hits, by_name(index, id.normalized, own_keyid));
  }
  if (hits.empty()) {
    return not_found("'" + std::string(text) +
                     "' is neither a file nor a hash or model name the ledger knows");
  }
  // Only trusted events resolve a name or a short hash: an attacker's key can
  // name any file anything, and the user would sign what it points to.
  std::map<std::string, Hit> trusted;
  for (const auto& [sha, hit] : hits)
    if (hit.trusted) trusted.emplace(sha, hit);
  if (trusted.empty()) {
    const auto& [sha, hit] = *hits.begin();
    return untrusted("'" + std::string(text) +
                     "' resolves only through events of keys you do "
                     "not trust (" +
                     sha.substr(0, 12) +
                     (hit.event.empty() ? "" : " named by event " + hit.event.substr(0, 12)) +
                     (hit.signer.empty() ? "" : " of key " + hit.signer.substr(0, 16)) +
                     (hits.size() > 1 ? " and " + std::to_string(hits.size() - 1) + " more" : "") +
                     "): give the file or its full SHA-256, or trust the key first");
  }
  if (trusted.size() > 1) {
    return invalid_argument("'" + std::string(text) + "' matches " +
                            std::to_string(trusted.size()) + " artifacts (" + listing(trusted) +
                            "): give a full SHA-256");
  }
  return ArtifactRef{trusted.begin()->first, trusted.begin()->second.name};
}

}  // namespace pedigree::index
