// A bounded ring of read buffers shared by one producer and several consumers.
//
// The producer (the thread that reads the file) fills slot `seq % capacity`
// and publishes it; every consumer then sees every chunk, in order, exactly
// once. A slot is refilled only after all consumers have released it, so
// memory is capacity * chunk_bytes whatever the file size, and the slowest
// consumer sets the pace. Internal to scan/.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "pedigree/util/bytes.hpp"

namespace pedigree::scan {

// One chunk of one source file. `first`/`last` mark the source's first and
// last chunk (both on the single, empty chunk of an empty file).
struct Chunk {
  std::uint32_t source = 0;
  std::uint64_t source_size = 0;
  std::uint64_t offset = 0;
  std::size_t size = 0;
  bool first = false;
  bool last = false;
  // The bytes: the ring's buffer for this slot (see buffer()) or a view into
  // a memory map the producer owns.
  const std::uint8_t* data = nullptr;

  ByteView bytes() const { return {data, size}; }
};

class ChunkRing {
public:
  ChunkRing(std::size_t capacity, std::size_t chunk_bytes, std::size_t consumers);

  std::size_t chunk_bytes() const { return m_chunk_bytes; }
  std::size_t capacity() const { return m_slots.size(); }
  // Producer: the ring's own buffer (chunk_bytes) for chunk `seq`, to read
  // into after acquire_for_write(seq). Its pages are touched only when used.
  std::uint8_t* buffer(std::uint64_t seq) { return m_buffers[seq % m_buffers.size()].get(); }

  // Producer: waits until slot `seq` is free (every consumer released seq - capacity)
  // and returns it for filling; nullptr once aborted.
  Chunk* acquire_for_write(std::uint64_t seq);
  // Producer: makes chunk `seq` visible to consumers.
  void publish(std::uint64_t seq);
  // Producer: no chunk follows the published ones.
  void finish();
  // Any thread: stop everything (consumers return nullptr, the producer too).
  void abort();

  // Consumer `consumer`: waits for chunk `seq`; nullptr at the end or on abort.
  const Chunk* acquire_for_read(std::size_t consumer, std::uint64_t seq);
  // Consumer: done with chunk `seq` (its slot may be reused).
  void release(std::size_t consumer, std::uint64_t seq);

private:
  // A buffer mapped from the system and unmapped when the ring goes: a
  // long-lived process (`pedigree serve`) gets every ring's pages back at
  // once, where malloc would keep a freed 8 MiB chunk in the arena of the
  // thread that allocated it (glibc raises its mmap threshold after the
  // first such free), one arena per upload thread, and grow (measured:
  // +62 MB of peak RSS per .ckpt upload, docs/benchmarks.md#serve).
  struct Unmap {
    std::size_t bytes = 0;
    void operator()(std::uint8_t* p) const;
  };
  using Buffer = std::unique_ptr<std::uint8_t[], Unmap>;

  std::uint64_t slowest_consumer() const;

  std::size_t m_chunk_bytes;
  std::vector<Buffer> m_buffers;
  std::vector<Chunk> m_slots;
  std::vector<std::uint64_t> m_released;  // per consumer: chunks released so far
  std::uint64_t m_published = 0;
  bool m_finished = false;
  bool m_aborted = false;
  std::mutex m_mutex;
  std::condition_variable m_readable;
  std::condition_variable m_writable;
};

}  // namespace pedigree::scan
