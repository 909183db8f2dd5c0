// Index lookups used by `pedigree check` (declared in index.hpp): reference
// models by role, subjects by name, fingerprints of a subject. The model
// queries repeat the partial-index condition of schema/002_lookup.sql
// verbatim so SQLite can use those indexes instead of scanning every event.
#include <algorithm>

#include "pedigree/index/index.hpp"
#include "pedigree/index/integrity.hpp"

namespace pedigree::index {
namespace {

constexpr const char* k_model_rows = "e.predicate = 'model' AND json_valid(e.payload)";

std::string trusted_for(const char* predicate) {
  return std::string("EXISTS (SELECT 1 FROM trust t WHERE t.keyid = e.signer AND t.predicate = '") +
         predicate + "')";
}

}  // namespace

Result<SubjectEvents> SubjectEvents::prepare(Index& index) {
  PD_ASSIGN_OR_RETURN(
      Statement st,
      index.database().prepare(std::string("SELECT ") + k_event_columns +
                               ", e.status = 'valid' AND EXISTS (SELECT 1 FROM "
                               "trust t WHERE t.keyid = e.signer AND t.predicate = e.predicate) "
                               "FROM events e WHERE e.subject = ?1 ORDER BY e.path"));
  return SubjectEvents(std::move(st));
}

Result<std::vector<EventRow>> SubjectEvents::of(std::string_view subject) {
  m_st.reset();
  m_st.bind(1, subject);
  std::vector<EventRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, m_st.step());
    if (!row) break;
    PD_ASSIGN_OR_RETURN(EventColumns e, check_event_columns(m_st, 0));
    out.push_back({e.id, e.path, e.subject, e.signer, e.predicate, e.status, e.error, e.payload,
                   m_st.column_int(k_event_column_count) != 0});
  }
  return out;
}

Result<std::vector<ReferenceRow>> read_reference_rows(Database& db) {
  const std::string q =
      "SELECT e.id, e.subject, e.signer, json_extract(e.payload, '$.predicate.role'), " +
      trusted_for("model") + " AND " + trusted_for("reference") + ", " + k_event_columns +
      " FROM events e WHERE " + k_model_rows +
      " AND json_extract(e.payload, '$.predicate.role') IN ('base', 'nai-leak', 'nai-official', "
      "'nai-vae', 'independent') AND e.status = 'valid' ORDER BY e.subject, e.id";
  PD_ASSIGN_OR_RETURN(Statement st, db.prepare(q));
  std::vector<ReferenceRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_TRY(check_event_columns(st, 5));
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_int(4) != 0});
  }
  return out;
}

Result<std::vector<ReferenceRow>> Index::reference_models() {
  PD_ASSIGN_OR_RETURN(auto rows, read_reference_rows(m_db));
  // A row the lookup no longer finds (a damaged role or index entry) shows
  // here: the set must be the one recorded at the last update.
  PD_ASSIGN_OR_RETURN(Statement st,
                      m_db.prepare("SELECT value FROM meta WHERE key = 'reference_rows'"));
  PD_ASSIGN_OR_RETURN(bool found, st.step());
  if (!found || st.column_text(0) != reference_digest(rows)) {
    return damaged("the reference models differ from those recorded at the last update");
  }
  return rows;
}

Result<std::vector<std::string>> Index::subjects_with_identity(std::string_view field,
                                                               const std::string& value,
                                                               bool prefix) {
  constexpr std::size_t k_limit = 1000;
  const std::string column = field == "hf_repo"
                                 ? "lower(json_extract(e.payload, '$.predicate.hf_repo'))"
                                 : "json_extract(e.payload, '$.predicate.civitai_version')";
  const std::string where = prefix ? column + " >= ?1 AND " + column + " < ?2" : column + " = ?1";
  PD_ASSIGN_OR_RETURN(Statement st,
                      m_db.prepare(std::string("SELECT e.subject, ") + trusted_for("model") +
                                   " AS trusted, " + k_event_columns + " FROM events e WHERE " +
                                   k_model_rows + " AND e.status = 'valid' AND " + where +
                                   " ORDER BY trusted DESC LIMIT " + std::to_string(2 * k_limit)));
  st.bind(1, value);
  if (prefix) st.bind(2, value + "\x7f");
  std::vector<std::string> trusted, others;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_TRY(check_event_columns(st, 2));
    auto& list = st.column_int(1) != 0 ? trusted : others;
    if (list.size() < k_limit &&
        std::find(list.begin(), list.end(), st.column_text(0)) == list.end())
      list.push_back(st.column_text(0));
  }
  for (auto& s : others)
    if (trusted.size() < k_limit && std::find(trusted.begin(), trusted.end(), s) == trusted.end())
      trusted.push_back(std::move(s));
  return trusted;
}

