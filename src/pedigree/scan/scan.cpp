#include "pedigree/scan/scan.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "pedigree/scan/chunk_ring.hpp"
#include "pedigree/scan/tensor_lane.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::scan {
namespace {

// A read-only private map of a whole source file. Move-only; unmaps on destruction.
class SourceMap {
public:
  // nullopt when the file is empty or the kernel refuses to map it (pread then).
  static std::optional<SourceMap> map(const File& file) {
    if (file.size() == 0 || file.size() > SIZE_MAX) return std::nullopt;
    void* data = ::mmap(nullptr, file.size(), PROT_READ, MAP_PRIVATE, file.fd(), 0);
    if (data == MAP_FAILED) return std::nullopt;
    ::madvise(data, file.size(), MADV_SEQUENTIAL);
    return SourceMap(static_cast<const std::uint8_t*>(data), file.size());
  }
  SourceMap(SourceMap&& other) noexcept
      : m_data(std::exchange(other.m_data, nullptr)), m_size(other.m_size) {}
  SourceMap& operator=(SourceMap&&) = delete;
  ~SourceMap() {
    if (m_data) ::munmap(const_cast<std::uint8_t*>(m_data), m_size);
  }
  const std::uint8_t* data() const { return m_data; }

private:
  SourceMap(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
  const std::uint8_t* m_data;
  std::size_t m_size;
};

// A source being streamed: its descriptor and, when the kernel let us map
// it, a map that chunks point into (no copy through a buffer).
struct Source {
  File file;
  std::optional<SourceMap> map;
};

// Opens every source and checks it still has the size its reader saw.
Result<std::vector<Source>> open_sources(const formats::Checkpoint& checkpoint) {
  std::vector<Source> files;
  for (std::size_t s = 0; s < checkpoint.sources.size(); ++s) {
    PD_ASSIGN_OR_RETURN(File file, File::open_read(checkpoint.sources[s]));
    if (s < checkpoint.source_sizes.size() && file.size() != checkpoint.source_sizes[s]) {
      return corruption(checkpoint.sources[s].string() + ": size changed from " +
                        std::to_string(checkpoint.source_sizes[s]) + " to " +
                        std::to_string(file.size()) + " bytes since it was parsed");
    }
    ::posix_fadvise(file.fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
    auto map = SourceMap::map(file);
    files.push_back(Source{std::move(file), std::move(map)});
  }
  return files;
}

// Page-aligned [begin, end) of a mapped range, for madvise.
std::pair<void*, std::size_t> pages_of(const std::uint8_t* data, std::size_t size) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data) & ~(page - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(data) + size;
  return {reinterpret_cast<void*>(begin), end - begin};
}

// Hands out the bytes of chunk `chunk` from the map: loads its pages on this
// thread (so consumers do not take the page faults) and, for RSS, drops the
// pages of the chunk the slot held before, which every consumer has released.
// Corruption when the file shrank since it was opened.
Result<void> map_chunk(const Source& source, std::uint64_t offset, Chunk& chunk,
                       const Chunk& previous, bool previous_mapped) {
  if (previous_mapped && previous.size > 0) {
    auto [base, length] = pages_of(previous.data, previous.size);
    ::madvise(base, length, MADV_DONTNEED);  // the page cache keeps them
  }
  chunk.data = source.map->data() + offset;
  if (chunk.size == 0) return {};
  auto [base, length] = pages_of(chunk.data, chunk.size);
  if (::madvise(base, length, MADV_POPULATE_READ) != 0 && errno == EFAULT) {
    return corruption(source.file.path().string() + ": file shrank while it was read");
  }
  return {};  // EINVAL (kernels before 5.14): consumers fault the pages in
}

// Streams every source into the ring, front to back: chunks are views of the
// memory map when there is one, else read into the ring's buffers. Runs on
// the calling thread.
Result<void> produce(std::span<const Source> sources, ChunkRing& ring, const ScanOptions& options) {
  std::uint64_t total = 0;
  for (const auto& src : sources) total += src.file.size();
  std::uint64_t done = 0;
  std::uint64_t seq = 0;
  std::vector<bool> slot_mapped(ring.capacity(), false);
  for (std::uint32_t s = 0; s < sources.size(); ++s) {
    const Source& source = sources[s];
    const File& file = source.file;
    std::uint64_t offset = 0;
    do {
      Chunk* chunk = ring.acquire_for_write(seq);
      if (chunk == nullptr) return internal_error("scan aborted");
      const Chunk previous = *chunk;
      const bool previous_mapped = slot_mapped[seq % slot_mapped.size()];
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(ring.chunk_bytes(), file.size() - offset));
      chunk->size = want;
      if (source.map) {
        PD_TRY(map_chunk(source, offset, *chunk, previous, previous_mapped));
      } else {
        std::uint8_t* buffer = ring.buffer(seq);
        PD_TRY(file.read_exact(offset, {buffer, want}));
        chunk->data = buffer;
      }
      slot_mapped[seq % slot_mapped.size()] = source.map.has_value();
      chunk->source = s;
      chunk->source_size = file.size();
      chunk->offset = offset;
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

}  // namespace

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

Result<void> scan_checkpoint(const formats::Checkpoint& checkpoint,
                             std::span<ByteSink* const> byte_sinks,
                             std::span<TensorSink* const> tensor_sinks,
                             const ScanOptions& options) {
  PD_ASSIGN_OR_RETURN(std::vector<Source> files, open_sources(checkpoint));
  std::vector<std::uint64_t> sizes;
  for (const auto& f : files) sizes.push_back(f.file.size());
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
