#include "pedigree/index/schema.hpp"

#include <string>

namespace pedigree::index {
namespace {

struct Migration {
  const char* name;
  const char* sql;
};

constexpr Migration k_migrations[] = {
#include "pedigree/index/schema_sql.inc"
};

}  // namespace

int schema_version() {
  return static_cast<int>(std::size(k_migrations));
}

Result<void> migrate(Database& db) {
  PD_ASSIGN_OR_RETURN(int version, db.user_version());
  while (true) {
    if (version > schema_version()) {
      return not_supported(db.path() + ": index schema version " + std::to_string(version) +
                           " is newer than this pedigree (" + std::to_string(schema_version()) +
                           ")");
    }
    if (version == schema_version()) return {};
    // Several first commands may open a new index at once: each step reads the
    // version again under the write lock (BEGIN IMMEDIATE), so only one of them
    // applies a migration and the others see it done ("table meta already exists"
    // otherwise).
    PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
    PD_ASSIGN_OR_RETURN(version, db.user_version());
    if (version >= schema_version()) continue;
    auto applied = db.exec(k_migrations[version].sql);
    if (!applied) return std::unexpected(applied.error().with_context(k_migrations[version].name));
    PD_TRY(db.exec("PRAGMA user_version = " + std::to_string(version + 1)));
    PD_TRY(tx.commit());
    ++version;
  }
}

}  // namespace pedigree::index
