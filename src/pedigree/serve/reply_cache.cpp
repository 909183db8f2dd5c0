#include "pedigree/serve/reply_cache.hpp"

#include "pedigree/serve/api.hpp"

namespace pedigree::serve {

std::shared_ptr<const Reply> ReplyCache::get(const std::string& key, std::uint64_t generation) {
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(key);
  if (it == m_entries.end()) return nullptr;
  if (it->second.generation != generation) {  // made before the index changed
    m_bytes -= it->second.bytes;
    m_order.erase(it->second.position);
    m_entries.erase(it);
    return nullptr;
  }
  m_order.splice(m_order.begin(), m_order, it->second.position);
  return it->second.reply;
}

void ReplyCache::put(const std::string& key, std::uint64_t generation, const Reply& reply) {
  // What an entry costs: its key twice (map and list), the body, bookkeeping.
  const std::size_t bytes = 2 * key.size() + reply.body.size() + reply.content_type.size() + 128;
  if (m_budget == 0 || bytes > m_budget / 4) return;
  auto shared = std::make_shared<const Reply>(reply);
  std::lock_guard lock(m_mutex);
  if (auto it = m_entries.find(key); it != m_entries.end()) {
    m_bytes -= it->second.bytes;
    m_order.erase(it->second.position);
    m_entries.erase(it);
  }
  m_order.push_front(key);
  m_entries.emplace(key, Entry{generation, std::move(shared), bytes, m_order.begin()});
  m_bytes += bytes;
  evict_over_budget();
}

std::size_t ReplyCache::bytes() const {
  std::lock_guard lock(m_mutex);
  return m_bytes;
}

void ReplyCache::evict_over_budget() {
  while (m_bytes > m_budget && !m_order.empty()) {
    auto it = m_entries.find(m_order.back());
    m_bytes -= it->second.bytes;
    m_entries.erase(it);
    m_order.pop_back();
  }
}

}  // namespace pedigree::serve
