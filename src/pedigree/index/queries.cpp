// Read-only queries of the index (declared in index.hpp).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "pedigree/index/index.hpp"
#include "pedigree/index/integrity.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::index {
namespace {

constexpr const char* k_trusted_expr =
    "EXISTS (SELECT 1 FROM trust t WHERE t.keyid = e.signer AND t.predicate = e.predicate)";

std::string reverse_bytes_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = hex.size(); i >= 2; i -= 2) out += hex.substr(i - 2, 2);
  return out;
}

std::string prefix_kind(std::size_t len) {
  if (len == 64) return "sha256";
  if (len == 10) return "autov2";
  if (len == 12) return "sha256_12";
  return "sha256-prefix";
}

// The verified payload of valid event `id` ('' when no such valid event).
Result<std::string> valid_payload(Database& db, std::string_view id) {
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(std::string("SELECT ") + k_event_columns +
                                               " FROM events e WHERE e.id = ?1 AND "
                                               "e.status = 'valid'"));
  st.bind(1, id);
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::string();
  PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 0));
  return e.payload;
}

// Each edge row must be declared by its event's verified payload.
Result<void> check_edge_rows(Database& db, const std::vector<EdgeRow>& rows) {
  for (const auto& row : rows) {
    PD_ASSIGN_OR_RETURN(std::string payload, valid_payload(db, row.event));
    if (payload.empty()) return damaged("edge of event " + row.event + " has no valid event");
    PD_ASSIGN_OR_RETURN(auto declared, edges_of_payload(row.event, payload));
    if (std::none_of(declared.begin(), declared.end(),
                     [&](const EdgeRow& d) { return same_edge(d, row); })) {
      return damaged("edge " + row.child + " -> " + row.parent + " of event " + row.event +
                     " is not what the event declares");
    }
  }
  return {};
}

// The parents of `child` from its valid lineage events must be exactly the
// edge rows: a row lost from either table shows as a difference.
Result<void> check_parents_complete(Database& db, std::string_view child,
                                    const std::vector<EdgeRow>& rows) {
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(std::string("SELECT ") + k_event_columns +
                                               " FROM events e WHERE e.subject = ?1 AND "
                                               "e.predicate = 'lineage' AND e.status = 'valid'"));
  st.bind(1, child);
  // Keyed as the edges table is, (event, parent): a parent listed twice is one row.
  std::map<std::pair<std::string, std::string>, EdgeRow> declared;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 0));
    const std::string& id = e.id;
    PD_ASSIGN_OR_RETURN(auto edges, edges_of_payload(id, e.payload));
    for (auto& d : edges) {
      if (d.child != child) {
        return damaged("lineage event " + id + " is filed under another subject");
      }
      declared[{d.event, d.parent}] = std::move(d);
    }
  }
  for (const auto& [key, d] : declared) {
    if (std::none_of(rows.begin(), rows.end(), [&](const EdgeRow& r) { return same_edge(d, r); })) {
      return damaged("edge " + d.child + " -> " + d.parent + " of event " + d.event +
                     " is missing from the index");
    }
  }
  if (declared.size() != rows.size()) {
    return damaged("the edges of " + std::string(child) + " differ from its lineage events");
  }
  return {};
}

Result<std::vector<EdgeRow>> edges_where(Database& db, const char* column, std::string_view value) {
  std::string q = std::string(
                      "SELECT g.event, g.child, g.parent, g.parent_kind, g.relation, "
                      "g.method, g.basis, e.signer, g.weight, g.block_weights, ") +
                  "EXISTS (SELECT 1 FROM trust t WHERE t.keyid = e.signer AND t.predicate = "
                  "'lineage'), " +
                  k_event_columns + " FROM edges g JOIN events e ON e.id = g.event WHERE g." +
                  column + " = ?1 ORDER BY g.child, g.parent, g.event";
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(q));
  st.bind(1, value);
  std::vector<EdgeRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_TRY(check_event_columns(st, 11));
    EdgeRow e{st.column_text(0), st.column_text(1), st.column_text(2),     st.column_text(3),
              st.column_text(4), st.column_text(5), st.column_text(6),     st.column_text(7),
              std::nullopt,      std::nullopt,      st.column_int(10) != 0};
    if (!st.column_is_null(8)) e.weight = st.column_text(8);
    if (!st.column_is_null(9)) e.block_weights = st.column_text(9);
    out.push_back(std::move(e));
  }
  return out;
}

