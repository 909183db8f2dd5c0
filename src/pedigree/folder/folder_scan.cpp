#include "pedigree/folder/folder_scan.hpp"

#include <algorithm>
#include <map>
#include <system_error>
#include <utility>

#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/folder/a1111_cache.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/lineage/upload_scan.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_sha256_only =
    "scan --quick read the SHA-256 only (no weights hash, no fingerprint): only what the ledger "
    "says of that SHA-256 can decide";

struct Scanned {
  lineage::FileScanResult result;
  HashedBy by = HashedBy::k_read;
  std::optional<std::string> a1111_sha256;
};

// The fingerprints (the file's, its EMA copy's) in the form the cache gives back (.fp,
// int16 cells), so a file judged from the cache reads exactly as when it was first read.
void as_stored(std::optional<fingerprint::Fingerprint>& sketch) {
  if (!sketch) return;
  auto coverage = sketch->coverage;
  const std::string fp = fingerprint::serialize(*sketch);
  auto parsed =
      fingerprint::parse(ByteView(reinterpret_cast<const std::uint8_t*>(fp.data()), fp.size()));
  if (!parsed) return;  // cannot happen for a builder's fingerprint; keep it as built
  parsed->coverage = std::move(coverage);
  sketch = std::move(*parsed);
}

void as_stored(lineage::FileScanResult& s) {
  as_stored(s.sketch);
  as_stored(s.ema_sketch);
}

class FolderScanner {
public:
  FolderScanner(const FolderOptions& options, FolderReport& report)
      : m_options(options), m_report(report) {}

  void open_caches() {
    if (m_options.cache_path) {
      auto cache = ScanCache::open(*m_options.cache_path);
      if (cache) {
        m_cache.emplace(std::move(*cache));
        m_report.cache_path = m_options.cache_path;
      } else {
        m_report.warnings.push_back("scan cache not used: " + cache.error().message());
      }
    }
    fs::path install = m_options.a1111_install ? *m_options.a1111_install
                                               : m_report.discovery.a1111_root.value_or(fs::path());
    if (install.empty()) return;
    auto a1111 = A1111Cache::load(install);
    if (!a1111) {
      m_report.warnings.push_back("A1111's cache.json not used: " + a1111.error().message());
    } else if (a1111->size() > 0) {
      m_report.a1111_cache = a1111->path();
      m_a1111.emplace(std::move(*a1111));
    }
  }

  Result<Scanned> scan(const FoundFile& file) {
    std::error_code ec;
    const std::string key = fs::absolute(file.path, ec).lexically_normal().string();
    const std::string display = file.path.string();
    if (auto seen = m_seen.find({file.stat.device, file.stat.inode}); seen != m_seen.end()) {
      Scanned again{seen->second, HashedBy::k_cache, std::nullopt};
      again.result.identity.input = display;
      return again;  // a second path to a file already scanned in this run
    }
    if (m_cache && !ec)
      if (auto hit = m_cache->find(key, file.stat, m_options.depth)) {
        hit->identity.input = display;
        return remember(file, {std::move(*hit), HashedBy::k_cache, std::nullopt});
      }
    std::optional<std::string> a1111;
    if (m_a1111) a1111 = m_a1111->sha256_for(file.path, file.stat);
    if (m_options.depth == Depth::k_sha256 && a1111) {
      lineage::FileScanResult s;
      s.identity.input = display;
      s.identity.kind = "file";
      s.identity.sha256 = *a1111;
      s.sketch_error = k_sha256_only;
      return remember(file, {std::move(s), HashedBy::k_a1111, a1111});
    }
    PD_ASSIGN_OR_RETURN(auto read, read_file(file, display));
    // Only what was read from an unchanged file is kept for the next run.
    auto after = stat_file(file.path);
    if (m_cache && !ec && after && same_file(*after, file.stat)) {
      auto put = m_cache->put(key, file.stat, m_options.depth, read);
      if (!put && !m_cache_warned) {
        m_report.warnings.push_back("scan cache not updated: " + put.error().message());
        m_cache_warned = true;
      }
    }
    return remember(file, {std::move(read), HashedBy::k_read, a1111});
  }

private:
  Result<lineage::FileScanResult> read_file(const FoundFile& file, const std::string& display) {
    if (m_options.depth == Depth::k_full) {
      PD_ASSIGN_OR_RETURN(auto s,
                          lineage::scan_file_identity(file.path, m_options.check.fingerprint,
                                                      m_options.check.scan));
      s.identity.input = display;
      as_stored(s);
      return s;
    }
    // --quick: the SHA-256 alone, the file never parsed.
    examine::ExamineOptions options;
    options.hashes.sets = hash::k_set_sha256;
    options.hashes.scan = m_options.check.scan;
    PD_ASSIGN_OR_RETURN(auto examined,
                        examine::examine_opened(file.path, std::nullopt, std::nullopt, options));
    return lineage::file_scan_result(display, examined.hashes, nullptr, std::nullopt,
                                     k_sha256_only);
  }

