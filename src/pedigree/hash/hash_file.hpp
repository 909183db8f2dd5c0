// Computing every identity of one file (or diffusers folder) in one scan.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/scan/stream.hpp"

namespace pedigree::hash {

struct HashOptions {
  unsigned sets = k_set_all;  // HashSet bits to compute
  scan::ScanOptions scan;     // threads, chunk size, progress callback
  // More consumers of the same pass (e.g. a fingerprint builder for `check`);
  // fed only when the file is a readable checkpoint. Not owned.
  std::vector<scan::TensorSink*> extra_tensor_sinks;
};

// Hashes `path` in a single pass, given what a checkpoint reader made of it:
// `checkpoint` is nullptr when it is not a readable checkpoint, and then
// `why_not` says why (reported as weights_error when weights were requested).
// File-level hashes are computed for regular files only; a diffusers folder
// gets weights and components. `display` is echoed as ModelHashes::file.
// Errors: I/O failures and files that change during the scan.
Result<ModelHashes> hash_checkpoint(const std::string& display, const std::filesystem::path& path,
                                    const formats::Checkpoint* checkpoint,
                                    const std::optional<Error>& why_not,
                                    const HashOptions& options);

// hash_checkpoint over bytes pushed as they arrive (an upload): the same
// sinks and the same ModelHashes, without a file. `checkpoint` is what the
// caller parsed from the leading bytes (nullptr when they are not a
// checkpoint it can read as a stream; `why_not` then says why, as
// weights_error). Memory: the scan's ring, whatever the size.
class StreamHasher {
public:
  // `display` names the stream in results and messages; `size` is the
  // number of bytes that will be pushed. Errors as scan::StreamScan::start.
  static Result<std::unique_ptr<StreamHasher>> start(std::string display, std::uint64_t size,
                                                     const formats::Checkpoint* checkpoint,
                                                     const std::optional<Error>& why_not,
                                                     const HashOptions& options);
  // As start(), for a checkpoint whose tensor offsets refer not to the file
  // but to a second stream of checkpoint.source_sizes[0] bytes, its payload
  // (the storages of a PyTorch zip as they pass: formats/torch_zip_stream.hpp).
  // The file's bytes go to write() and feed the whole-file hashes; the
  // payload goes to write_payload() and feeds the weights hashes and
  // options.extra_tensor_sinks.
  static Result<std::unique_ptr<StreamHasher>> start_with_payload(
      std::string display, std::uint64_t size, const formats::Checkpoint& checkpoint,
      const HashOptions& options);
  ~StreamHasher();
  // The next bytes, in order (scan::StreamScan::write).
  Result<void> write(ByteView bytes);
  // scan::StreamScan::write_space() and commit() of the file's bytes.
  Result<std::span<std::uint8_t>> write_space();
  Result<void> commit(std::size_t count);
  // The next payload bytes (start_with_payload only).
  Result<void> write_payload(ByteView bytes);
  // Stops the payload stream for good: its tensor sinks get no call after
  // this returns, and the result has no weights hashes, `why` standing in
  // their place (weights_error). For a payload that turned out unreadable.
  void abandon_payload(const Error& why);
  std::uint64_t received() const;
  // Ends the stream; Corruption when it is shorter than `size`.
  Result<ModelHashes> finish();

private:
  struct State;
  explicit StreamHasher(std::unique_ptr<State> state);
  std::unique_ptr<State> m_state;
};

}  // namespace pedigree::hash
