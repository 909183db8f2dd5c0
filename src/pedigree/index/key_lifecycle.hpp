// Internal to index/: applies the ledger's `key` events (ledger/key_event.hpp)
// to the index inside the caller's transaction, after the events and the
// trust table are written, so an incremental update equals a rebuild.
//
// - A key retired as compromised: every other event it signed becomes
//   `revoked` (error: which key event retired it), earlier ones included.
// - A key rotated: its events absent from the ledger commit the rotation
//   names become `revoked`; the others keep their status. Without the git
//   repository (a working tree indexed by `verify`) rotations revoke nothing.
// - Trust follows a rotation's successor: the successor gets the old key's
//   trust rows (same predicates, same source), transitively, unless the old
//   key was also retired as compromised or its key events name different
//   successors (then no successor inherits anything).
// Derived trust rows are listed in meta 'successor_trust' so that
// trust_matches() compares only the user's and the pinned entries.
#pragma once

#include <set>
#include <string>
#include <tuple>

#include "pedigree/index/sqlite.hpp"
#include "pedigree/ledger/git.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

// `repo` may be nullptr (no history to judge rotations by).
Result<void> apply_key_lifecycle(Database& db, const ledger::GitRepo* repo);

// The trust rows (keyid, predicate, source) apply_key_lifecycle derived.
Result<std::set<std::tuple<std::string, std::string, std::string>>> successor_trust_rows(
    Database& db);

}  // namespace pedigree::index
