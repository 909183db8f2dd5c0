#include "pedigree/index/integrity.hpp"

#include <algorithm>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/predicates.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::index {

std::unexpected<Error> damaged(const std::string& what) {
  return corruption("the index is damaged (" + what +
                    "): run `pedigree index rebuild`; nothing was concluded from it");
}

std::string event_row_digest(const EventColumns& row) {
  // Each column length-prefixed, so no two rows share an encoding.
  crypto::Sha256 h;
  for (const std::string* column : {&row.id, &row.path, &row.subject, &row.signer, &row.predicate,
                                    &row.status, &row.error, &row.payload_sha256, &row.blob}) {
    h.update(std::to_string(column->size()) + ':');
    h.update(*column);
  }
  return to_hex(h.finish());
}

Result<void> check_event_row(const EventColumns& row) {
  if (event_row_digest(row) != row.row_sha256) {
    return damaged("the events row of event " + row.id + " does not match its row digest");
  }
  if (row.payload.empty() && row.payload_sha256.empty()) {
    if (row.status == "valid") return damaged("event " + row.id + " is valid but has no payload");
    return {};
  }
  if (crypto::sha256_hex(row.payload) != row.payload_sha256) {
    return damaged("the stored statement of event " + row.id + " does not match its SHA-256");
  }
  return {};
}

Result<EventColumns> check_event_columns(const Statement& st, int first) {
  EventColumns row;
  for (std::string* column :
       {&row.id, &row.path, &row.subject, &row.signer, &row.predicate, &row.status, &row.error,
        &row.payload, &row.payload_sha256, &row.blob, &row.row_sha256}) {
    *column = st.column_text(first++);
  }
  PD_TRY(check_event_row(row));
  return row;
}

Result<void> seal_event_row(Database& db, std::string_view id) {
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(std::string("SELECT ") + k_event_columns +
                                               " FROM events e WHERE e.id = ?1"));
  st.bind(1, id);
  PD_ASSIGN_OR_RETURN(bool found, st.step());
  if (!found) return {};
  int i = 0;
  EventColumns row;
  for (std::string* column :
       {&row.id, &row.path, &row.subject, &row.signer, &row.predicate, &row.status, &row.error,
        &row.payload, &row.payload_sha256, &row.blob}) {
    *column = st.column_text(i++);
  }
  auto digest = from_hex(event_row_digest(row));
  PD_ASSIGN_OR_RETURN(Statement up, db.prepare("UPDATE events SET row_sha256 = ?2 WHERE id = ?1"));
  return up.bind(1, id).bind_blob(2, *digest).run();
}

Result<std::vector<EdgeRow>> edges_of_payload(std::string_view id, std::string_view payload) {
  auto st = ledger::parse_statement(payload, "event " + std::string(id));
  if (!st) return damaged(st.error().message());
  std::vector<EdgeRow> out;
  if (st->kind != ledger::PredicateKind::k_lineage) return out;
  auto lineage = ledger::decode_lineage(st->predicate, "event " + std::string(id));
  if (!lineage) return damaged(lineage.error().message());
  for (const auto& parent : lineage->parents) {
    EdgeRow e;
    e.event = id;
    e.child = st->subject.sha256;
    e.parent_kind = parent.digest_kind();
    e.parent = parent.digest();
    e.relation = parent.relation;
    e.weight = parent.weight_text;
    e.block_weights = parent.block_weights_text;
    e.method = lineage->method;
    e.basis = lineage->basis;
    out.push_back(std::move(e));
  }
  return out;
}

Result<bool> payload_declares_alias(std::string_view id, std::string_view payload,
                                    std::string_view value, std::string_view kind,
                                    std::string_view sha256) {
  auto st = ledger::parse_statement(payload, "event " + std::string(id));
  if (!st) return damaged(st.error().message());
  if (st->subject.sha256 != sha256) return false;
  if (kind == "weights" && st->subject.weights == value) return true;
  if (st->kind != ledger::PredicateKind::k_model) return false;
  auto model = ledger::decode_model(st->predicate, "event " + std::string(id));
  if (!model) return damaged(model.error().message());
  auto it = model->hashes.find(std::string(kind));
  return it != model->hashes.end() && it->second == value;
}

bool same_edge(const EdgeRow& a, const EdgeRow& b) {
  return a.event == b.event && a.child == b.child && a.parent == b.parent &&
         a.parent_kind == b.parent_kind && a.relation == b.relation && a.weight == b.weight &&
         a.block_weights == b.block_weights && a.method == b.method && a.basis == b.basis;
}

std::string reference_digest(std::vector<ReferenceRow> rows) {
  std::vector<std::string> lines;
  for (const auto& r : rows) lines.push_back(r.event + '\t' + r.subject + '\t' + r.role + '\n');
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l;
  return crypto::sha256_hex(all);
}

Result<void> check_integrity(Index& index) {
  Database& db = index.database();
  PD_ASSIGN_OR_RETURN(Statement events,
                      db.prepare(std::string("SELECT ") + k_event_columns + " FROM events e"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, events.step());
    if (!row) break;
    PD_TRY(check_event_columns(events, 0));
  }
  PD_TRY(index.reference_models());
  PD_ASSIGN_OR_RETURN(Statement children,
                      db.prepare("SELECT child FROM edges UNION SELECT subject FROM events "
                                 "WHERE predicate = 'lineage' AND status = 'valid'"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, children.step());
    if (!row) break;
    PD_TRY(index.parents(children.column_text(0)));
  }
  PD_ASSIGN_OR_RETURN(Statement aliases,
                      db.prepare("SELECT a.value, a.kind, a.sha256, a.event, e.payload "
                                 "FROM aliases a LEFT JOIN events e ON e.id = a.event AND "
                                 "e.status = 'valid'"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, aliases.step());
    if (!row) break;
    const std::string event = aliases.column_text(3);
    PD_ASSIGN_OR_RETURN(
        bool declared, payload_declares_alias(event, aliases.column_text(4), aliases.column_text(0),
                                              aliases.column_text(1), aliases.column_text(2)));
    if (!declared) {
      return damaged("alias " + aliases.column_text(0) + " of event " + event +
                     " is not what the event declares");
    }
  }
  return {};
}

}  // namespace pedigree::index
