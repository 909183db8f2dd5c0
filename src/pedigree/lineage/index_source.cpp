#include "pedigree/lineage/index_source.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/ledger/attest.hpp"
#include "pedigree/ledger/predicates.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {
namespace {

// The lower-case names a model name may be stored as (with and without extension).
std::vector<std::string> name_variants(std::string_view text) {
  std::string name = to_lower_ascii(trim(text, " \t\n\v\f\r"));
  std::vector<std::string> out{name};
  for (std::string_view ext : {".safetensors", ".ckpt", ".pt", ".pth", ".bin"}) {
    if (name.size() > ext.size() && name.ends_with(ext)) {
      out.push_back(name.substr(0, name.size() - ext.size()));
      name = out.back();
      break;
    }
  }
  for (std::string_view ext : {".safetensors", ".ckpt"}) out.push_back(name + std::string(ext));
  return out;
}

}  // namespace

Result<void> IndexSource::add_row(FactBase& facts, const index::EventRow& row,
                                  LoadedParents* parents) {
  if (row.payload.empty() || (row.status != "valid" && row.status != "revoked")) return {};
  auto statement = nlohmann::json::parse(row.payload, nullptr, false);
  if (statement.is_discarded() || !statement.is_object()) return {};
  EventInput in;
  in.event_id = row.id;
  in.signer = row.signer;
  in.trusted = row.trusted;
  in.kind = row.predicate;
  in.subject_sha256 = row.subject;
  if (auto s = statement.find("subject"); s != statement.end() && s->is_array() && !s->empty())
    if (auto n = (*s)[0].find("name"); n != (*s)[0].end() && n->is_string())
      in.subject_name = n->get<std::string>();
  if (auto p = statement.find("predicate"); p != statement.end()) in.predicate = *p;
  in.revoked = row.status == "revoked";
  const auto kind = ledger::predicate_from_name(in.kind);
  if (kind == ledger::PredicateKind::k_model) {
    PD_ASSIGN_OR_RETURN(in.reference_trusted, reference_trusted(row.signer));
  }
  // Revoked because its key retired itself (index/key_lifecycle.hpp): say so.
  if (in.revoked && row.error.starts_with("key ")) facts.note_retired_key(row.signer, row.error);
  // A predicate the engine cannot use is skipped: the verified event stays
  // visible through `verify`.
  if (!facts.add_event(in)) return {};
  if (!parents || kind != ledger::PredicateKind::k_lineage) return {};
  // A lineage event revoked later (by a revocation among the subject's
  // events) still counts as trusted here: walking it early costs budget, never a verdict.
  auto& out = row.trusted ? parents->trusted : parents->untrusted;
  // add_event decoded it already: a predicate it accepted decodes again.
  PD_ASSIGN_OR_RETURN(auto lineage, ledger::decode_lineage(in.predicate, "event " + row.id));
  for (const auto& parent : lineage.parents) {
    if (!parent.sha256.empty()) {
      out.push_back(parent.sha256);
    } else {
      // Named by weights hash only: load every artifact carrying that hash, so
      // FactBase::finalize can resolve the parent among them.
      PD_ASSIGN_OR_RETURN(auto carriers, artifacts_with_hash("weights", parent.weights));
      out.insert(out.end(), carriers.begin(), carriers.end());
    }
  }
  return {};
}

Result<bool> IndexSource::reference_trusted(const std::string& signer) {
  if (!m_reference_signers) {
    PD_ASSIGN_OR_RETURN(auto rows, m_index.trust());
    m_reference_signers.emplace();
    for (const auto& r : rows)
      if (r.predicate == ledger::k_reference_scope) m_reference_signers->insert(r.keyid);
  }
  return m_reference_signers->contains(signer);
}

Result<void> IndexSource::add_subject(FactBase& facts, const std::string& subject,
                                      LoadedParents* parents) {
  if (!m_subject_events) {
    PD_ASSIGN_OR_RETURN(auto prepared, index::SubjectEvents::prepare(m_index));
    m_subject_events.emplace(std::move(prepared));
  }
  PD_ASSIGN_OR_RETURN(auto rows, m_subject_events->of(subject));
  for (const auto& row : rows) PD_TRY(add_row(facts, row, parents));
  return {};
}

