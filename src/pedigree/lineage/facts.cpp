#include "pedigree/lineage/facts.hpp"

#include <algorithm>
#include <charconv>

namespace pedigree::lineage {
namespace {

using nlohmann::json;

std::string string_field(const json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

// Weights are decimal strings ("0.3", "-0.25"); numbers are accepted too.
std::optional<double> decimal_field(const json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  if (it == obj.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (!it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

void add_name(std::vector<std::string>& names, const std::string& name) {
  if (name.empty() || name.starts_with("sha256:")) return;
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

std::string short_node_id(std::string_view node) {
  if (node.starts_with(k_weights_node_prefix))
    return "weights:" + std::string(node.substr(k_weights_node_prefix.size(), 10));
  return std::string(node.substr(0, 10));
}

std::string_view event_status_name(EventStatus status) {
  switch (status) {
    case EventStatus::k_trusted: return "trusted";
    case EventStatus::k_untrusted: return "untrusted";
    case EventStatus::k_revoked: return "revoked";
    case EventStatus::k_unconfirmed: return "unconfirmed";
  }
  return "?";
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::k_none: return "";
    case Role::k_base: return "base";
    case Role::k_nai_leak: return "nai-leak";
    case Role::k_nai_official: return "nai-official";
    case Role::k_nai_vae: return "nai-vae";
    case Role::k_independent: return "independent";
  }
  return "";
}

std::optional<Role> role_from_name(std::string_view name) {
  for (Role r :
       {Role::k_base, Role::k_nai_leak, Role::k_nai_official, Role::k_nai_vae, Role::k_independent})
    if (role_name(r) == name) return r;
  return std::nullopt;
}

ArtifactFacts& FactBase::touch(const std::string& sha256, const std::string& name,
                               const Provenance& from) {
  ArtifactFacts& a = m_artifacts[sha256];
  a.sha256 = sha256;
  add_name(a.names, name);
  a.named.push_back({name.starts_with("sha256:") ? std::string() : name, from});
  return a;
}

Result<void> FactBase::add_event(const EventInput& event) {
  const std::string what = "event " + event.event_id;
  if (!m_seen_events.insert(event.event_id).second) return {};  // same bytes seen twice
  if (!event.predicate.is_object()) return corruption(what + ": predicate is not an object");
  // A trusted signer's own "unconfirmed" marker keeps the fact out of verdicts.
  const bool unconfirmed = event.predicate.is_object() && event.predicate.contains("unconfirmed");
  Provenance from{event.event_id, event.signer,
                  event.revoked    ? EventStatus::k_revoked
                  : !event.trusted ? EventStatus::k_untrusted
                  : unconfirmed    ? EventStatus::k_unconfirmed
                                   : EventStatus::k_trusted};
  if (event.revoked) m_revoked_by[event.event_id] = "";
  const json& p = event.predicate;
  ArtifactFacts& artifact = touch(event.subject_sha256, event.subject_name, from);
  if (event.kind == "model") {
    ModelFact m;
    m.title = string_field(p, "title");
    m.file_name = string_field(p, "file_name");
    m.published = string_field(p, "published");
    m.license = string_field(p, "license");
    m.source = string_field(p, "source");
    m.civitai_model = string_field(p, "civitai_model");
    m.civitai_version = string_field(p, "civitai_version");
    m.hf_repo = string_field(p, "hf_repo");
    std::string role = string_field(p, "role");
    if (!role.empty()) {
      auto r = role_from_name(role);
      if (!r) return corruption(what + ": predicate.role '" + role + "' is unknown");
      m.role = *r;
      m.role_trusted = event.reference_trusted;
    }
    if (auto it = p.find("hashes"); it != p.end() && it->is_object())
      for (const auto& [kind, value] : it->items())
        if (value.is_string()) m.hashes[kind] = value.get<std::string>();
    m.from = from;
    add_name(artifact.names, m.title);
    add_name(artifact.names, m.file_name);
    for (const auto* n : {&m.title, &m.file_name})
      if (!n->empty()) artifact.named.push_back({*n, from});
    artifact.models.push_back(std::move(m));
  } else if (event.kind == "lineage") {
    auto parents = p.find("parents");
    if (parents == p.end() || !parents->is_array())
      return corruption(what + ": predicate.parents is not an array");
    for (std::size_t i = 0; i < parents->size(); ++i) {
      const json& q = (*parents)[i];
      std::string where = what + ": predicate.parents[" + std::to_string(i) + "]";
      if (!q.is_object() || !q.contains("digest") || !q["digest"].is_object())
        return corruption(where + ": missing digest");
      Edge e;
      e.child = event.subject_sha256;
      e.parent = string_field(q["digest"], "sha256");
      e.parent_weights = string_field(q["digest"], ledger::k_weights_digest_name);
      if (e.parent.empty() && e.parent_weights.empty())
        return corruption(where + ".digest: neither sha256 nor " +
                          std::string(ledger::k_weights_digest_name));
      e.parent_name = string_field(q, "name");
      e.relation = string_field(q, "relation");
      e.weight = decimal_field(q, "weight");
      if (auto b = q.find("block_weights"); b != q.end() && b->is_array())
        for (const auto& v : *b) {
          json holder = {{"v", v}};
          if (auto d = decimal_field(holder, "v")) e.block_weights.push_back(*d);
        }
      e.method = string_field(p, "method");
      e.basis = string_field(p, "basis");
      e.from = from;
      if (!e.parent.empty()) touch(e.parent, e.parent_name, from);  // else resolved in finalize()
      m_edges.emplace(e.child, std::move(e));
    }
  } else if (event.kind == "claim") {
    ClaimFact c;
    c.subject = event.subject_sha256;
    c.contains_nai = string_field(p, "contains_nai");
    c.basis = string_field(p, "basis");
    if (auto ev = p.find("evidence"); ev != p.end() && ev->is_array())
      for (const auto& item : *ev)
        if (item.is_object())
          c.evidence.push_back(string_field(item, "kind") + ": " + string_field(item, "value"));
    c.from = from;
    m_artifacts[event.subject_sha256].claims.push_back(std::move(c));
  } else if (event.kind == "fingerprint") {
    if (event.trusted) m_artifacts[event.subject_sha256].has_fingerprint = true;
  } else if (event.kind == "revocation") {
    std::string target = string_field(p, "event");
    if (target.empty()) return corruption(what + ": predicate.event is missing");
    m_revocations.push_back({from, target});
  } else {
    return corruption(what + ": unknown predicate kind '" + event.kind + "'");
  }
  return {};
}

void FactBase::set_status(std::string_view event_id, EventStatus status) {
  for (auto& [sha, a] : m_artifacts) {
    for (auto& m : a.models)
      if (m.from.event_id == event_id) m.from.status = status;
    for (auto& c : a.claims)
      if (c.from.event_id == event_id) c.from.status = status;
    for (auto& n : a.named)
      if (n.from.event_id == event_id) n.from.status = status;
  }
  for (auto& [child, e] : m_edges)
    if (e.from.event_id == event_id) e.from.status = status;
}

void FactBase::finalize() {
  // Signers of every event, to check that a revocation comes from the same key.
  std::map<std::string, std::string, std::less<>> signer_of;
  for (const auto& [sha, a] : m_artifacts) {
    for (const auto& m : a.models) signer_of[m.from.event_id] = m.from.signer;
    for (const auto& c : a.claims) signer_of[c.from.event_id] = c.from.signer;
  }
  for (const auto& [child, e] : m_edges) signer_of[e.from.event_id] = e.from.signer;
  for (const auto& [rev, target] : m_revocations) {
    auto it = signer_of.find(target);
    if (it == signer_of.end() || it->second != rev.signer) continue;
    m_revoked_by[target] = rev.event_id;
    set_status(target, EventStatus::k_revoked);
  }
  resolve_weight_parents();
}

void FactBase::resolve_weight_parents() {
  // Artifacts by the weights hash their trusted model events declare.
  std::map<std::string, std::vector<std::string>, std::less<>> by_weights;
  for (const auto& [sha, a] : m_artifacts)
    for (const auto& m : a.models)
      if (m.from.status == EventStatus::k_trusted)
        if (auto h = m.hashes.find("weights"); h != m.hashes.end()) {
          auto& list = by_weights[h->second];
          if (std::find(list.begin(), list.end(), sha) == list.end()) list.push_back(sha);
        }
  // Same weights hash, same tensors: any of them is the parent. Prefer the one
  // whose role or declared parents say most (a NAI reference first, so a
  // parent that is NAI by weights is never hidden behind a copy of it).
  auto rank = [&](const std::string& sha) {
    Role role = role_of(sha);
    bool parents = m_edges.contains(sha);
    return is_nai_role(role) ? 0 : role != Role::k_none ? 1 : parents ? 2 : 3;
  };
  struct Named {
    std::string node, name;
    Provenance from;
  };
  std::vector<Named> named;  // parents to touch
  for (auto& [child, e] : m_edges) {
    if (!e.parent.empty()) continue;
    // The child itself may carry the hash (a conversion keeps the weights):
    // it is never its own parent.
    std::vector<std::string> candidates;
    if (auto it = by_weights.find(e.parent_weights); it != by_weights.end())
      for (const auto& sha : it->second)
        if (sha != child) candidates.push_back(sha);
    if (candidates.empty()) {
      e.parent = std::string(k_weights_node_prefix) + e.parent_weights;
    } else {
      e.parent = *std::min_element(candidates.begin(), candidates.end(),
                                   [&](const std::string& a, const std::string& b) {
                                     return std::pair(rank(a), a) < std::pair(rank(b), b);
                                   });
      e.parent_by_weights = true;
    }
    named.push_back({e.parent, e.parent_name, e.from});
  }
  for (const auto& n : named) touch(n.node, n.name, n.from);
}

const ArtifactFacts* FactBase::artifact(std::string_view sha256) const {
  auto it = m_artifacts.find(sha256);
  return it == m_artifacts.end() ? nullptr : &it->second;
}

std::vector<const Edge*> FactBase::parents_of(std::string_view child) const {
  std::vector<const Edge*> out;
  auto [lo, hi] = m_edges.equal_range(child);
  for (auto it = lo; it != hi; ++it) out.push_back(&it->second);
  return out;
}

const ModelFact* FactBase::role_fact(std::string_view sha256) const {
  const ArtifactFacts* a = artifact(sha256);
  if (!a) return nullptr;
  const ModelFact* best = nullptr;
  for (const auto& m : a->models) {
    if (m.from.status != EventStatus::k_trusted || !m.role_trusted || m.role == Role::k_none)
      continue;
    // A NAI role outranks any other a trusted signer gave (monotonic: never hide NAI).
    if (!best || is_nai_role(m.role)) best = &m;
  }
  return best;
}

Role FactBase::role_of(std::string_view sha256) const {
  const ModelFact* m = role_fact(sha256);
  return m ? m->role : Role::k_none;
}

std::string FactBase::display_name(std::string_view sha256) const {
  const ArtifactFacts* a = artifact(sha256);
  if (a) {
    for (const auto& m : a->models)
      if (m.from.status == EventStatus::k_trusted && !m.title.empty()) return m.title;
    for (const auto& m : a->models)
      if (m.from.status == EventStatus::k_trusted && !m.file_name.empty()) return m.file_name;
    if (!a->names.empty()) return a->names.front();
  }
  return short_node_id(sha256);
}

bool FactBase::trusted_identity(std::string_view sha256) const {
  const ArtifactFacts* a = artifact(sha256);
  if (!a) return false;
  return std::any_of(a->named.begin(), a->named.end(),
                     [](const NameFact& n) { return n.from.status == EventStatus::k_trusted; });
}

std::string FactBase::published(std::string_view sha256) const {
  const ArtifactFacts* a = artifact(sha256);
  std::string best;
  if (!a) return best;
  for (const auto& m : a->models)
    if (m.from.status == EventStatus::k_trusted && !m.published.empty() &&
        (best.empty() || m.published < best))
      best = m.published;
  return best;
}

}  // namespace pedigree::lineage
