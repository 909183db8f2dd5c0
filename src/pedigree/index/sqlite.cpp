#include "pedigree/index/sqlite.hpp"

#include <sqlite3.h>

#include <mutex>

namespace pedigree::index {
namespace {

std::unexpected<Error> sqlite_failure(sqlite3* db, const std::string& where, std::string_view sql) {
  std::string msg = where + ": " + (db ? sqlite3_errmsg(db) : "cannot open database");
  if (!sql.empty()) msg += " (in: " + std::string(sql.substr(0, 80)) + ")";
  int code = db ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return corruption(msg);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return conflict(msg);
  return io_error(msg);
}

// Before SQLite's first use in the process: no global memory statistics.
// With them on (the default), every allocation SQLite makes takes one
// process-wide mutex, which the server's pooled connections, each on its own
// thread, then wait on (perf: lock waits ~11% of `pedigree serve`'s CPU on
// uncached verdicts). pedigree reads no SQLite memory statistics and sets no
// soft heap limit, the only users of them.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}
void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

Result<Database> Database::open(const std::string& path) {
  configure_sqlite_once();
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, path);  // sqlite3_open_v2 may return a handle even on failure: own it first
  if (rc != SQLITE_OK) return sqlite_failure(raw, path, "");
  sqlite3_busy_timeout(raw, 30'000);
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return sqlite_failure(m_db.get(), m_path, sql);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_failure(m_db.get(), m_path, sql);
  }
  return Statement(stmt, this);
}

Result<int> Database::user_version() {
  PD_ASSIGN_OR_RETURN(Statement st, prepare("PRAGMA user_version"));
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  return row ? static_cast<int>(st.column_int(0)) : 0;
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(m_db.get());
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_stmt.get(), index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt.get(), index, value);
  return *this;
}

Statement& Statement::bind_blob(int index, ByteView bytes) {
  // A non-null pointer even for zero bytes: SQLite binds NULL for a null pointer.
  static const std::uint8_t k_empty = 0;
  sqlite3_bind_blob(m_stmt.get(), index, bytes.empty() ? &k_empty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(m_stmt.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_failure(m_db->handle(), m_db->path(), sqlite3_sql(m_stmt.get()));
}

Result<void> Statement::run() {
  auto r = step();
  reset();
  if (!r) return std::unexpected(r.error());
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_stmt.get());
  sqlite3_clear_bindings(m_stmt.get());
}

std::string Statement::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(m_stmt.get(), index);
  int len = sqlite3_column_bytes(m_stmt.get(), index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(len))
              : std::string();
}

std::string Statement::column_blob(int index) const {
  const void* data = sqlite3_column_blob(m_stmt.get(), index);
  int len = sqlite3_column_bytes(m_stmt.get(), index);
  return data ? std::string(static_cast<const char*>(data), static_cast<std::size_t>(len))
              : std::string();
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(m_stmt.get(), index);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(m_stmt.get(), index) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Database& db) {
  PD_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() {
  if (m_db) (void)m_db->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!m_db) return internal_error("transaction already finished");
  PD_TRY(m_db->exec("COMMIT"));
  m_db = nullptr;
  return {};
}

Result<ReadTransaction> ReadTransaction::begin(Database& db) {
  PD_TRY(db.exec("BEGIN"));
  return ReadTransaction(&db);
}

ReadTransaction::ReadTransaction(ReadTransaction&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)) {}

ReadTransaction::~ReadTransaction() {
  if (m_db) (void)m_db->exec("COMMIT");
}

}  // namespace pedigree::index
