// The scan of scan.hpp over bytes that arrive in order from elsewhere (an
// HTTP upload) instead of a file: the same sinks, lanes and ring, with the
// caller pushing the bytes. Nothing is kept beyond the ring's chunks
// (ring_chunks * chunk_bytes), so a multi-GB stream needs bounded memory and
// no disk. The checkpoint's table (its header) must be known before the
// first byte is pushed: for a safetensors file the caller parses the leading
// bytes (formats::parse_safetensors_header) and then pushes them too.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/scan/chunk_ring.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/scan/tensor_lane.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::scan {

class StreamScan {
public:
  // Starts the consumer threads. `checkpoint` describes one source of
  // `checkpoint.source_sizes[0]` bytes (its `sources[0]` only names it in
  // messages; an empty tensor table hashes bytes only). Sinks are not owned
  // and must outlive the StreamScan. Errors: InvalidArgument when the
  // checkpoint does not have exactly one source and its size; Corruption
  // when a tensor lies outside the declared size.
  static Result<std::unique_ptr<StreamScan>> start(formats::Checkpoint checkpoint,
                                                   std::span<ByteSink* const> byte_sinks,
                                                   std::span<TensorSink* const> tensor_sinks,
                                                   const ScanOptions& options = {});
  StreamScan(const StreamScan&) = delete;
  StreamScan& operator=(const StreamScan&) = delete;
  // Aborts a scan that was not finished and joins its threads.
  ~StreamScan();

  // Appends the next bytes of the stream (blocks while the slowest consumer
  // is a whole ring behind). InvalidArgument when the stream grows past its
  // declared size; after an error the scan is aborted.
  Result<void> write(ByteView bytes);
  // Room for the next bytes of the stream inside the scan's ring, for a
  // caller that reads them straight into it (an upload's socket: no copy).
  // Fill a prefix, then commit() its length; write() is the same with a
  // copy. Empty once every declared byte arrived. Blocks like write().
  Result<std::span<std::uint8_t>> write_space();
  // The first `count` bytes of the last write_space() are the stream's next
  // bytes. Internal error when they would lie outside it.
  Result<void> commit(std::size_t count);
  // Bytes pushed so far.
  std::uint64_t received() const { return m_offset; }
  // Ends the stream and waits for every sink. Corruption when fewer bytes
  // than the declared size arrived (the sinks' results are then meaningless).
  Result<void> finish();

private:
  StreamScan(formats::Checkpoint checkpoint, const ScanOptions& options);
  void publish_current(bool last);
  void stop(bool aborted);

  formats::Checkpoint m_checkpoint;  // the lanes point into it
  ScanOptions m_options;
  std::uint64_t m_size = 0;
  std::unique_ptr<ChunkRing> m_ring;
  std::vector<TensorLane> m_lanes;
  std::vector<std::jthread> m_workers;
  Chunk* m_current = nullptr;  // being filled
  std::uint64_t m_seq = 0;
  std::uint64_t m_offset = 0;
  bool m_done = false;
};

}  // namespace pedigree::scan
