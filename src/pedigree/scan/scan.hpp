// One streaming pass over a checkpoint's bytes, feeding every consumer at once.
//
// Hashes (whole-file SHA-256, CRC32, BLAKE3, AutoV1/V3) and per-tensor work
// (weights hashes, fingerprints) all want the same bytes. scan_checkpoint reads
// each source file exactly once, front to back, in bounded chunks and hands
// the bytes to ByteSinks (raw file bytes, in order) and to TensorSinks (each
// tensor's elements, row-major, little-endian). Chunks are views of a
// read-only memory map (no copy; the reading thread prefaults each chunk and
// drops the pages of chunks every consumer is done with, so resident memory
// stays bounded on multi-GB files); files that cannot be mapped are read with
// positioned reads into the ring's buffers. A file truncated by another
// process while it is scanned is reported as Corruption when the shrink is
// seen before a chunk is handed out; one truncated later, mid-chunk, can
// still kill the process with SIGBUS, as with any memory-mapped reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::scan {

// Receives the raw bytes of each source file in order, offset 0 to the end.
// Calls are serialized (never two at once) but may come from any thread.
class ByteSink {
public:
  virtual ~ByteSink() = default;
  virtual void begin_source(std::uint32_t source, std::uint64_t size) = 0;
  // Consecutive chunks: each offset equals the previous offset + size.
  virtual void update(std::uint32_t source, std::uint64_t offset, ByteView chunk) = 0;
  virtual void end_source(std::uint32_t source) = 0;
};

// Receives the elements of tensors, row-major and little-endian whatever the
// storage layout (strided views are gathered, big-endian data swapped).
// For one tensor: begin_tensor, then tensor_data pieces in element order (each
// a whole number of elements), then end_tensor; never concurrently. Different
// tensors may be processed concurrently on different threads, so a sink keeps
// per-tensor state indexed by tensor_index and synchronizes anything shared.
class TensorSink {
public:
  virtual ~TensorSink() = default;
  // Whether this sink wants tensor `tensor_index` (an index into checkpoint.tensors).
  virtual bool wants(std::size_t tensor_index) const {
    (void)tensor_index;
    return true;
  }
  virtual void begin_tensor(std::size_t tensor_index) = 0;
  virtual void tensor_data(std::size_t tensor_index, std::uint64_t first_element,
                           ByteView elements) = 0;
  virtual void end_tensor(std::size_t tensor_index) = 0;
};

// Threads: the calling thread reads (maps); each ByteSink runs on a thread of its own
// (its calls are serialized anyway); tensor work is spread over `threads` lanes.
// Memory: ring_chunks * chunk_bytes of mapped pages (or buffers), plus gather buffers.
struct ScanOptions {
  unsigned threads = 0;                         // tensor lanes; 0 = all cores
  std::size_t chunk_bytes = 8u << 20;           // read size
  std::size_t ring_chunks = 6;                  // chunks in flight (read ahead of the slowest sink)
  std::uint64_t max_gather_bytes = 1ull << 30;  // largest strided view buffered (else NotSupported)
  // Called from time to time with bytes read so far and the total; may be empty.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Streams every source of `checkpoint` once. Returns the first I/O error, or
// Corruption if a file changed size since it was parsed. Memory: a bounded
// number of chunks, plus the storage of a strided tensor while it is gathered.
Result<void> scan_checkpoint(const formats::Checkpoint& checkpoint,
                             std::span<ByteSink* const> byte_sinks,
                             std::span<TensorSink* const> tensor_sinks,
                             const ScanOptions& options = {});

// Streams one file that need not be a checkpoint (whole-file hashes only).
Result<void> scan_file(const std::filesystem::path& path, std::span<ByteSink* const> byte_sinks,
                       const ScanOptions& options = {});

}  // namespace pedigree::scan
