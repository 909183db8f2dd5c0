// The index is a cache that cannot lie (docs/formats/index.md, "Integrity").
// Every row a query returns is checked against what it claims before it is
// used, and a mismatch is an error, never a silently skipped row:
//   - an events row: SHA-256 of its payload equals its payload_sha256 (and a
//     valid event has a payload), and SHA-256 of every other column equals
//     its row_sha256 (so the status, signer, subject and predicate a verdict
//     rests on cannot change unnoticed: schema/004_row_digest.sql);
//   - an edges or aliases row: the verified payload of its event declares it
//     (re-derived here exactly as the indexer derives it);
//   - the edges of a child: the same set from the edges table and from the
//     child's valid lineage events (a row lost from either side shows);
//   - the reference models (role base / nai-*): their set hashes to the
//     digest recorded in meta.reference_rows at the last update.
// The error is Corruption: "the index is damaged (...): run `pedigree index
// rebuild`" (exit 4), so no verdict is ever drawn from a damaged index.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pedigree/index/index.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

// The error every integrity check returns, naming what did not match.
std::unexpected<Error> damaged(const std::string& what);

// The columns of an events row, as stored (digests in lower-case hex).
struct EventColumns {
  std::string id, path, subject, signer, predicate, status, error, payload, payload_sha256, blob,
      row_sha256;
};

// The columns of the events row aliased `e` that check_event_columns reads, in
// its order: a query appends them to its SELECT list (k_event_column_count of them).
inline constexpr const char* k_event_columns =
    "e.id, e.path, e.subject, e.signer, e.predicate, e.status, e.error, e.payload, "
    "lower(hex(e.payload_sha256)), e.blob, lower(hex(e.row_sha256))";
inline constexpr int k_event_column_count = 11;

// The row digest of `row` (lower-case hex SHA-256 over every column but the
// payload, which payload_sha256 covers, and row_sha256 itself), as the indexer
// stores it in events.row_sha256.
std::string event_row_digest(const EventColumns& row);

// Checks one events row: the payload against payload_sha256 and the row
// against row_sha256. Corruption (damaged()) on a mismatch.
Result<void> check_event_row(const EventColumns& row);

// Reads the k_event_columns of `st` starting at column `first` and checks them.
Result<EventColumns> check_event_columns(const Statement& st, int first);

// Recomputes events.row_sha256 of row `id` after an UPDATE of its columns.
Result<void> seal_event_row(Database& db, std::string_view id);

// The edges the verified lineage payload of event `id` declares, as the
// indexer stores them (signer and trust left empty).
Result<std::vector<EdgeRow>> edges_of_payload(std::string_view id, std::string_view payload);

// Whether the verified payload of event `id` declares alias (value, kind)
// for artifact `sha256`, as the indexer derives aliases.
Result<bool> payload_declares_alias(std::string_view id, std::string_view payload,
                                    std::string_view value, std::string_view kind,
                                    std::string_view sha256);

// The same edge (every stored field equal).
bool same_edge(const EdgeRow& a, const EdgeRow& b);

// The reference-model rows (valid model events with a role), each events row
// checked; not yet compared with meta.reference_rows (Index::reference_models does).
Result<std::vector<ReferenceRow>> read_reference_rows(Database& db);

// Checks every row of `index` against what it claims: each event's payload
// digest, the reference-model set, every edge and alias against its event.
// Corruption naming the first mismatch. Reads the whole index: for `index
// status`, not for every query.
Result<void> check_integrity(Index& index);

// The digest of a set of reference rows (order-independent), as stored in
// meta.reference_rows.
std::string reference_digest(std::vector<ReferenceRow> rows);

}  // namespace pedigree::index
