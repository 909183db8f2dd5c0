// Internal to index/: applies key files, event files and problem files to the
// index tables inside the caller's transaction, keeping the ledger-wide rules
// (duplicates, revocations, keys arriving after their events) independent of
// the order files arrive in, so an incremental update equals a rebuild.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "pedigree/index/sqlite.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/verify.hpp"

namespace pedigree::index {

class Indexer {
public:
  // Reads a file's bytes back by its blob reference (to re-verify events
  // whose key arrives later).
  using BlobReader = std::function<Result<std::string>(const std::string& blob)>;

  Indexer(Database& db, BlobReader reader) : m_db(db), m_reader(std::move(reader)) {}

  // Loads the verified keys already in the index into the key ring.
  Result<void> load_keys();
  // Deletes every row derived from the ledger (keeps meta and trust).
  Result<void> clear();
  // A key file: verified, stored, and events waiting for it re-verified.
  Result<void> apply_key(const std::string& path, const std::string& bytes);
  // An event file with the result of ledger::verify_event_file for it.
  Result<void> apply_event(const std::string& path, const std::string& blob,
                           const std::string& bytes, Result<ledger::VerifiedEvent> verified);
  // A file that is not a valid ledger entry.
  Result<void> add_problem(const std::string& path, const std::string& error);

  const ledger::KeyRing& keys() const { return m_keys; }

private:
  Result<void> insert_event_row(const std::string& id, const std::string& path,
                                const std::string& subject, const std::string& signer,
                                const std::string& predicate, const std::string& status,
                                const std::string& error, const std::string& payload_sha,
                                const std::string& payload, const std::string& blob);
  Result<void> add_derived(const ledger::VerifiedEvent& ev);
  Result<void> remove_derived(const std::string& id, const std::string& subject);
  Result<void> set_status(const std::string& id, const std::string& status,
                          const std::string& error);

  // A cached prepared statement for `sql` (reset before it is returned).
  Result<Statement*> sql(const char* text);

  Database& m_db;
  BlobReader m_reader;
  std::unordered_map<const char*, std::unique_ptr<Statement>> m_cache;
  ledger::KeyRing m_keys;
};

}  // namespace pedigree::index
