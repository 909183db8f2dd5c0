#include "pedigree/index/indexer.hpp"

#include <nlohmann/json.hpp>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/index/integrity.hpp"
#include "pedigree/index/signature_memo.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/predicates.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::index {
namespace {

using ledger::PredicateKind;

std::string status_for(const Error& error) {
  return error.code() == ErrorCode::k_not_found ? "unknown-key" : "invalid";
}

// events.payload_sha256 holds the 32 raw bytes ('' stays empty).
std::vector<std::uint8_t> sha256_bytes(const std::string& hex) {
  return from_hex(hex).value_or(std::vector<std::uint8_t>{});
}

}  // namespace

Result<Statement*> Indexer::sql(const char* text) {
  auto it = m_cache.find(text);
  if (it == m_cache.end()) {
    PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(text));
    it = m_cache.emplace(text, std::make_unique<Statement>(std::move(st))).first;
  }
  it->second->reset();
  return it->second.get();
}

Result<void> Indexer::load_keys() {
  PD_ASSIGN_OR_RETURN(Statement st,
                      m_db.prepare("SELECT keyid, public_key, name, email FROM keys"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    auto raw = crypto::base64_decode(st.column_text(1));
    if (!raw) return corruption(m_db.path() + ": keys." + st.column_text(0) + " is damaged");
    PD_ASSIGN_OR_RETURN(
        auto key, crypto::PublicKey::from_raw(
                      ByteView(reinterpret_cast<const std::uint8_t*>(raw->data()), raw->size())));
    // The keyid is the SHA-256 of the key: a damaged keys row would verify new
    // events against another key than the one its keyid names.
    if (key.keyid() != st.column_text(0))
      return damaged("keys row " + st.column_text(0) + " holds another key");
    m_keys.add({key, {st.column_text(2), st.column_text(3)}});
  }
  return {};
}

Result<void> Indexer::clear() {
  m_cache.clear();
  m_keys = ledger::KeyRing();
  return m_db.exec(
      "DELETE FROM keys; DELETE FROM events; DELETE FROM problems; DELETE FROM artifacts;"
      "DELETE FROM aliases; DELETE FROM edges; DELETE FROM fingerprints; DELETE FROM revocations;");
}

Result<void> Indexer::add_problem(const std::string& path, const std::string& error) {
  PD_ASSIGN_OR_RETURN(Statement * st,
                      sql("INSERT OR REPLACE INTO problems(path, error) VALUES (?1, ?2)"));
  return st->bind(1, path).bind(2, error).run();
}

Result<void> Indexer::apply_key(const std::string& path, const std::string& bytes) {
  auto record = ledger::verify_key_file(path, bytes);
  if (!record) return add_problem(path, record.error().message());
  const std::string keyid = record->key.keyid();
  PD_ASSIGN_OR_RETURN(Statement * ins, sql("INSERT OR REPLACE INTO keys(keyid, public_key, name, "
                                           "email) VALUES (?1, ?2, ?3, ?4)"));
  PD_TRY(ins->bind(1, keyid)
             .bind(2, crypto::base64_encode(record->key.raw()))
             .bind(3, record->identity.name)
             .bind(4, record->identity.email)
             .run());
  m_keys.add(std::move(*record));
  // Events that arrived before their key: verify them again now.
  std::vector<std::pair<std::string, std::string>> waiting;  // (path, blob)
  PD_ASSIGN_OR_RETURN(Statement * q, sql("SELECT path, blob FROM events WHERE signer = ?1 AND "
                                         "status = 'unknown-key' ORDER BY id"));
  q->bind(1, keyid);
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) break;
    waiting.emplace_back(q->column_text(0), q->column_text(1));
  }
  q->reset();
  for (const auto& [event_path, blob] : waiting) {
    PD_ASSIGN_OR_RETURN(std::string event_bytes, m_reader(blob));
    auto verified = ledger::verify_event_file(event_path, event_bytes, m_keys);
    PD_TRY(apply_event(event_path, blob, event_bytes, std::move(verified)));
  }
  return {};
}

