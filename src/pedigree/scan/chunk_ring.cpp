#include "pedigree/scan/chunk_ring.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>

namespace pedigree::scan {

ChunkRing::ChunkRing(std::size_t capacity, std::size_t chunk_bytes, std::size_t consumers)
    : m_chunk_bytes(chunk_bytes), m_slots(capacity), m_released(consumers, 0) {
  m_buffers.reserve(capacity);
  for (std::size_t i = 0; i < capacity; ++i) {
    // Anonymous pages are touched (made resident) only when first read into.
    void* p =
        mmap(nullptr, chunk_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    m_buffers.emplace_back(static_cast<std::uint8_t*>(p), Unmap{chunk_bytes});
  }
}

void ChunkRing::Unmap::operator()(std::uint8_t* p) const {
  if (p != nullptr) munmap(p, bytes);
}

std::uint64_t ChunkRing::slowest_consumer() const {
  if (m_released.empty()) return m_published;
  return *std::min_element(m_released.begin(), m_released.end());
}

Chunk* ChunkRing::acquire_for_write(std::uint64_t seq) {
  std::unique_lock lock(m_mutex);
  m_writable.wait(lock, [&] { return m_aborted || seq < slowest_consumer() + m_slots.size(); });
  if (m_aborted) return nullptr;
  return &m_slots[seq % m_slots.size()];
}

void ChunkRing::publish(std::uint64_t seq) {
  {
    std::lock_guard lock(m_mutex);
    m_published = seq + 1;
  }
  m_readable.notify_all();
}

void ChunkRing::finish() {
  {
    std::lock_guard lock(m_mutex);
    m_finished = true;
  }
  m_readable.notify_all();
}

void ChunkRing::abort() {
  {
    std::lock_guard lock(m_mutex);
    m_aborted = true;
  }
  m_readable.notify_all();
  m_writable.notify_all();
}

const Chunk* ChunkRing::acquire_for_read(std::size_t consumer, std::uint64_t seq) {
  (void)consumer;
  std::unique_lock lock(m_mutex);
  m_readable.wait(lock, [&] { return m_aborted || seq < m_published || m_finished; });
  if (m_aborted || seq >= m_published) return nullptr;
  return &m_slots[seq % m_slots.size()];
}

void ChunkRing::release(std::size_t consumer, std::uint64_t seq) {
  {
    std::lock_guard lock(m_mutex);
    m_released[consumer] = seq + 1;
  }
  m_writable.notify_one();
}

}  // namespace pedigree::scan
