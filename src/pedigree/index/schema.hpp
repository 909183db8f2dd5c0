// The index schema: migrations schema/NNN_*.sql (embedded at build time),
// applied in order; PRAGMA user_version records how many ran.
#pragma once

#include "pedigree/index/sqlite.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

// Number of migrations built into this pedigree (the current schema version).
int schema_version();

// Brings `db` to schema_version(), each migration in its own transaction
// (safe when several processes open a new index at once).
// NotSupported if the database is newer than this pedigree.
Result<void> migrate(Database& db);

}  // namespace pedigree::index
