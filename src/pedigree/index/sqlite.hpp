// RAII over SQLite: a database handle, prepared statements and a transaction
// that rolls back unless committed. Errors become Result values naming the
// database file and the SQL at fault.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace pedigree::index {

class Statement;

class Database {
public:
  // Opens (creating if needed) `path`; ":memory:" for a private in-memory database.
  static Result<Database> open(const std::string& path);

  // Runs one or more SQL statements without results.
  Result<void> exec(std::string_view sql);
  // Compiles one statement (cached by the caller as needed).
  Result<Statement> prepare(std::string_view sql);
  // PRAGMA user_version.
  Result<int> user_version();
  std::int64_t changes() const;
  const std::string& path() const { return m_path; }
  sqlite3* handle() const { return m_db.get(); }

private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  std::unique_ptr<sqlite3, Closer> m_db;
  std::string m_path;
};

// A prepared statement. Bind parameters are 1-based, as in SQLite.
class Statement {
public:
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  // Binds raw bytes as a BLOB (copied).
  Statement& bind_blob(int index, ByteView bytes);
  Statement& bind_null(int index);
  // Advances: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE) and resets.
  Result<void> run();
  // Resets for re-use and clears bindings.
  void reset();
  std::string column_text(int index) const;
  // A BLOB column's bytes (copied; empty for NULL).
  std::string column_blob(int index) const;
  std::int64_t column_int(int index) const;
  bool column_is_null(int index) const;

private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3_stmt* stmt, const Database* db) : m_stmt(stmt), m_db(db) {}
  std::unique_ptr<sqlite3_stmt, Finalizer> m_stmt;
  const Database* m_db;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

private:
  explicit Transaction(Database* db) : m_db(db) {}
  Database* m_db = nullptr;
};

// BEGIN (deferred) on construction, COMMIT on destruction: a series of reads
// sees one snapshot and takes the database's shared lock once, not per query.
class ReadTransaction {
public:
  static Result<ReadTransaction> begin(Database& db);
  ReadTransaction(ReadTransaction&& other) noexcept;
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ~ReadTransaction();

private:
  explicit ReadTransaction(Database* db) : m_db(db) {}
  Database* m_db = nullptr;
};

}  // namespace pedigree::index