Result<Resolution> IndexSource::resolve(std::string_view text) {
  // Find the subjects the text may denote with indexed lookups, load only
  // their events, and let lineage::resolve apply the exact matching rules.
  PD_ASSIGN_OR_RETURN(const hash::Identifier id, hash::classify_identifier(text));
  PD_ASSIGN_OR_RETURN(auto snapshot, index::ReadTransaction::begin(m_index.database()));
  FactBase facts;
  std::set<std::string> subjects;
  std::set<std::string> vouched;  // prefix matches a trusted event speaks about or names as parent
  if (id.kind == hash::IdentifierKind::k_hash) {
    const std::string& hex = id.hash.hex;
    PD_ASSIGN_OR_RETURN(auto matches, m_index.lookup_hash(hex));
    for (const auto& m : matches) {
      subjects.insert(m.sha256);
      if (m.trusted && m.event.empty()) vouched.insert(m.sha256);
    }
    if (hex.size() == 64) {
      // A parent known only from its children's lineage events.
      PD_ASSIGN_OR_RETURN(auto children, m_index.children(hex));
      for (const auto& edge : children) {
        PD_ASSIGN_OR_RETURN(auto event, m_index.event(edge.event));
        if (event) PD_TRY(add_row(facts, *event, nullptr));
      }
    }
  } else if (id.kind == hash::IdentifierKind::k_air) {
    if (id.air.source == "civitai" && !id.air.version.empty()) {
      PD_ASSIGN_OR_RETURN(auto found,
                          m_index.subjects_with_identity("civitai_version", id.air.version, false));
      subjects.insert(found.begin(), found.end());
    }
  } else if (id.kind == hash::IdentifierKind::k_hf_repo) {
    const bool any_revision = id.hf.revision.empty();
    PD_ASSIGN_OR_RETURN(
        auto found, m_index.subjects_with_identity(
                        "hf_repo", any_revision ? to_lower_ascii(id.hf.repo) + "@" : id.hf.key(),
                        any_revision));
    subjects.insert(found.begin(), found.end());
  } else if (id.kind == hash::IdentifierKind::k_name) {
    PD_ASSIGN_OR_RETURN(auto named, m_index.subjects_named(name_variants(id.normalized)));
    subjects.insert(named.begin(), named.end());
  }
  for (const auto& s : subjects) PD_TRY(add_subject(facts, s, nullptr));
  facts.finalize();
  Resolution r = lineage::resolve(facts, id);
  // Only the subjects' own events were loaded: an artifact known as a trusted
  // lineage event's parent is vouched for by the index (Index::lookup_hash).
  for (auto& c : r.candidates)
    if (!c.trusted && vouched.contains(c.sha256)) {
      c.trusted = true;
      c.named_by = {};
    }
  std::stable_partition(r.candidates.begin(), r.candidates.end(),
                        [](const Candidate& c) { return c.trusted; });
  return r;
}

Result<std::vector<std::string>> IndexSource::artifacts_with_hash(std::string_view kind,
                                                                  std::string_view value) {
  PD_ASSIGN_OR_RETURN(auto matches, m_index.lookup_hash(value, kind));
  std::vector<std::string> out;
  for (const auto& m : matches)
    if (m.trusted && !m.event.empty() && std::find(out.begin(), out.end(), m.sha256) == out.end())
      out.push_back(m.sha256);
  return out;
}

Result<const FactBase*> IndexSource::load(const std::vector<std::string>& roots) {
  PD_ASSIGN_OR_RETURN(auto snapshot, index::ReadTransaction::begin(m_index.database()));
  m_facts = FactBase();
  m_truncated = false;
  // Two queues: an artifact reached from the roots through trusted lineage
  // events only is walked before anything an untrusted event names, so a
  // flood of untrusted parents can only use the budget the trusted ancestry
  // left. Untrusted parents are also bounded per artifact.
  std::set<std::string> seen;
  std::deque<std::string> trusted(roots.begin(), roots.end());
  std::deque<std::string> untrusted;
  std::size_t skipped = 0;  // untrusted parents over the per-artifact bound
  LoadedParents parents;
  while (!trusted.empty() || !untrusted.empty()) {
    const bool via_trusted = !trusted.empty();
    auto& queue = via_trusted ? trusted : untrusted;
    std::string sha = std::move(queue.front());
    queue.pop_front();
    if (seen.contains(sha)) continue;
    if (seen.size() >= k_max_loaded_artifacts) {
      m_truncated = true;
      break;
    }
    seen.insert(sha);
    parents.trusted.clear();
    parents.untrusted.clear();
    PD_TRY(add_subject(m_facts, sha, &parents));
    // Past an untrusted edge, every parent is only as good as that edge.
    for (auto& p : parents.trusted)
      if (!seen.contains(p)) (via_trusted ? trusted : untrusted).push_back(std::move(p));
    std::size_t taken = 0;
    for (auto& p : parents.untrusted) {
      if (seen.contains(p)) continue;
      if (taken++ == k_max_untrusted_parents) {
        skipped += parents.untrusted.size() - k_max_untrusted_parents;
        break;
      }
      untrusted.push_back(std::move(p));
    }
  }
  if (skipped > 0) m_truncated = true;
  if (m_truncated)
    m_facts.set_incomplete("the ledger holds more ancestry than one check loads (" +
                           std::to_string(k_max_loaded_artifacts) + " artifacts, " +
                           std::to_string(k_max_untrusted_parents) +
                           " untrusted parents per artifact): evidence beyond it was not read");
  m_facts.finalize();
  return &m_facts;
}

