// SQLite connections to one index file, shared by the server's threads: a
// connection (and its prepared statements) is used by one request at a time
// and returned for the next, so requests never share a handle and never pay
// for opening the file. Thread-safe.
//
// The pool also says when the index may have changed under the server (a
// `pedigree sync` or `index rebuild` in another process): a generation
// number that moves whenever any connection sees another process's commit
// (SQLite's PRAGMA data_version) or a new connection is opened, so answers
// cached under one generation are never served under another (reply_cache.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "pedigree/index/index.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::serve {

class IndexPool {
  struct Connection {
    index::Index index;
    std::int64_t data_version = -1;  // as last read on this connection; -1: never
  };

public:
  explicit IndexPool(std::filesystem::path path) : m_path(std::move(path)) {}

  // A connection on loan; returned to the pool when destroyed.
  class Lease {
  public:
    Lease(IndexPool& pool, std::unique_ptr<Connection> connection)
        : m_pool(&pool), m_connection(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    index::Index& operator*() { return m_connection->index; }
    index::Index* operator->() { return &m_connection->index; }

  private:
    friend class IndexPool;
    IndexPool* m_pool;
    std::unique_ptr<Connection> m_connection;
  };

  // An idle connection, or a new one (IOError/Corruption when the file cannot be opened).
  Result<Lease> acquire();

  // The index's generation as `lease`'s connection sees it now (one PRAGMA):
  // equal numbers mean no commit by another process came in between, as far
  // as any connection of the pool has seen. Errors from SQLite.
  Result<std::uint64_t> generation(Lease& lease);

private:
  void give_back(std::unique_ptr<Connection> connection);

  std::filesystem::path m_path;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Connection>> m_idle;
  std::atomic<std::uint64_t> m_generation{0};
};

}  // namespace pedigree::serve
