// `pedigree hash` for one path: open it as a checkpoint when it is one, use
// the cache when the file is unchanged, otherwise hash it in one scan.
#pragma once

#include <filesystem>
#include <string>

#include "pedigree/hash/hash_cache.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/hash/model_hashes.hpp"

namespace pedigree::hash {

// Hashes the file or diffusers folder at `path` (echoed as ModelHashes::file).
// With a cache, an entry whose size, mtime, inode and device match is returned
// without reading the file, and new results are put into it (the caller
// saves it). A file that is not a checkpoint (empty, a LoRA without model
// tensors, another format) still gets its file hashes; weights_error says
// why it has no weights hash. Errors: NotFound, IOError, InvalidArgument
// (neither a regular file nor a folder), Corruption (a file that changes
// while it is read).
Result<ModelHashes> hash_path(const std::string& path, const HashOptions& options,
                              HashCache* cache);

}  // namespace pedigree::hash
