// Index lookups used by `pedigree check` (declared in index.hpp): reference
// models by role, subjects by name, fingerprints of a subject. The model
// queries repeat the partial-index condition of schema/002_lookup.sql
// verbatim so SQLite can use those indexes instead of scanning every event.
#include <algorithm>

#include "pedigree/index/index.hpp"

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
      index.database().prepare("SELECT e.id, e.path, e.subject, e.signer, e.predicate, e.status, "
                               "e.error, e.payload, e.status = 'valid' AND EXISTS (SELECT 1 FROM "
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
    out.push_back({m_st.column_text(0), m_st.column_text(1), m_st.column_text(2),
                   m_st.column_text(3), m_st.column_text(4), m_st.column_text(5),
                   m_st.column_text(6), m_st.column_text(7), m_st.column_int(8) != 0});
  }
  return out;
}

Result<std::vector<ReferenceRow>> Index::reference_models() {
  const std::string q =
      "SELECT e.id, e.subject, e.signer, json_extract(e.payload, '$.predicate.role'), " +
      trusted_for("model") + " FROM events e WHERE " + k_model_rows +
      " AND json_extract(e.payload, '$.predicate.role') IN ('base', 'nai-leak', 'nai-official', "
      "'nai-vae', 'independent') AND e.status = 'valid' ORDER BY e.subject, e.id";
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
  std::vector<ReferenceRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_int(4) != 0});
  }
  return out;
}

Result<std::vector<std::string>> Index::subjects_named(
    const std::vector<std::string>& lower_names) {
  std::vector<std::string> out;
  // One indexed equality lookup per (name, column): each is a b-tree probe.
  for (const char* column : {"lower(json_extract(e.payload, '$.predicate.title'))",
                             "lower(json_extract(e.payload, '$.predicate.file_name'))",
                             "lower(json_extract(e.payload, '$.subject[0].name'))"}) {
    const std::string q = std::string("SELECT DISTINCT e.subject FROM events e WHERE ") +
                          k_model_rows + " AND e.status = 'valid' AND " + column +
                          " = ?1 LIMIT 1000";
    PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
    for (const auto& name : lower_names) {
      st.reset();
      st.bind(1, name);
      while (out.size() < 1000) {
        PD_ASSIGN_OR_RETURN(bool row, st.step());
        if (!row) break;
        std::string subject = st.column_text(0);
        if (std::find(out.begin(), out.end(), subject) == out.end())
          out.push_back(std::move(subject));
      }
    }
  }
  return out;
}

Result<std::vector<FingerprintRow>> Index::fingerprints_of(std::string_view subject) {
  const std::string q =
      "SELECT f.event, f.subject, e.signer, f.spec, "
      "json_extract(e.payload, '$.predicate.data'), " +
      trusted_for("fingerprint") +
      " FROM fingerprints f JOIN events e ON e.id = f.event WHERE f.subject = ?1 "
      "AND e.status = 'valid' ORDER BY f.event";
  PD_ASSIGN_OR_RETURN(Statement st, m_db.prepare(q));
  st.bind(1, subject);
  std::vector<FingerprintRow> out;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_text(4), st.column_int(5) != 0});
  }
  return out;
}

}  // namespace pedigree::index
