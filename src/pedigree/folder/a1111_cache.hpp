// The SHA-256s AUTOMATIC1111's WebUI (and Forge) already computed, read from
// its `cache.json` (docs/formats/a1111-cache.md): section "hashes", keys
// "checkpoint/<path below models/Stable-diffusion>", each {"mtime": seconds
// since the epoch as a float, "sha256": 64 hex}. pedigree only reads it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::folder {

class A1111Cache {
public:
  // Reads `<install>/cache.json`. A missing file gives an empty cache;
  // Corruption when it is not JSON or its "hashes" section is not an object
  // (the scan then says so and reads every file itself).
  static Result<A1111Cache> load(const std::filesystem::path& install);
  // The same from the text of a cache.json (what load reads; fuzzed by
  // fuzz/fuzz_a1111_cache.cpp). `where` names the file in errors.
  static Result<A1111Cache> parse(std::string_view text, const std::filesystem::path& install,
                                  const std::string& where);

  // The SHA-256 A1111 stored for the checkpoint at `file` (under the
  // install's models/Stable-diffusion), when its mtime is the file's (to
  // the microsecond: A1111 stores os.path.getmtime) and the value is 64 hex.
  // A1111 keeps no size, so size cannot be compared.
  std::optional<std::string> sha256_for(const std::filesystem::path& file,
                                        const FileStat& stat) const;

  const std::filesystem::path& path() const { return m_path; }
  std::size_t size() const { return m_entries.size(); }

  struct Entry {
    double mtime = 0;
    std::string sha256;  // 64 lower-case hex digits
  };
  const std::map<std::string, Entry>& entries() const { return m_entries; }

private:
  std::filesystem::path m_path;
  std::filesystem::path m_checkpoints;     // absolute <install>/models/Stable-diffusion
  std::map<std::string, Entry> m_entries;  // by key, e.g. "checkpoint/sub/x.safetensors"
};

}  // namespace pedigree::folder
