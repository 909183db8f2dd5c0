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
  if (version > schema_version()) {
    return not_supported(db.path() + ": index schema version " + std::to_string(version) +
                         " is newer than this pedigree (" + std::to_string(schema_version()) + ")");
  }
  for (int i = version; i < schema_version(); ++i) {
    PD_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
    auto applied = db.exec(k_migrations[i].sql);
    if (!applied) return std::unexpected(applied.error().with_context(k_migrations[i].name));
    PD_TRY(db.exec("PRAGMA user_version = " + std::to_string(i + 1)));
    PD_TRY(tx.commit());
  }
  return {};
}

}  // namespace pedigree::index