// A prefix match counts as vouched for only through a checked row: a trusted
// valid event about `sha256`, or one whose verified statement names it as a
// parent. The SQL flag that ranked it read the columns unchecked.
Result<void> confirm_vouched(Database& db, const std::string& sha256) {
  PD_ASSIGN_OR_RETURN(
      Statement st, db.prepare(std::string("SELECT ") + k_event_columns +
                               " FROM events e WHERE e.status = 'valid' AND " + k_trusted_expr +
                               " AND (e.subject = ?1 OR e.id IN (SELECT g.event FROM edges g WHERE "
                               "g.parent = ?1)) ORDER BY e.subject = ?1 DESC LIMIT 1"));
  st.bind(1, sha256);
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return damaged("the events vouching for " + sha256 + " changed under a query");
  PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 0));
  if (e.subject == sha256) return {};
  PD_ASSIGN_OR_RETURN(auto edges, edges_of_payload(e.id, e.payload));
  if (std::none_of(edges.begin(), edges.end(),
                   [&](const EdgeRow& d) { return d.parent == sha256; }))
    return damaged("edge to " + sha256 + " of event " + e.id + " is not what the event declares");
  return {};
}

Result<std::vector<EventRow>> events_query(Database& db, const std::string& where,
                                           std::string_view param) {
  std::string q = std::string("SELECT ") + k_event_columns + ", e.status = 'valid' AND " +
                  k_trusted_expr + " FROM events e " + where + " ORDER BY e.path";
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(q));
  if (!param.empty()) st.bind(1, param);
  std::vector<EventRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 0));
    out.push_back({e.id, e.path, e.subject, e.signer, e.predicate, e.status, e.error, e.payload,
                   st.column_int(k_event_column_count) != 0});
  }
  return out;
}

}  // namespace

Result<std::vector<HashMatch>> Index::lookup_hash(std::string_view value,
                                                  std::optional<std::string_view> kind) {
  std::string v = to_lower_ascii(value);
  if (v.starts_with("0x")) v = v.substr(2);
  std::vector<HashMatch> out;
  if (!is_hex(v)) {
    std::string message(value);
    message += " is not a hex hash";
    return invalid_argument(std::move(message));
  }
  bool any = !kind.has_value();
  bool prefix_kinds = any || *kind == "sha256" || *kind == "autov2" || *kind == "sha256_12";
  if (v.size() >= 8 && v.size() <= 64 && prefix_kinds) {
    // Artifacts a trusted event speaks about (or names as a parent) first:
    // anyone can mint subjects sharing a prefix, so untrusted ones must never
    // push a trusted artifact past the limit.
    PD_ASSIGN_OR_RETURN(
        Statement st,
        m_db.prepare(std::string("SELECT a.sha256, EXISTS (SELECT 1 FROM events e WHERE "
                                 "e.subject = a.sha256 AND e.status = 'valid' AND ") +
                     k_trusted_expr +
                     ") OR EXISTS (SELECT 1 FROM edges g JOIN events e ON e.id = g.event "
                     "WHERE g.parent = a.sha256 AND e.status = 'valid' AND " +
                     k_trusted_expr +
                     ") AS vouched FROM artifacts a WHERE a.sha256 >= ?1 AND a.sha256 < ?2 "
                     "ORDER BY vouched DESC, a.sha256 LIMIT 1000"));
    st.bind(1, v).bind(2, v + "g");
    while (true) {
      PD_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      // A placeholder subject is no file's SHA-256: never a match for one.
      if (ledger::is_placeholder_sha256(st.column_text(0))) continue;
      const bool vouched = st.column_int(1) != 0;
      if (vouched) PD_TRY(confirm_vouched(m_db, st.column_text(0)));
      out.push_back({prefix_kind(v.size()), st.column_text(0), "", "", v.size() == 64 || vouched});
    }
  }
  std::string q = std::string("SELECT a.kind, a.sha256, a.event, e.signer, ") + k_trusted_expr +
                  ", a.value, " + k_event_columns +
                  " FROM aliases a JOIN events e ON e.id = a.event WHERE a.value = ?1" +
                  (any ? "" : " AND a.kind = ?2") + " ORDER BY a.kind, a.sha256, a.event";
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
  auto run = [&](const std::string& val, const std::string& kind_filter,
                 const std::string& label) -> Result<void> {
    st.reset();
    st.bind(1, val);
    if (!any) st.bind(2, kind_filter);
    while (true) {
      PD_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      std::string k = label.empty() ? st.column_text(0) : label;
      if (!label.empty() && st.column_text(0) != "crc32") continue;
      // The alias must be declared by its event's verified statement.
      const std::string event = st.column_text(2);
      PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(st, 6));
      if (e.status != "valid") return damaged("alias of event " + event + " is not valid");
      PD_ASSIGN_OR_RETURN(bool declared,
                          payload_declares_alias(event, e.payload, st.column_text(5),
                                                 st.column_text(0), st.column_text(1)));
      if (!declared) {
        return damaged("alias " + st.column_text(5) + " of event " + event +
                       " is not what the event declares");
      }
      out.push_back(
          {k, st.column_text(1), st.column_text(2), st.column_text(3), st.column_int(4) != 0});
    }
    return {};
  };
  PD_TRY(run(v, kind ? std::string(*kind) : "", ""));
  if (v.size() == 8 && (any || *kind == "crc32")) {
    // Civitai prints CRC32 with its bytes reversed.
    PD_TRY(run(reverse_bytes_hex(v), "crc32", "crc32-civitai"));
  }
  return out;
}

