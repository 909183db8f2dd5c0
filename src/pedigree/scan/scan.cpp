#include "pedigree/scan/scan.hpp"

#include <fcntl.h>
#include <algorithm>
#include <thread>
#include <vector>

#include "pedigree/scan/chunk_ring.hpp"
#include "pedigree/scan/tensor_lane.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::scan {
namespace {

// Opens every source and checks it still has the size its reader saw.
Result<std::vector<File>> open_sources(const formats::Checkpoint& checkpoint) {
  std::vector<File> files;
  for (std::size_t s = 0; s < checkpoint.sources.size(); ++s) {
    PD_ASSIGN_OR_RETURN(File file, File::open_read(checkpoint.sources[s]));
    if (s < checkpoint.source_sizes.size() && file.size() != checkpoint.source_sizes[s]) {
      return corruption(checkpoint.sources[s].string() + ": size changed from " +
                        std::to_string(checkpoint.source_sizes[s]) + " to " +
                        std::to_string(file.size()) + " bytes since it was parsed");
    }
    ::posix_fadvise(file.fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
    files.push_back(std::move(file));
  }
  return files;
}

// Reads every source into the ring, front to back. Runs on the calling thread.
Result<void> produce(std::span<const File> files, ChunkRing& ring, const ScanOptions& options) {
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size();
  std::uint64_t done = 0;
  std::uint64_t seq = 0;
  for (std::uint32_t s = 0; s < files.size(); ++s) {
    const File& file = files[s];
    std::uint64_t offset = 0;
    do {
      Chunk* chunk = ring.acquire_for_write(seq);
      if (chunk == nullptr) return internal_error("scan aborted");
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(ring.chunk_bytes(), file.size() - offset));
      PD_TRY(file.read_exact(offset, {chunk->data, want}));
      chunk->source = s;
      chunk->source_size = file.size();
      chunk->offset = offset;
      chunk->size = want;
      chunk->first = offset == 0;
      offset += want;
      chunk->last = offset == file.size();
      ring.publish(seq++);
      done += want;
      if (options.progress) options.progress(done, total);
    } while (offset < file.size());
  }
  return {};
}

void run_byte_sink(ChunkRing& ring, std::size_t consumer, ByteSink& sink) {
  for (std::uint64_t seq = 0;; ++seq) {
    const Chunk* chunk = ring.acquire_for_read(consumer, seq);
    if (chunk == nullptr) return;
    if (chunk->first) sink.begin_source(chunk->source, chunk->source_size);
    if (chunk->size > 0) sink.update(chunk->source, chunk->offset, chunk->bytes());
    if (chunk->last) sink.end_source(chunk->source);
    ring.release(consumer, seq);
  }
}

void run_lane(ChunkRing& ring, std::size_t consumer, TensorLane& lane) {
  for (std::uint64_t seq = 0;; ++seq) {
    const Chunk* chunk = ring.acquire_for_read(consumer, seq);
    if (chunk == nullptr) return;
    lane.consume(*chunk);
    ring.release(consumer, seq);
  }
}

}  // namespace

Result<void> scan_checkpoint(const formats::Checkpoint& checkpoint,
                             std::span<ByteSink* const> byte_sinks,
                             std::span<TensorSink* const> tensor_sinks,
                             const ScanOptions& options) {
  PD_ASSIGN_OR_RETURN(std::vector<File> files, open_sources(checkpoint));
  std::vector<std::uint64_t> sizes;
  for (const auto& f : files) sizes.push_back(f.size());
  PD_ASSIGN_OR_RETURN(auto jobs,
                      plan_tensor_jobs(checkpoint, sizes, tensor_sinks, options.max_gather_bytes));
  unsigned lanes = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  auto lane_jobs = assign_lanes(std::move(jobs), lanes);
  std::vector<TensorLane> tensor_lanes;
  for (auto& group : lane_jobs) tensor_lanes.emplace_back(std::move(group), checkpoint);

  const std::size_t chunk_bytes = std::max<std::size_t>(options.chunk_bytes, 64);
  ChunkRing ring(std::max<std::size_t>(options.ring_chunks, 2), chunk_bytes,
                 byte_sinks.size() + tensor_lanes.size());
  std::vector<std::jthread> workers;
  std::size_t consumer = 0;
  for (auto* sink : byte_sinks) {
    workers.emplace_back(run_byte_sink, std::ref(ring), consumer++, std::ref(*sink));
  }
  for (auto& lane : tensor_lanes) {
    workers.emplace_back(run_lane, std::ref(ring), consumer++, std::ref(lane));
  }
  Result<void> produced = produce(files, ring, options);
  if (produced) {
    ring.finish();
  } else {
    ring.abort();
  }
  workers.clear();  // joins
  return produced;
}

Result<void> scan_file(const std::filesystem::path& path, std::span<ByteSink* const> byte_sinks,
                       const ScanOptions& options) {
  formats::Checkpoint file_only;
  file_only.sources.push_back(path);
  return scan_checkpoint(file_only, byte_sinks, {}, options);
}

}  // namespace pedigree::scan
