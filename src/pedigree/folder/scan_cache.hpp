// What a scan read from each model file, kept between runs of `pedigree
// scan` so that an unchanged file is never read again: its hashes, metadata
// recipes, self-declared hashes and fingerprint (docs/formats/scan-cache.md).
// Verdicts are NOT cached: they depend on the ledger, and are decided anew
// from the cached scan on every run (a few indexed queries per file).
//
// One SQLite file, $XDG_CACHE_HOME/pedigree/scan.sqlite (else
// ~/.cache/pedigree/scan.sqlite). A row is valid while the file's absolute
// path, size, mtime (ns), inode and device are unchanged. Each file is
// committed in its own transaction as soon as it is scanned, so an
// interrupted scan keeps what it finished and the next run resumes there. A
// damaged cache file is set aside and started afresh (never fatal).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pedigree/index/sqlite.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::folder {

// How much of a file a scan read: its SHA-256 only (`scan --quick`), or
// everything `check FILE` reads (hashes, recipes, fingerprint).
enum class Depth { k_sha256, k_full };
std::string_view depth_name(Depth depth);  // "sha256", "full"

class ScanCache {
public:
  // $XDG_CACHE_HOME/pedigree/scan.sqlite, else $HOME/.cache/pedigree/scan.sqlite;
  // nullopt when neither variable is set.
  static std::optional<std::filesystem::path> default_path();

  // Opens (creating) the cache. IOError when its folder cannot be created.
  static Result<ScanCache> open(const std::filesystem::path& path);

  // The scan of `key` (an absolute path) if its stat is unchanged and it
  // was read at least to `depth` (a full scan also answers a SHA-256 one).
  std::optional<lineage::FileScanResult> find(const std::string& key, const FileStat& stat,
                                              Depth depth);
  // Records the scan of `key`, committed before returning.
  Result<void> put(const std::string& key, const FileStat& stat, Depth depth,
                   const lineage::FileScanResult& scanned);

private:
  explicit ScanCache(index::Database db) : m_db(std::move(db)) {}
  index::Database m_db;
};

// The cache's serialized form of a scan and back (tests and docs): the
// sketch travels separately as its .fp bytes.
nlohmann::json scan_to_json(const lineage::FileScanResult& scanned);
std::optional<lineage::FileScanResult> scan_from_json(const nlohmann::json& json,
                                                      const std::string& sketch_fp);

}  // namespace pedigree::folder
