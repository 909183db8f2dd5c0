// The facts the verdict engine reasons over: artifacts, lineage edges, claims
// and reference fingerprints, each tagged with the event that stated it and
// whether the trust policy lets that event count.
//
// FactBase is filled one event at a time from already verified ledger events
// (signature and layout checked by ledger/), in any order; revocations are
// applied when the base is finalized. Nothing here reads files or keys, so the
// engine is testable in memory and independent of how the ledger is stored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/ledger/event.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::lineage {

// Whether an event may count for a verdict. Untrusted, revoked and unconfirmed
// events (a trusted signer marked the fact "unconfirmed") are reported but
// never used.
enum class EventStatus { k_trusted, k_untrusted, k_revoked, k_unconfirmed };
// "trusted", "untrusted", "revoked", "unconfirmed"
std::string_view event_status_name(EventStatus status);

// The role a reference model plays (model predicate "role").
// `independent`: a fine-tune trusted to hold no NAI weights (trained from SD1.x independently of
// NAI, e.g. Waifu Diffusion 1.3); `check` uses its fingerprint as a nuisance reference.
enum class Role { k_none, k_base, k_nai_leak, k_nai_official, k_nai_vae, k_independent };
std::string_view role_name(
    Role role);  // "", "base", "nai-leak", "nai-official", "nai-vae", "independent"
std::optional<Role> role_from_name(std::string_view name);
inline bool is_nai_role(Role role) {
  return role == Role::k_nai_leak || role == Role::k_nai_official;
}

// Where a statement came from, for every piece of evidence.
struct Provenance {
  std::string event_id;  // 64 hex, or "" for facts read from the target file itself
  std::string signer;    // keyid
  EventStatus status = EventStatus::k_trusted;
};

// One model fact (a `model` event).
struct ModelFact {
  std::string title;
  std::string file_name;
  std::string published;  // ISO date "YYYY-MM-DD" (or a prefix "YYYY-MM"), "" when unknown
  std::string license;
  std::string source;
  Role role = Role::k_none;
  // The signer may give reference roles (the trust policy's reference scope):
  // without it `role` is shown as an ignored statement and never counts,
  // whatever the event's own status.
  bool role_trusted = false;
  std::map<std::string, std::string> hashes;  // hash kind -> lower-case hex
  // Community identities (docs/formats/ledger.md): Civitai model and
  // model-version ids, a Hugging Face "owner/name@revision"; "" when absent.
  std::string civitai_model, civitai_version, hf_repo;
  Provenance from;
};

// Node id of a parent named only by its weights hash that no known artifact
// carries: this prefix and the hash, never 64 hex, so never a SHA-256.
inline constexpr std::string_view k_weights_node_prefix = "pedigree-weights-v1:";
static_assert(k_weights_node_prefix.starts_with(ledger::k_weights_digest_name));

// A node id for display: the first 10 hex of a SHA-256, or "weights:" and
// the first 10 hex of a weights-hash node.
std::string short_node_id(std::string_view node);

// One parent named by a `lineage` event.
struct Edge {
  std::string child;  // SHA-256 of the child
  // SHA-256 of the parent. A parent named only by weights hash is resolved by
  // FactBase::finalize to an artifact a trusted model event gives that hash
  // (else k_weights_node_prefix + hash, an unknown root).
  std::string parent;
  std::string parent_weights;      // pedigree-weights-v1 hash when the event gave one
  bool parent_by_weights = false;  // `parent` was found through parent_weights
  std::string parent_name;
  std::string relation;  // merge, finetune, add-difference, lora-bake, conversion, same-weights
  std::optional<double> weight;  // coefficient in the affine combination; signed for add-difference
  std::vector<double> block_weights;  // 26 MBW numbers when declared
  std::string method;
  std::string basis;  // author-statement, file-metadata, fingerprint-analysis, other
  Provenance from;
};

// A `claim` event: whether the subject contains NAI weights.
struct ClaimFact {
  std::string subject;
  std::string contains_nai;  // "yes", "no", "unknown"
  std::string basis;
  std::vector<std::string> evidence;  // "kind: value"
  Provenance from;
};

