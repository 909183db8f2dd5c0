#include "pedigree/lineage/facts.hpp"

#include <algorithm>

#include "pedigree/ledger/predicates.hpp"

namespace pedigree::lineage {
namespace {

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
  const bool unconfirmed = ledger::predicate_unconfirmed(event.predicate);
  Provenance from{event.event_id, event.signer,
                  event.revoked    ? EventStatus::k_revoked
                  : !event.trusted ? EventStatus::k_untrusted
                  : unconfirmed    ? EventStatus::k_unconfirmed
                                   : EventStatus::k_trusted};
  if (event.revoked) m_revoked_by[event.event_id] = "";
  ArtifactFacts& artifact = touch(event.subject_sha256, event.subject_name, from);
  const auto kind = ledger::predicate_from_name(event.kind);
  if (!kind || *kind == ledger::PredicateKind::k_key)
    return corruption(what + ": unknown predicate kind '" + event.kind + "'");
  switch (*kind) {
    case ledger::PredicateKind::k_model: {
      PD_ASSIGN_OR_RETURN(auto p, ledger::decode_model(event.predicate, what));
      ModelFact m;
      m.title = std::move(p.title);
      m.file_name = std::move(p.file_name);
      m.published = std::move(p.published);
      m.license = std::move(p.license);
      m.source = std::move(p.source);
      m.civitai_model = std::move(p.civitai_model);
      m.civitai_version = std::move(p.civitai_version);
      m.hf_repo = std::move(p.hf_repo);
      if (!p.role.empty()) {
        auto r = role_from_name(p.role);
        if (!r) return corruption(what + ": predicate.role '" + p.role + "' is unknown");
        m.role = *r;
        m.role_trusted = event.reference_trusted;
      }
      m.hashes = std::move(p.hashes);
      m.from = from;
      add_name(artifact.names, m.title);
      add_name(artifact.names, m.file_name);
      for (const auto* n : {&m.title, &m.file_name})
        if (!n->empty()) artifact.named.push_back({*n, from});
      artifact.models.push_back(std::move(m));
      break;
    }
    case ledger::PredicateKind::k_lineage: {
      PD_ASSIGN_OR_RETURN(auto p, ledger::decode_lineage(event.predicate, what));
      for (auto& q : p.parents) {
        Edge e;
        e.child = event.subject_sha256;
        e.parent = std::move(q.sha256);
        e.parent_weights = std::move(q.weights);
        e.parent_name = std::move(q.name);
        e.relation = std::move(q.relation);
        e.weight = q.weight;
        e.block_weights = std::move(q.block_weights);
        e.method = p.method;
        e.basis = p.basis;
        e.from = from;
        if (!e.parent.empty()) touch(e.parent, e.parent_name, from);  // else resolved in finalize()
        m_edges.emplace(e.child, std::move(e));
      }
      break;
    }
    case ledger::PredicateKind::k_claim: {
      PD_ASSIGN_OR_RETURN(auto p, ledger::decode_claim(event.predicate, what));
      ClaimFact c;
      c.subject = event.subject_sha256;
      c.contains_nai = std::move(p.contains_nai);
      c.basis = std::move(p.basis);
      for (const auto& [kind_name, value] : p.evidence)
        c.evidence.push_back(kind_name + ": " + value);
      c.from = from;
      m_artifacts[event.subject_sha256].claims.push_back(std::move(c));
      break;
    }
    case ledger::PredicateKind::k_fingerprint:
      // Only whether a trusted fingerprint exists; its data is read where it is used.
      if (event.trusted) m_artifacts[event.subject_sha256].has_fingerprint = true;
      break;
    case ledger::PredicateKind::k_revocation: {
      PD_ASSIGN_OR_RETURN(auto p, ledger::decode_revocation(event.predicate, what));
      m_revocations.push_back({from, std::move(p.event)});
      break;
    }
    case ledger::PredicateKind::k_key: break;  // refused above
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
