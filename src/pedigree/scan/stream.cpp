#include "pedigree/scan/stream.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace pedigree::scan {

StreamScan::StreamScan(formats::Checkpoint checkpoint, const ScanOptions& options)
    : m_checkpoint(std::move(checkpoint)), m_options(options) {}

Result<std::unique_ptr<StreamScan>> StreamScan::start(formats::Checkpoint checkpoint,
                                                      std::span<ByteSink* const> byte_sinks,
                                                      std::span<TensorSink* const> tensor_sinks,
                                                      const ScanOptions& options) {
  if (checkpoint.sources.size() != 1 || checkpoint.source_sizes.size() != 1)
    return invalid_argument("a stream scan needs exactly one source and its size");
  std::unique_ptr<StreamScan> scan(new StreamScan(std::move(checkpoint), options));
  const formats::Checkpoint& ck = scan->m_checkpoint;
  scan->m_size = ck.source_sizes[0];
  PD_ASSIGN_OR_RETURN(
      auto jobs, plan_tensor_jobs(ck, ck.source_sizes, tensor_sinks, options.max_gather_bytes));
  unsigned lanes = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  for (auto& group : assign_lanes(std::move(jobs), lanes))
    scan->m_lanes.emplace_back(std::move(group), ck);
  const std::size_t chunk_bytes = std::max<std::size_t>(options.chunk_bytes, 64);
  scan->m_ring = std::make_unique<ChunkRing>(std::max<std::size_t>(options.ring_chunks, 2),
                                             chunk_bytes, byte_sinks.size() + scan->m_lanes.size());
  std::size_t consumer = 0;
  for (auto* sink : byte_sinks)
    scan->m_workers.emplace_back(run_byte_sink, std::ref(*scan->m_ring), consumer++,
                                 std::ref(*sink));
  for (auto& lane : scan->m_lanes)
    scan->m_workers.emplace_back(run_lane, std::ref(*scan->m_ring), consumer++, std::ref(lane));
  return scan;
}

StreamScan::~StreamScan() {
  if (!m_done) stop(/*aborted=*/true);
}

void StreamScan::stop(bool aborted) {
  m_done = true;
  if (aborted)
    m_ring->abort();
  else
    m_ring->finish();
  m_workers.clear();  // joins
}

void StreamScan::publish_current(bool last) {
  m_current->last = last;
  m_ring->publish(m_seq++);
  m_current = nullptr;
}

Result<void> StreamScan::write(ByteView bytes) {
  if (m_done) return invalid_argument("stream scan already ended");
  if (bytes.size() > m_size - m_offset) {
    stop(true);
    return invalid_argument(m_checkpoint.sources[0].string() + ": more than the declared " +
                            std::to_string(m_size) + " bytes");
  }
  while (!bytes.empty()) {
    PD_ASSIGN_OR_RETURN(auto space, write_space());
    const std::size_t take = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), take);
    PD_TRY(commit(take));
    bytes = bytes.subspan(take);
  }
  return {};
}

Result<std::span<std::uint8_t>> StreamScan::write_space() {
  if (m_done) return invalid_argument("stream scan already ended");
  if (m_offset == m_size) return std::span<std::uint8_t>();
  if (m_current == nullptr) {
    m_current = m_ring->acquire_for_write(m_seq);
    if (m_current == nullptr) return internal_error("scan aborted");
    m_current->data = m_ring->buffer(m_seq);
    m_current->size = 0;
    m_current->source = 0;
    m_current->source_size = m_size;
    m_current->offset = m_offset;
    m_current->first = m_offset == 0;
    m_current->last = false;
  }
  const std::size_t room = static_cast<std::size_t>(
      std::min<std::uint64_t>(m_ring->chunk_bytes() - m_current->size, m_size - m_offset));
  return std::span<std::uint8_t>(m_ring->buffer(m_seq) + m_current->size, room);
}

Result<void> StreamScan::commit(std::size_t count) {
  if (m_done) return invalid_argument("stream scan already ended");
  if (count == 0) return {};
  if (m_current == nullptr || count > m_ring->chunk_bytes() - m_current->size ||
      count > m_size - m_offset)
    return internal_error("commit of bytes outside the stream scan's write space");
  m_current->size += count;
  m_offset += count;
  if (m_options.progress) m_options.progress(m_offset, m_size);
  if (m_current->size == m_ring->chunk_bytes()) publish_current(m_offset == m_size);
  return {};
}

Result<void> StreamScan::finish() {
  if (m_done) return invalid_argument("stream scan already ended");
  if (m_offset != m_size) {
    stop(true);
    return corruption(m_checkpoint.sources[0].string() + ": stream ended after " +
                      std::to_string(m_offset) + " of " + std::to_string(m_size) + " bytes");
  }
  if (m_current == nullptr && m_seq == 0) {  // an empty stream: one empty chunk, first and last
    m_current = m_ring->acquire_for_write(0);
    if (m_current == nullptr) return internal_error("scan aborted");
    *m_current = Chunk{0, 0, 0, 0, true, false, m_ring->buffer(0)};
  }
  if (m_current != nullptr) publish_current(true);
  stop(false);
  return {};
}

}  // namespace pedigree::scan
