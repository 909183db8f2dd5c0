#include "pedigree/folder/a1111_cache.hpp"

#include <cmath>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;

// cache.json of a large install is a few MiB (hashes plus safetensors metadata).
constexpr std::uint64_t k_max_cache_json = 256ull << 20;

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

Result<A1111Cache> A1111Cache::load(const fs::path& install) {
  A1111Cache cache;
  cache.m_path = install / "cache.json";
  std::error_code ec;
  cache.m_checkpoints =
      fs::absolute(install / "models" / "Stable-diffusion", ec).lexically_normal();
  if (!fs::exists(cache.m_path, ec)) return cache;
  PD_ASSIGN_OR_RETURN(auto text, read_file(cache.m_path, k_max_cache_json));
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return corruption(cache.m_path.string() + ": not a JSON object");
  auto hashes = json.find("hashes");
  if (hashes == json.end()) return cache;
  if (!hashes->is_object())
    return corruption(cache.m_path.string() + ": \"hashes\" is not an object");
  for (const auto& [key, value] : hashes->items()) {
    if (!key.starts_with("checkpoint/") || !value.is_object()) continue;
    auto mtime = value.find("mtime");
    auto sha = value.find("sha256");
    if (mtime == value.end() || !mtime->is_number() || sha == value.end() || !sha->is_string())
      continue;  // an entry A1111 never finished: ignored, the file is read
    const std::string hex = sha->get<std::string>();
    if (!is_sha256_hex(hex)) continue;
    cache.m_entries[key] = {mtime->get<double>(), to_lower_ascii(hex)};
  }
  return cache;
}

std::optional<std::string> A1111Cache::sha256_for(const fs::path& file,
                                                  const FileStat& stat) const {
  std::error_code ec;
  const fs::path abs = fs::absolute(file, ec).lexically_normal();
  if (ec) return std::nullopt;
  const fs::path rel = abs.lexically_relative(m_checkpoints);
  if (rel.empty() || rel.begin()->string() == "..") return std::nullopt;
  auto it = m_entries.find("checkpoint/" + rel.generic_string());
  if (it == m_entries.end()) return std::nullopt;
  const double mtime = static_cast<double>(stat.mtime_ns) / 1e9;
  // A double holds today's epoch seconds to ~0.24 us: agree to the microsecond.
  if (std::fabs(mtime - it->second.mtime) > 1e-6) return std::nullopt;
  return it->second.sha256;
}

}  // namespace pedigree::folder
