#include "pedigree/index/key_lifecycle.hpp"

#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/index/integrity.hpp"

namespace pedigree::index {
namespace {

struct KeyEvent {
  std::string id, signer, reason, successor, ledger_commit;
};

Result<std::vector<KeyEvent>> key_events(Database& db) {
  // Checked rows only: a key event revokes statements and hands on trust.
  PD_ASSIGN_OR_RETURN(Statement st,
                      db.prepare(std::string("SELECT ") + k_event_columns +
                                 " FROM events e WHERE e.predicate = 'key' AND e.status = "
                                 "'valid' ORDER BY e.id"));
  std::vector<KeyEvent> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 0));
    auto doc = nlohmann::json::parse(e.payload, nullptr, false);
    if (doc.is_discarded() || !doc.contains("predicate")) continue;  // verified: cannot happen
    const auto& p = doc["predicate"];
    out.push_back({e.id, e.signer, p.value("reason", ""), p.value("successor", ""),
                   p.value("ledger_commit", "")});
  }
  return out;
}

// Marks `ids` revoked with `why`, removing the rows derived from them. The
// artifact rows stay: a check of the subject finds it and says why its
// statements do not count.
Result<void> revoke_events(Database& db,
                           const std::vector<std::pair<std::string, std::string>>& ids,
                           const std::string& why) {
  PD_ASSIGN_OR_RETURN(Statement status,
                      db.prepare("UPDATE events SET status = 'revoked', error = ?2 WHERE id = ?1"));
  std::vector<Statement> derived;
  for (const char* text :
       {"DELETE FROM aliases WHERE event = ?1", "DELETE FROM edges WHERE event = ?1",
        "DELETE FROM fingerprints WHERE event = ?1", "DELETE FROM revocations WHERE event = ?1"}) {
    PD_ASSIGN_OR_RETURN(Statement st, db.prepare(text));
    derived.push_back(std::move(st));
  }
  for (const auto& [id, subject] : ids) {
    for (auto& st : derived) PD_TRY(st.bind(1, id).run());
    PD_TRY(status.bind(1, id).bind(2, why).run());
    PD_TRY(seal_event_row(db, id));
  }
  return {};
}

// The still valid statements of `signer` (every predicate but `key`): (id, subject, path).
Result<std::vector<std::tuple<std::string, std::string, std::string>>> valid_statements(
    Database& db, const std::string& signer) {
  PD_ASSIGN_OR_RETURN(Statement st,
                      db.prepare("SELECT id, subject, path FROM events WHERE signer = ?1 AND "
                                 "status = 'valid' AND predicate <> 'key' ORDER BY id"));
  st.bind(1, signer);
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.emplace_back(st.column_text(0), st.column_text(1), st.column_text(2));
  }
  return out;
}

Result<void> retire(Database& db, const KeyEvent& k, const ledger::GitRepo* repo) {
  const std::string key = "key " + k.signer.substr(0, 16);
  PD_ASSIGN_OR_RETURN(auto statements, valid_statements(db, k.signer));
  std::vector<std::pair<std::string, std::string>> revoke;
  std::string why;
  if (k.reason == "compromised") {
    why = key + " retired as compromised by event " + k.id.substr(0, 12) +
          ": none of its statements count";
    for (const auto& [id, subject, path] : statements) revoke.emplace_back(id, subject);
  } else {
    if (!repo) return {};
    why = key + " rotated by event " + k.id.substr(0, 12) + ": statement not in the ledger at " +
          k.ledger_commit.substr(0, 12) + ", when it was rotated";
    for (const auto& [id, subject, path] : statements) {
      auto present = repo->has_file(k.ledger_commit, path);
      if (!present && present.error().code() != ErrorCode::k_not_found)
        return std::unexpected(present.error());
      if (!present) {
        why = key + " rotated by event " + k.id.substr(0, 12) + " at ledger commit " +
              k.ledger_commit.substr(0, 12) + ", which this repository does not have";
      }
      if (!present || !*present) revoke.emplace_back(id, subject);
    }
  }
  return revoke_events(db, revoke, why);
}

// Trust rows of the successors of rotations (see the header for the rules).
Result<void> follow_successors(Database& db, const std::vector<KeyEvent>& events) {
  std::map<std::string, std::set<std::string>> successors;  // old key -> successors named
  std::set<std::string> compromised;
  for (const auto& k : events) {
    if (k.reason == "compromised") compromised.insert(k.signer);
    if (k.reason == "rotated" && !k.successor.empty()) successors[k.signer].insert(k.successor);
  }
  PD_ASSIGN_OR_RETURN(Statement rows_of,
                      db.prepare("SELECT predicate, source FROM trust WHERE keyid = ?1"));
  PD_ASSIGN_OR_RETURN(Statement add, db.prepare("INSERT OR IGNORE INTO trust(keyid, predicate, "
                                                "source) VALUES (?1, ?2, ?3)"));
  nlohmann::json derived = nlohmann::json::array();
  // Each pass adds the rows of one more link of a chain; a chain is at most
  // as long as there are rotations.
  for (std::size_t pass = 0; pass <= successors.size(); ++pass) {
    bool added = false;
    for (const auto& [old_key, named] : successors) {
      if (named.size() != 1 || compromised.contains(old_key)) continue;
      const std::string& next = *named.begin();
      rows_of.reset();
      rows_of.bind(1, old_key);
      std::vector<std::pair<std::string, std::string>> rows;
      while (true) {
        PD_ASSIGN_OR_RETURN(bool row, rows_of.step());
        if (!row) break;
        rows.emplace_back(rows_of.column_text(0), rows_of.column_text(1));
      }
      for (const auto& [predicate, source] : rows) {
        PD_TRY(add.bind(1, next).bind(2, predicate).bind(3, source).run());
        if (db.changes() > 0) {
          derived.push_back({next, predicate, source});
          added = true;
        }
      }
    }
    if (!added) break;
  }
  PD_ASSIGN_OR_RETURN(Statement meta, db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES "
                                                 "('successor_trust', ?1)"));
  return meta.bind(1, derived.dump()).run();
}

}  // namespace

Result<void> apply_key_lifecycle(Database& db, const ledger::GitRepo* repo) {
  PD_ASSIGN_OR_RETURN(auto events, key_events(db));
  // Compromise first: it revokes everything, whatever a rotation kept.
  for (const auto& k : events)
    if (k.reason == "compromised") PD_TRY(retire(db, k, repo));
  for (const auto& k : events)
    if (k.reason == "rotated") PD_TRY(retire(db, k, repo));
  return follow_successors(db, events);
}

Result<std::set<std::tuple<std::string, std::string, std::string>>> successor_trust_rows(
    Database& db) {
  std::set<std::tuple<std::string, std::string, std::string>> out;
  PD_ASSIGN_OR_RETURN(Statement st,
                      db.prepare("SELECT value FROM meta WHERE key = 'successor_trust'"));
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return out;
  auto doc = nlohmann::json::parse(st.column_text(0), nullptr, false);
  if (!doc.is_array()) return out;
  for (const auto& r : doc)
    if (r.is_array() && r.size() == 3 && r[0].is_string() && r[1].is_string() && r[2].is_string())
      out.insert({r[0].get<std::string>(), r[1].get<std::string>(), r[2].get<std::string>()});
  return out;
}

}  // namespace pedigree::index