// One event that speaks about an artifact (its subject, or a lineage event
// naming it as a parent) and the name it gives it ("" for none). Resolution
// trusts a name or a bare hash prefix only through trusted ones.
struct NameFact {
  std::string name;
  Provenance from;
};

// Everything known about one artifact (by SHA-256).
struct ArtifactFacts {
  std::string sha256;
  std::vector<std::string> names;  // subject names and file names seen
  std::vector<NameFact> named;     // every event about or naming it, with its name
  std::vector<ModelFact> models;
  std::vector<ClaimFact> claims;
  bool has_fingerprint = false;  // a trusted fingerprint event exists
};

// A verified event as the ledger hands it over.
struct EventInput {
  std::string event_id;
  std::string signer;
  bool trusted = false;  // the trust policy accepts this signer for this predicate
  std::string kind;      // "model", "lineage", "fingerprint", "claim", "revocation"
  std::string subject_sha256;
  std::string subject_name;
  nlohmann::json predicate;
  bool revoked = false;  // the ledger already found it revoked by its own signer
  // The signer also holds the reference scope: a model event's `role` counts
  // (when the event itself does). Never implied by `trusted`.
  bool reference_trusted = false;
};

class FactBase {
public:
  // Adds one verified event. Corruption (naming the event) when the predicate
  // lacks a field the engine needs; the caller reports it and goes on.
  Result<void> add_event(const EventInput& event);
  // Applies revocations (a revocation counts only when signed by the revoked
  // event's own signer), then resolves parents named only by weights hash.
  // Call once after the last add_event.
  void finalize();

  // nullptr when nothing is known about `sha256`.
  const ArtifactFacts* artifact(std::string_view sha256) const;
  const std::map<std::string, ArtifactFacts, std::less<>>& artifacts() const { return m_artifacts; }
  // Every parent edge stated for `child`, any status, in event order.
  std::vector<const Edge*> parents_of(std::string_view child) const;
  // Events revoked and the id of the revocation, for reports.
  const std::map<std::string, std::string, std::less<>>& revoked() const { return m_revoked_by; }

  // The effective role of an artifact: from its trusted model events whose
  // signer holds the reference scope (Role::k_none when none does).
  Role role_of(std::string_view sha256) const;
  // The model event that gives role_of(sha256) (who defined the reference),
  // nullptr when the role is k_none.
  const ModelFact* role_fact(std::string_view sha256) const;
  // Best display name: a trusted title, else any name, else the hash prefix.
  std::string display_name(std::string_view sha256) const;
  // Earliest trusted publication date, "" when unknown.
  std::string published(std::string_view sha256) const;
  // Whether a trusted event is about `sha256` or names it as a parent: the
  // artifact's identity does not rest on untrusted statements alone.
  bool trusted_identity(std::string_view sha256) const;

  // Why the facts may miss part of the ancestry (a load limit was reached),
  // "" when everything reachable was loaded. A verdict over incomplete facts
  // never says `no-nai-found`.
  const std::string& incomplete() const { return m_incomplete; }
  void set_incomplete(std::string reason) { m_incomplete = std::move(reason); }

  // Keys retired by their own `key` event (rotated or compromised) whose
  // statements among these facts were revoked for it: keyid -> why.
  const std::map<std::string, std::string, std::less<>>& retired_keys() const {
    return m_retired_keys;
  }
  void note_retired_key(const std::string& keyid, std::string why) {
    m_retired_keys.emplace(keyid, std::move(why));
  }

private:
  void resolve_weight_parents();
  ArtifactFacts& touch(const std::string& sha256, const std::string& name, const Provenance& from);
  void set_status(std::string_view event_id, EventStatus status);

  std::map<std::string, ArtifactFacts, std::less<>> m_artifacts;
  std::multimap<std::string, Edge, std::less<>> m_edges;  // by child
  // revocation event -> (signer, revoked event id)
  std::vector<std::pair<Provenance, std::string>> m_revocations;
  std::map<std::string, std::string, std::less<>> m_revoked_by;
  std::set<std::string, std::less<>> m_seen_events;
  std::string m_incomplete;
  std::map<std::string, std::string, std::less<>> m_retired_keys;
};

}  // namespace pedigree::lineage
