// The index's table of signatures already verified (schema/006_verified_signatures.sql,
// docs/formats/index.md "Verified signatures"): event files whose envelope signature was
// checked with Ed25519 once, by the index or by sync, need not be checked again by a
// rebuild or an update. Rows are facts about bytes and keys, never about trust, and are
// used only through ledger::verify_event_file, which hashes the bytes it is given and
// finds the signer in the ledger's key ring before it consults them.
#pragma once

#include <string_view>
#include <vector>

#include "pedigree/index/sqlite.hpp"
#include "pedigree/index/verify_pipeline.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

// The rows about the event ids the paths of `files` claim (a row about other
// bytes is never returned: verify_event_file checks the bytes hash to the id).
// A row whose columns are not 32 bytes each is ignored (a damaged row costs a
// verification, never vouches).
Result<ledger::VerifiedSignatures> remembered_signatures(Database& db,
                                                         const std::vector<EventFile>& files);

// Records that the event file whose SHA-256 is `event_sha256` (hex) carries a
// valid signature by `keyid` (hex). Inside the caller's transaction. `st` is
// the prepared k_remember_signature statement.
inline constexpr const char* k_remember_signature =
    "INSERT OR IGNORE INTO verified_signatures(event_sha256, keyid) VALUES (?1, ?2)";
Result<void> remember_signature(Statement& st, std::string_view event_sha256,
                                std::string_view keyid);

}  // namespace pedigree::index
