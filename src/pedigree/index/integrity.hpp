// The index is a cache that cannot lie (docs/formats/index.md, "Integrity").
// Every row a query returns is checked against what it claims before it is
// used, and a mismatch is an error, never a silently skipped row:
//   - an events row: SHA-256 of its payload equals its payload_sha256 (and a
//     valid event has a payload);
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

// Checks one events row (payload_sha256_hex: lower-case hex of the stored bytes).
Result<void> check_event_row(std::string_view id, std::string_view status, std::string_view payload,
                             std::string_view payload_sha256_hex);

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