Result<std::optional<StoredFingerprint>> IndexSource::fingerprint_of(std::string_view sha256) {
  PD_ASSIGN_OR_RETURN(auto fps, m_index.fingerprints_of(sha256));
  for (const auto& f : fps) {
    if (!f.trusted || f.spec == ledger::k_units_spec) continue;
    auto bytes = crypto::base64_decode(f.data);
    if (!bytes) continue;
    auto fp = fingerprint::parse(
        ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
    if (!fp) continue;
    return StoredFingerprint{std::move(*fp), "event " + f.event};
  }
  return std::nullopt;
}

Result<std::optional<StoredUnits>> IndexSource::units_of(std::string_view sha256) {
  PD_ASSIGN_OR_RETURN(auto rows, m_index.fingerprints_of(sha256));
  std::optional<StoredUnits> out;
  for (const auto& f : rows) {
    if (!f.trusted || f.spec != ledger::k_units_spec) continue;
    auto bytes = crypto::base64_decode(f.data);
    if (!bytes) continue;
    auto units = fingerprint::parse_units(
        ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
    if (!units) continue;  // a damaged event cannot make check fail
    if (!out)
      out.emplace(StoredUnits{{}, "events "});
    else
      out->origin += ", ";
    fingerprint::merge_units(out->units, std::move(*units));
    out->origin += f.event;
  }
  if (!out)
    if (auto local = m_references.load_units(sha256))
      out = StoredUnits{std::move(*local), "local " + m_references.units_path_for(sha256).string()};
  return out;
}

Result<std::string> IndexSource::key_identity(std::string_view keyid) {
  if (!m_key_names) {
    PD_ASSIGN_OR_RETURN(auto keys, m_index.keys());
    m_key_names.emplace();
    for (const auto& k : keys)
      (*m_key_names)[k.keyid] = k.name + (k.email.empty() ? "" : " <" + k.email + ">");
  }
  auto it = m_key_names->find(keyid);
  return it == m_key_names->end() ? std::string() : it->second;
}

Result<std::vector<ReferenceModel>> IndexSource::reference_models() {
  PD_ASSIGN_OR_RETURN(auto snapshot, index::ReadTransaction::begin(m_index.database()));
  PD_ASSIGN_OR_RETURN(auto rows, m_index.reference_models());
  std::set<std::string> subjects;
  for (const auto& r : rows)
    if (r.trusted) subjects.insert(r.subject);
  FactBase facts;
  for (const auto& s : subjects) PD_TRY(add_subject(facts, s, nullptr));
  facts.finalize();
  std::vector<ReferenceModel> out;
  for (const auto& sha : subjects) {
    const ModelFact* role = facts.role_fact(sha);
    if (!role) continue;  // its role event was revoked
    ReferenceModel ref{sha, facts.display_name(sha), role->role,       facts.published(sha), {},
                       "",  role->from.event_id,     role->from.signer};
    PD_ASSIGN_OR_RETURN(auto stored, fingerprint_of(sha));
    if (stored) {
      ref.fingerprint = std::move(stored->fingerprint);
      ref.fingerprint_origin = std::move(stored->origin);
    }
    if (!ref.fingerprint)
      if (auto local = m_references.load(sha)) {
        ref.fingerprint = std::move(*local);
        ref.fingerprint_origin = "local " + m_references.path_for(sha).string();
      }
    out.push_back(std::move(ref));
  }
  return out;
}

}  // namespace pedigree::lineage