Result<std::vector<std::string>> Index::subjects_named(
    const std::vector<std::string>& lower_names) {
  constexpr std::size_t k_limit = 1000;
  // Subjects named by a signer trusted for 'model' first, then the others:
  // untrusted events giving the same name cannot push a trusted one past the limit.
  std::vector<std::string> trusted, others;
  auto add = [](std::vector<std::string>& list, std::string subject) {
    if (list.size() < k_limit && std::find(list.begin(), list.end(), subject) == list.end())
      list.push_back(std::move(subject));
  };
  // One indexed equality lookup per (name, column): each is a b-tree probe.
  for (const char* column : {"lower(json_extract(e.payload, '$.predicate.title'))",
                             "lower(json_extract(e.payload, '$.predicate.file_name'))",
                             "lower(json_extract(e.payload, '$.subject[0].name'))"}) {
    const std::string q = std::string("SELECT e.subject, ") + trusted_for("model") +
                          " AS trusted, " + k_event_columns + " FROM events e WHERE " +
                          k_model_rows + " AND e.status = 'valid' AND " + column +
                          " = ?1 ORDER BY trusted DESC LIMIT " + std::to_string(2 * k_limit);
    PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
    for (const auto& name : lower_names) {
      st.reset();
      st.bind(1, name);
      while (true) {
        PD_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        PD_TRY(check_event_columns(st, 2));
        add(st.column_int(1) != 0 ? trusted : others, st.column_text(0));
      }
    }
  }
  for (auto& s : others)
    if (std::find(trusted.begin(), trusted.end(), s) == trusted.end()) add(trusted, std::move(s));
  return trusted;
}

Result<std::vector<NameMatch>> Index::names_with_prefix(std::string_view lower_prefix,
                                                        std::size_t limit) {
  std::vector<NameMatch> out;
  if (lower_prefix.empty() || limit == 0) return out;
  // A range probe of the expression indexes: [prefix, prefix + U+10FFFF).
  const std::string high = std::string(lower_prefix) + "\xf4\x8f\xbf\xbf";
  for (const char* field : {"title", "file_name"}) {
    const std::string raw = std::string("json_extract(e.payload, '$.predicate.") + field + "')";
    const std::string column = "lower(" + raw + ")";
    const std::string q = std::string("SELECT e.subject, ") + raw + ", " + trusted_for("model") +
                          " AS trusted, " + k_event_columns + " FROM events e WHERE " +
                          k_model_rows + " AND e.status = 'valid' AND " + column + " >= ?1 AND " +
                          column + " < ?2 ORDER BY " + column + " LIMIT " +
                          std::to_string(4 * limit);
    PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
    st.bind(1, lower_prefix);
    st.bind(2, high);
    while (out.size() < limit) {
      PD_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      PD_TRY(check_event_columns(st, 3));
      std::string subject = st.column_text(0);
      const bool trusted = st.column_int(2) != 0;
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const NameMatch& m) { return m.sha256 == subject; });
      if (same != out.end()) {
        same->trusted = same->trusted || trusted;
        continue;
      }
      out.push_back({std::move(subject), st.column_text(1), trusted});
    }
  }
  std::stable_partition(out.begin(), out.end(), [](const NameMatch& m) { return m.trusted; });
  return out;
}

Result<std::vector<FingerprintRow>> Index::fingerprints_of(std::string_view subject) {
  const std::string q =
      "SELECT f.event, f.subject, e.signer, f.spec, "
      "json_extract(e.payload, '$.predicate.data'), " +
      trusted_for("fingerprint") +
      ", f.spec IS json_extract(e.payload, '$.predicate.spec') AND f.subject = e.subject, " +
      k_event_columns +
      " FROM fingerprints f JOIN events e ON e.id = f.event WHERE f.subject = ?1 "
      "AND e.status = 'valid' ORDER BY f.event";
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
  st.bind(1, subject);
  std::vector<FingerprintRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    PD_TRY(check_event_columns(st, 7));
    if (st.column_int(6) == 0) {
      return damaged("fingerprint row of event " + st.column_text(0) + " differs from its event");
    }
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_text(4), st.column_int(5) != 0});
  }
  return out;
}

}  // namespace pedigree::index
