#include "pedigree/hash/hash_cache.hpp"

#include <cstdlib>
#include <system_error>

namespace pedigree::hash {
namespace {

constexpr int k_cache_version = 1;

nlohmann::json stat_json(const FileStat& st) {
  return {{"size", st.size}, {"mtime_ns", st.mtime_ns}, {"inode", st.inode}, {"device", st.device}};
}

// Merges the sets `older` has and `newer` lacks into `newer` (same file state).
void merge_into(ModelHashes& newer, const ModelHashes& older) {
  const unsigned missing = older.computed & ~newer.computed;
  if (missing & k_set_sha256) {
    newer.sha256 = older.sha256;
    newer.autov2 = older.autov2;
  }
  if (missing & k_set_autov1) newer.autov1 = older.autov1;
  if (missing & k_set_autov3) newer.autov3 = older.autov3;
  if (missing & k_set_crc32) {
    newer.crc32 = older.crc32;
    newer.crc32_civitai = older.crc32_civitai;
  }
  if (missing & k_set_blake3) newer.blake3 = older.blake3;
  if (missing & k_set_weights) {
    newer.weights = older.weights;
    newer.components = older.components;
    newer.weights_error = older.weights_error;
  }
  newer.computed |= older.computed;
}

}  // namespace

std::optional<std::filesystem::path> HashCache::default_path() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "pedigree" / "hashes.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".cache" / "pedigree" / "hashes.json";
  }
  return std::nullopt;
}

HashCache HashCache::load(const std::filesystem::path& path) {
  HashCache cache;
  cache.m_path = path;
  auto text = read_file(path);
  if (!text) return cache;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.value("version", 0) == k_cache_version && json.contains("entries") &&
      json["entries"].is_object()) {
    cache.m_entries = std::move(json["entries"]);
  }
  return cache;
}

std::optional<ModelHashes> HashCache::find(const std::string& key, const FileStat& stat,
                                           unsigned sets) const {
  auto it = m_entries.find(key);
  if (it == m_entries.end() || !it->is_object()) return std::nullopt;
  if (!it->contains("stat") || (*it)["stat"] != stat_json(stat)) return std::nullopt;
  if (!it->contains("hashes")) return std::nullopt;
  auto hashes = from_cache_json((*it)["hashes"]);
  if (!hashes || (hashes->computed & sets) != sets) return std::nullopt;
  return hashes;
}

void HashCache::put(const std::string& key, const FileStat& stat, const ModelHashes& hashes) {
  ModelHashes merged = hashes;
  if (auto older = find(key, stat, 0)) merge_into(merged, *older);
  m_entries[key] = {{"stat", stat_json(stat)}, {"hashes", to_cache_json(merged)}};
}

Result<void> HashCache::save() const {
  std::error_code ec;
  std::filesystem::create_directories(m_path.parent_path(), ec);
  if (ec) return io_error(m_path.parent_path().string() + ": cannot create: " + ec.message());
  nlohmann::json out = {{"version", k_cache_version}, {"entries", m_entries}};
  return write_file_atomic(m_path,
                           out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace pedigree::hash
