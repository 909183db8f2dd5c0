// Answers the server has given, kept for the next identical request: the
// JSON API's answers depend only on the request and the index, and the
// index changes only when another process commits to it, which moves the
// pool's generation (index_pool.hpp); an entry is served only under the
// generation it was made in. Least recently used entries go first once the
// entries' bytes pass the budget (`--cache-bytes`, docs/serve.md), so memory
// stays bounded however many different requests come. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace pedigree::serve {

struct Reply;

class ReplyCache {
public:
  // `budget_bytes` 0 disables the cache.
  explicit ReplyCache(std::size_t budget_bytes) : m_budget(budget_bytes) {}

  // The reply stored for `key` under `generation`, if any.
  std::shared_ptr<const Reply> get(const std::string& key, std::uint64_t generation);
  // Stores `reply` (a copy) for `key`; a reply larger than a quarter of the
  // budget is not kept (it would push out many others).
  void put(const std::string& key, std::uint64_t generation, const Reply& reply);

  std::size_t bytes() const;

private:
  struct Entry {
    std::uint64_t generation;
    std::shared_ptr<const Reply> reply;
    std::size_t bytes;
    std::list<std::string>::iterator position;  // in m_order
  };
  void evict_over_budget();

  std::size_t m_budget;
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, Entry> m_entries;
  std::list<std::string> m_order;  // most recently used first
  std::size_t m_bytes = 0;
};

}  // namespace pedigree::serve
