// Computing every identity of one file (or diffusers folder) in one scan.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/scan/scan.hpp"

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

}  // namespace pedigree::hash
