// A cache of computed hashes, like A1111's cache.json: one JSON file mapping
// an absolute path to the hashes of the file seen there, valid while the
// file's size, mtime (ns), inode and device are unchanged. Re-hashing an
// unchanged file then costs one stat(2).
//
// The file lives at $XDG_CACHE_HOME/pedigree/hashes.json (or
// ~/.cache/pedigree/hashes.json). Writes are atomic (temp file + rename); two
// processes saving at once may lose one's new entries, never corrupt the
// file. A missing, unreadable or malformed cache is treated as empty and
// rewritten on the next save: it is never fatal.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::hash {

class HashCache {
public:
  // $XDG_CACHE_HOME/pedigree/hashes.json, else $HOME/.cache/pedigree/hashes.json;
  // nullopt when neither variable is set.
  static std::optional<std::filesystem::path> default_path();

  // Loads the cache at `path`; any problem yields an empty cache.
  static HashCache load(const std::filesystem::path& path);

  // The cached hashes of `key` (an absolute path) if its stat still matches
  // and every set in `sets` was computed.
  std::optional<ModelHashes> find(const std::string& key, const FileStat& stat,
                                  unsigned sets) const;
  // Records the hashes of `key` (merging with compatible cached sets).
  void put(const std::string& key, const FileStat& stat, const ModelHashes& hashes);
  // Writes the cache atomically, creating its folder. IOError on failure.
  Result<void> save() const;

private:
  std::filesystem::path m_path;
  nlohmann::json m_entries = nlohmann::json::object();
};

}  // namespace pedigree::hash
