// Turning a stream of file chunks into tensor elements for TensorSinks.
//
// Each tensor a sink wants becomes a TensorJob: the byte range of the file it
// is read from and how to turn those bytes into row-major little-endian
// elements (pass through, byte-swap, or gather a strided view). Jobs are
// spread over lanes; a lane sees every chunk in order and serves only its own
// jobs, so one tensor is always handled by one thread, in element order,
// while different tensors proceed in parallel. Internal to scan/.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/scan/chunk_ring.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::scan {

enum class JobKind : std::uint8_t {
  k_direct,  // contiguous, little-endian (or 1-byte elements): bytes pass through
  k_swap,    // contiguous, big-endian: each element byte-swapped
  k_gather,  // strided view: the covered bytes are buffered, then reordered
};

struct TensorJob {
  std::size_t tensor_index = 0;
  std::uint32_t source = 0;
  std::uint64_t begin = 0;  // byte range read from the source
  std::uint64_t end = 0;
  std::size_t element_size = 1;
  JobKind kind = JobKind::k_direct;
  bool swap_bytes = false;  // for k_gather: also byte-swap
  std::vector<TensorSink*> sinks;
};

// One job per tensor that at least one sink wants. Corruption when a tensor's
// bytes lie outside its source; NotSupported when a strided view would need
// more than `max_gather_bytes` of buffer.
// `source_sizes` are the sizes of the files as opened for this scan.
Result<std::vector<TensorJob>> plan_tensor_jobs(const formats::Checkpoint& checkpoint,
                                                std::span<const std::uint64_t> source_sizes,
                                                std::span<TensorSink* const> sinks,
                                                std::uint64_t max_gather_bytes);

// Splits jobs into at most `lanes` groups of similar byte counts, each sorted by
// (source, begin). Empty groups are dropped.
std::vector<std::vector<TensorJob>> assign_lanes(std::vector<TensorJob> jobs, unsigned lanes);

// Serves one lane's jobs from the chunk stream. Not thread-safe: one thread per lane.
class TensorLane {
public:
  TensorLane(std::vector<TensorJob> jobs, const formats::Checkpoint& checkpoint);

  // Feeds the next chunk (chunks arrive in stream order).
  void consume(const Chunk& chunk);

private:
  struct State {
    std::uint64_t next_element = 0;
    std::uint8_t carry[8] = {};
    std::size_t carry_len = 0;
    std::vector<std::uint8_t> gathered;
  };

  void start(std::size_t job);
  void feed(std::size_t job, ByteView piece);
  void finish(std::size_t job);
  void emit(std::size_t job, ByteView elements);
  void emit_gathered(std::size_t job);

  std::vector<TensorJob> m_jobs;
  std::vector<State> m_states;
  const formats::Checkpoint& m_checkpoint;
  std::uint32_t m_source = UINT32_MAX;
  std::size_t m_next = 0;               // first job of m_source not yet started
  std::vector<std::size_t> m_active;    // started, not finished
  std::vector<std::uint8_t> m_scratch;  // byte-swapped elements
};

// Consumer loops of a scan (scan.cpp), each on a thread of its own: feed
// every chunk of `ring`, in order, to one byte sink or one lane, until the
// ring finishes or aborts.
void run_byte_sink(ChunkRing& ring, std::size_t consumer, ByteSink& sink);
void run_lane(ChunkRing& ring, std::size_t consumer, TensorLane& lane);

}  // namespace pedigree::scan