  Scanned remember(const FoundFile& file, Scanned s) {
    m_seen.emplace(std::pair{file.stat.device, file.stat.inode}, s.result);
    return s;
  }

  const FolderOptions& m_options;
  FolderReport& m_report;
  std::optional<ScanCache> m_cache;
  std::optional<A1111Cache> m_a1111;
  std::map<std::pair<std::uint64_t, std::uint64_t>, lineage::FileScanResult> m_seen;
  bool m_cache_warned = false;
};

}  // namespace

std::string_view hashed_by_name(HashedBy by) {
  switch (by) {
    case HashedBy::k_cache: return "cache";
    case HashedBy::k_a1111: return "a1111-cache";
    case HashedBy::k_read: break;
  }
  return "read";
}

int severity_rank(const ScanEntry& e) {
  if (e.error || !e.report) return 4;
  switch (e.report->verdict.verdict) {
    case lineage::VerdictClass::k_nai_leak: return 0;
    case lineage::VerdictClass::k_nai: return 1;
    case lineage::VerdictClass::k_nai_official: return 2;
    case lineage::VerdictClass::k_unknown: return 3;
    case lineage::VerdictClass::k_no_nai_found: return 5;
  }
  return 3;
}

std::string unknown_reason(const ScanEntry& e) {
  if (e.error) return e.error->message();
  if (!e.report || e.report->verdict.verdict != lineage::VerdictClass::k_unknown) return "";
  const auto& v = e.report->verdict;
  if (!v.summary.empty()) return v.summary;
  return v.next_steps.empty() ? std::string("undecided") : v.next_steps.front();
}

Result<FolderReport> scan_folder(lineage::FactSource& source, const fs::path& root,
                                 const FolderOptions& options) {
  FolderReport report;
  PD_ASSIGN_OR_RETURN(report.discovery, discover(root));
  report.depth = options.depth;
  FolderScanner scanner(options, report);
  scanner.open_caches();
  std::uint64_t total = 0, done = 0;
  for (const auto& f : report.discovery.files) total += f.stat.size;
  const auto& files = report.discovery.files;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (options.progress) options.progress(i, files.size(), done, total, files[i].relative);
    ScanEntry entry{files[i], HashedBy::k_read, std::nullopt, std::nullopt, std::nullopt};
    auto scanned = scanner.scan(files[i]);
    done += files[i].stat.size;
    if (!scanned) {
      entry.error = scanned.error();
      report.entries.push_back(std::move(entry));
      continue;
    }
    entry.hashed_by = scanned->by;
    entry.a1111_sha256 = scanned->a1111_sha256;
    // The call `check FILE` makes once it has read the file.
    auto checked = lineage::check_scanned(source, std::move(scanned->result),
                                          files[i].path.string(), options.check);
    if (checked)
      entry.report = std::move(*checked);
    else
      entry.error = checked.error();
    report.entries.push_back(std::move(entry));
  }
  if (options.progress) options.progress(files.size(), files.size(), done, total, "");
  std::stable_sort(
      report.entries.begin(), report.entries.end(),
      [](const ScanEntry& a, const ScanEntry& b) { return severity_rank(a) < severity_rank(b); });
  return report;
}

}  // namespace pedigree::folder
