// SQLite connections to one index file, shared by the server's threads: a
// connection (and its prepared statements) is used by one request at a time
// and returned for the next, so requests never share a handle and never pay
// for opening the file. Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "pedigree/index/index.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::serve {

class IndexPool {
public:
  explicit IndexPool(std::filesystem::path path) : m_path(std::move(path)) {}

  // A connection on loan; returned to the pool when destroyed.
  class Lease {
  public:
    Lease(IndexPool& pool, std::unique_ptr<index::Index> index)
        : m_pool(&pool), m_index(std::move(index)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    index::Index& operator*() { return *m_index; }
    index::Index* operator->() { return m_index.get(); }

  private:
    IndexPool* m_pool;
    std::unique_ptr<index::Index> m_index;
  };

  // An idle connection, or a new one (IOError/Corruption when the file cannot be opened).
  Result<Lease> acquire();

private:
  void give_back(std::unique_ptr<index::Index> index);

  std::filesystem::path m_path;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<index::Index>> m_idle;
};

}  // namespace pedigree::serve
