// Examining a model file: its every identity (hash/), its fingerprint
// (fingerprint/) and what its header says (formats/: architecture, merge
// recipes, metadata) from one streaming pass over the file, or none when the
// hash cache already knows the file and no fingerprint is asked for. The one
// way `hash`, `fingerprint`, `attest`, `check` and `scan` read a model file:
// a multi-GB checkpoint is read once, whatever a command wants of it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/hash/hash_cache.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::examine {

// Whether the pass also builds the file's fingerprint.
enum class FingerprintPass { k_skip, k_build };

struct ExamineOptions {
  // Which hashes (sets), the scan's threads and progress, more sinks of the pass.
  hash::HashOptions hashes;
  FingerprintPass fingerprint = FingerprintPass::k_skip;
  fingerprint::SketchParams sketch;
  // Consulted before reading (a file whose size, mtime, inode and device
  // match, and no fingerprint wanted, is not read at all) and given the new
  // hashes; the caller saves it. Not owned; nullptr for none.
  hash::HashCache* cache = nullptr;
};

// A model file (or diffusers folder) as one pass saw it.
struct Examination {
  hash::ModelHashes hashes;  // weights_error says why there is no weights hash
  // The checkpoint's structure and metadata (recipes, licence, architecture
  // through formats::inspect_checkpoint); nullopt when it is not one a
  // reader can parse, or when the hashes came from the cache.
  std::optional<formats::Checkpoint> checkpoint;
  std::optional<Error> why_not;  // why `checkpoint` is empty, when it was parsed for
  // FingerprintPass::k_build only: the fingerprint, or why there is none
  // (the builder's error, without the path: callers add it as they report).
  std::optional<fingerprint::Fingerprint> fingerprint;
  std::optional<Error> fingerprint_error;
  // With k_build, for a file that also holds an EMA copy of the UNet: that copy
  // sketched as a UNet (fingerprint::plan_ema_as_unet), in the same pass.
  std::optional<fingerprint::Fingerprint> ema_fingerprint;
  std::optional<Error> ema_fingerprint_error;
  bool from_cache = false;
};

// Examines the file or diffusers folder at `path` (echoed as hashes.file).
// A file that is not a checkpoint (empty, a LoRA without model tensors,
// another format) still gets its file hashes. Errors: NotFound, IOError,
// InvalidArgument (neither a regular file nor a folder), Corruption (a file
// that changes while it is read).
Result<Examination> examine_path(const std::filesystem::path& path, const ExamineOptions& options);

// The pass of examine_path over a checkpoint the caller opened itself (or
// failed to: `checkpoint` nullptr and `why_not`), for callers that decide
// what to hash from its metadata first. No cache.
Result<Examination> examine_opened(const std::filesystem::path& path,
                                   std::optional<formats::Checkpoint> checkpoint,
                                   std::optional<Error> why_not, const ExamineOptions& options);

// The fingerprint of a checkpoint file or diffusers folder in one pass that
// hashes nothing (`pedigree fingerprint`). Errors from opening or scanning;
// those of the builder prefixed with the path.
Result<fingerprint::Fingerprint> fingerprint_path(const std::filesystem::path& path,
                                                  const scan::ScanOptions& options = {},
                                                  fingerprint::SketchParams sketch = {});

// A `.fp` file (recognised by its magic, whatever its name) or else a
// checkpoint, fingerprinted as fingerprint_path does.
Result<fingerprint::Fingerprint> load_fingerprint(const std::filesystem::path& path,
                                                  const scan::ScanOptions& options = {});

// formats::architecture_name of an examined checkpoint ("" for a file that is
// not one, or whose header cannot be inspected); after a cache hit it reads
// the header (never the tensors) of examined.hashes.file.
std::string architecture_of(const Examination& examined);

}  // namespace pedigree::examine
