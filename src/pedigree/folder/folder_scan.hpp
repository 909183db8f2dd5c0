// `pedigree scan DIR` as a library call: every model file under a folder,
// each judged by the call `check FILE` makes (lineage::check_scanned on the
// file's scan), with what was read kept in a cache so an unchanged file is
// never read twice (docs/cli.md "scan", docs/json/scan.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/folder/discover.hpp"
#include "pedigree/folder/scan_cache.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::folder {

// Where a file's scan came from.
enum class HashedBy { k_read, k_cache, k_a1111 };
// "read" (this run read the file), "cache" (pedigree's scan cache),
// "a1111-cache" (the SHA-256 A1111 stored in its cache.json).
std::string_view hashed_by_name(HashedBy by);

struct ScanEntry {
  FoundFile file;
  HashedBy hashed_by = HashedBy::k_read;
  // A full scan of a checkpoint A1111 also hashed: what its cache.json says,
  // and whether it agrees with the SHA-256 read now.
  std::optional<std::string> a1111_sha256;
  std::optional<lineage::CheckReport> report;  // the verdict, as `check FILE` gives it
  std::optional<Error> error;                  // why the file could not be judged
};

struct FolderOptions {
  Depth depth = Depth::k_full;
  lineage::CheckOptions check;  // as for `check FILE` (threads, references, hints)
  // nullopt: no cache (--no-cache). Otherwise its path.
  std::optional<std::filesystem::path> cache_path;
  // An A1111/Forge install whose cache.json to use; nullopt: the install
  // the folder lies in, if any (Discovery::a1111_root). Empty path: none.
  std::optional<std::filesystem::path> a1111_install;
  // Called before each file (done files, all files, bytes done, all bytes, the file).
  std::function<void(std::size_t, std::size_t, std::uint64_t, std::uint64_t, const std::string&)>
      progress;
};

struct FolderReport {
  Discovery discovery;
  Depth depth = Depth::k_full;
  std::optional<std::filesystem::path> cache_path;   // the scan cache used
  std::optional<std::filesystem::path> a1111_cache;  // the cache.json read
  std::vector<std::string> warnings;                 // a damaged cache.json, an unusable cache
  std::vector<ScanEntry> entries;  // by severity (nai-leak, nai, nai-official, unknown,
                                   // errors, no-nai-found), then by path
};

// Scans `root`. Per-file failures become ScanEntry::error and never stop the
// scan; errors only for `root` itself (discover()).
Result<FolderReport> scan_folder(lineage::FactSource& source, const std::filesystem::path& root,
                                 const FolderOptions& options);

// Severity rank of an entry for sorting and the exit code (0 is the most
// severe): nai-leak 0, nai 1, nai-official 2, unknown 3, error 4, no-nai-found 5.
int severity_rank(const ScanEntry& entry);

// The reason an entry is not decided: its error, or the first unknown of its
// verdict ("" for a decided verdict).
std::string unknown_reason(const ScanEntry& entry);

// docs/json/scan.md.
nlohmann::json to_json(const FolderReport& report);

}  // namespace pedigree::folder