Result<std::vector<EdgeRow>> Index::parents(std::string_view sha256) {
  PD_ASSIGN_OR_RETURN(auto rows, edges_where(m_db, "child", sha256));
  PD_TRY(check_edge_rows(m_db, rows));
  PD_TRY(check_parents_complete(m_db, sha256, rows));
  return rows;
}

Result<std::vector<EdgeRow>> Index::children(std::string_view sha256) {
  PD_ASSIGN_OR_RETURN(auto rows, edges_where(m_db, "parent", sha256));
  PD_TRY(check_edge_rows(m_db, rows));
  return rows;
}

Result<std::vector<EventRow>> Index::events_of(std::string_view subject) {
  return events_query(m_db, "WHERE e.subject = ?1", subject);
}

Result<std::optional<EventRow>> Index::event(std::string_view id) {
  PD_ASSIGN_OR_RETURN(auto rows, events_query(m_db, "WHERE e.id = ?1", id));
  if (rows.empty()) return std::optional<EventRow>();
  return std::optional<EventRow>(rows.front());
}

Result<std::vector<EventRow>> Index::problem_events(bool include_untrusted) {
  std::string where = "WHERE e.status <> 'valid'";
  if (include_untrusted) where += std::string(" OR NOT ") + k_trusted_expr;
  return events_query(m_db, where, "");
}

Result<std::vector<std::pair<std::string, std::string>>> Index::problem_files() {
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare("SELECT path, error FROM problems ORDER BY path"));
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.emplace_back(st.column_text(0), st.column_text(1));
  }
  return out;
}

Result<std::vector<KeyRow>> Index::keys() {
  PD_ASSIGN_OR_RETURN(
      Statement st, m_db.prepare("SELECT keyid, name, email, public_key FROM keys ORDER BY keyid"));
  std::vector<KeyRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3)});
  }
  return out;
}

Result<std::vector<TrustRow>> Index::trust() {
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare("SELECT keyid, predicate, source FROM trust "
                                                 "ORDER BY keyid, predicate"));
  std::vector<TrustRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
  }
  return out;
}

Result<StatusCounts> Index::counts() {
  PD_ASSIGN_OR_RETURN(Statement st,
                      m_db.prepare(std::string("SELECT e.status, e.status = 'valid' AND NOT ") +
                                   k_trusted_expr + ", count(*) FROM events e GROUP BY 1, 2"));
  StatusCounts c;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    std::string status = st.column_text(0);
    auto n = static_cast<std::size_t>(st.column_int(2));
    if (status == "valid")
      (st.column_int(1) ? c.untrusted : c.valid) += n;
    else if (status == "invalid")
      c.invalid += n;
    else if (status == "unknown-key")
      c.unknown_key += n;
    else if (status == "revoked")
      c.revoked += n;
    else if (status == "duplicate")
      c.duplicate += n;
  }
  PD_ASSIGN_OR_RETURN(Statement p, m_db.prepare("SELECT count(*) FROM problems"));
  PD_ASSIGN_OR_RETURN(bool row, p.step());
  if (row) c.problems = static_cast<std::size_t>(p.column_int(0));
  return c;
}

Result<std::optional<std::string>> Index::last_commit() {
  PD_ASSIGN_OR_RETURN(Statement st,
                      m_db.prepare("SELECT value FROM meta WHERE key = 'last_commit'"));
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.column_text(0));
}

}  // namespace pedigree::index