Result<void> Indexer::insert_event_row(const std::string& id, const std::string& path,
                                       const std::string& subject, const std::string& signer,
                                       const std::string& predicate, const std::string& status,
                                       const std::string& error, const std::string& payload_sha,
                                       const std::string& payload, const std::string& blob) {
  PD_ASSIGN_OR_RETURN(Statement * st,
                      sql("INSERT OR REPLACE INTO events(id, path, subject, signer, predicate, "
                          "status, error, payload_sha256, payload, blob, row_sha256) VALUES "
                          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  const std::string row_sha = event_row_digest(
      {id, path, subject, signer, predicate, status, error, "", payload_sha, blob, ""});
  return st->bind(1, id)
      .bind(2, path)
      .bind(3, subject)
      .bind(4, signer)
      .bind(5, predicate)
      .bind(6, status)
      .bind(7, error)
      .bind_blob(8, sha256_bytes(payload_sha))
      .bind(9, payload)
      .bind(10, blob)
      .bind_blob(11, sha256_bytes(row_sha))
      .run();
}

Result<void> Indexer::set_status(const std::string& id, const std::string& status,
                                 const std::string& error) {
  PD_ASSIGN_OR_RETURN(Statement * st,
                      sql("UPDATE events SET status = ?2, error = ?3 WHERE id = ?1"));
  PD_TRY(st->bind(1, id).bind(2, status).bind(3, error).run());
  return seal_event_row(m_db, id);
}

Result<void> Indexer::apply_event(const std::string& path, const std::string& blob,
                                  const std::string& bytes,
                                  Result<ledger::VerifiedEvent> verified) {
  ledger::LayoutEntry entry = ledger::classify_path(path);
  // The same bytes may sit at two paths (a copy under the wrong subject
  // directory): only the copy at its own subject can be valid, so it keeps
  // the event id as its key and any other copy is keyed by its path.
  PD_ASSIGN_OR_RETURN(Statement * other,
                      sql("SELECT path FROM events WHERE id = ?1 AND path <> ?2"));
  other->bind(1, entry.event_id).bind(2, path);
  PD_ASSIGN_OR_RETURN(bool taken, other->step());
  const std::string taken_path = taken ? other->column_text(0) : "";
  other->reset();
  if (!verified) {
    std::string id = entry.kind == ledger::EntryKind::k_event && !taken ? entry.event_id : path;
    return insert_event_row(id, path, entry.subject, ledger::claimed_signer(bytes), "",
                            status_for(verified.error()), verified.error().message(), "", "", blob);
  }
  if (taken) {
    // This file's own earlier row, if it was keyed by path, goes; the other copy gets re-keyed.
    PD_ASSIGN_OR_RETURN(Statement * drop, sql("DELETE FROM events WHERE id = ?1"));
    PD_TRY(drop->bind(1, path).run());
    PD_ASSIGN_OR_RETURN(Statement * rekey, sql("UPDATE events SET id = path WHERE id = ?1"));
    PD_TRY(rekey->bind(1, entry.event_id).run());
    PD_TRY(seal_event_row(m_db, taken_path));
  }
  const ledger::VerifiedEvent& ev = *verified;
  if (!ev.signature_remembered) {
    PD_ASSIGN_OR_RETURN(Statement * memo, sql(k_remember_signature));
    PD_TRY(remember_signature(*memo, ev.event_id, ev.signer));
  }
  const std::string predicate(ledger::predicate_name(ev.statement.kind));
  // Duplicates: the same statement signed twice by one key. The smallest event id wins.
  PD_ASSIGN_OR_RETURN(Statement * dup,
                      sql("SELECT id, status FROM events WHERE signer = ?1 AND payload_sha256 = ?2 "
                          "AND status IN ('valid', 'revoked') AND id <> ?3"));
  dup->bind(1, ev.signer).bind_blob(2, sha256_bytes(ev.payload_sha256)).bind(3, ev.event_id);
  PD_ASSIGN_OR_RETURN(bool has_dup, dup->step());
  std::string winner = has_dup ? dup->column_text(0) : "";
  dup->reset();
  if (has_dup && winner < ev.event_id) {
    return insert_event_row(ev.event_id, path, ev.statement.subject.sha256, ev.signer, predicate,
                            "duplicate", "duplicate of event " + winner, ev.payload_sha256,
                            ev.payload, blob);
  }
  if (has_dup) {
    PD_TRY(remove_derived(winner, ev.statement.subject.sha256));
    PD_TRY(set_status(winner, "duplicate", "duplicate of event " + ev.event_id));
  }
  PD_TRY(insert_event_row(ev.event_id, path, ev.statement.subject.sha256, ev.signer, predicate,
                          "valid", "", ev.payload_sha256, ev.payload, blob));
  if (ev.statement.kind == PredicateKind::k_revocation) {
    PD_ASSIGN_OR_RETURN(auto revocation,
                        ledger::decode_revocation(ev.statement.predicate, "event " + ev.event_id));
    const std::string& target = revocation.event;
    PD_ASSIGN_OR_RETURN(Statement * rev, sql("INSERT OR REPLACE INTO revocations(event, target, "
                                             "signer) VALUES (?1, ?2, ?3)"));
    PD_TRY(rev->bind(1, ev.event_id).bind(2, target).bind(3, ev.signer).run());
    PD_ASSIGN_OR_RETURN(Statement * t,
                        sql("SELECT subject FROM events WHERE id = ?1 AND signer = "
                            "?2 AND status = 'valid' AND predicate <> 'revocation'"));
    t->bind(1, target).bind(2, ev.signer);
    PD_ASSIGN_OR_RETURN(bool found, t->step());
    std::string target_subject = found ? t->column_text(0) : "";
    t->reset();
    if (found) {
      PD_TRY(remove_derived(target, target_subject));
      PD_TRY(set_status(target, "revoked", "revoked by event " + ev.event_id));
    }
    return add_derived(ev);
  }
  PD_ASSIGN_OR_RETURN(Statement * r, sql("SELECT r.event FROM revocations r JOIN events e ON "
                                         "e.id = r.event WHERE r.target = ?1 AND r.signer = ?2 "
                                         "AND e.status = 'valid' ORDER BY r.event LIMIT 1"));
  r->bind(1, ev.event_id).bind(2, ev.signer);
  PD_ASSIGN_OR_RETURN(bool revoked, r->step());
  std::string by = revoked ? r->column_text(0) : "";
  r->reset();
  if (revoked) return set_status(ev.event_id, "revoked", "revoked by event " + by);
  return add_derived(ev);
}

Result<void> Indexer::add_derived(const ledger::VerifiedEvent& ev) {
  const auto& st = ev.statement;
  const std::string& subject = st.subject.sha256;
  PD_ASSIGN_OR_RETURN(Statement * art, sql("INSERT OR IGNORE INTO artifacts(sha256) VALUES (?1)"));
  PD_TRY(art->bind(1, subject).run());
  PD_ASSIGN_OR_RETURN(Statement * alias, sql("INSERT OR IGNORE INTO aliases(value, kind, sha256, "
                                             "event) VALUES (?1, ?2, ?3, ?4)"));
  if (!st.subject.weights.empty()) {
    PD_TRY(alias->bind(1, st.subject.weights)
               .bind(2, "weights")
               .bind(3, subject)
               .bind(4, ev.event_id)
               .run());
  }
  const std::string what = "event " + ev.event_id;
  if (st.kind == PredicateKind::k_model) {
    PD_ASSIGN_OR_RETURN(auto model, ledger::decode_model(st.predicate, what));
    for (const auto& [kind, value] : model.hashes) {
      PD_TRY(alias->bind(1, value).bind(2, kind).bind(3, subject).bind(4, ev.event_id).run());
    }
  } else if (st.kind == PredicateKind::k_lineage) {
    PD_ASSIGN_OR_RETURN(auto lineage, ledger::decode_lineage(st.predicate, what));
    PD_ASSIGN_OR_RETURN(Statement * edge,
                        sql("INSERT OR REPLACE INTO edges(event, child, parent, parent_kind, "
                            "relation, weight, block_weights, method, basis) VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    for (const auto& parent : lineage.parents) {
      edge->bind(1, ev.event_id).bind(2, subject);
      edge->bind(3, parent.digest());
      edge->bind(4, parent.digest_kind());
      edge->bind(5, parent.relation);
      if (parent.weight_text) edge->bind(6, *parent.weight_text);
      if (parent.block_weights_text) edge->bind(7, *parent.block_weights_text);
      edge->bind(8, lineage.method);
      edge->bind(9, lineage.basis);
      PD_TRY(edge->run());
    }
  } else if (st.kind == PredicateKind::k_fingerprint) {
    // The data stays in the payload only (fingerprints_of reads it from there).
    PD_ASSIGN_OR_RETURN(auto fingerprint, ledger::decode_fingerprint(st.predicate, what));
    PD_ASSIGN_OR_RETURN(Statement * fp, sql("INSERT OR REPLACE INTO fingerprints(event, subject, "
                                            "spec) VALUES (?1, ?2, ?3)"));
    PD_TRY(fp->bind(1, ev.event_id).bind(2, subject).bind(3, fingerprint.spec).run());
  }
  return {};
}

Result<void> Indexer::remove_derived(const std::string& id, const std::string& subject) {
  for (const char* text :
       {"DELETE FROM aliases WHERE event = ?1", "DELETE FROM edges WHERE event = ?1",
        "DELETE FROM fingerprints WHERE event = ?1", "DELETE FROM revocations WHERE event = ?1"}) {
    PD_ASSIGN_OR_RETURN(Statement * st, sql(text));
    PD_TRY(st->bind(1, id).run());
  }
  PD_ASSIGN_OR_RETURN(Statement * art,
                      sql("DELETE FROM artifacts WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM "
                          "events WHERE subject = ?1 AND status = 'valid' AND id <> ?2)"));
  return art->bind(1, subject).bind(2, id).run();
}

}  // namespace pedigree::index
