#include "pedigree/folder/a1111_cache.hpp"

#include <cmath>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/json_depth.hpp"
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
  const fs::path path = install / "cache.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return parse("{}", install, path.string());
  PD_ASSIGN_OR_RETURN(auto text, read_file(path, k_max_cache_json));
  return parse(text, install, path.string());
}

Result<A1111Cache> A1111Cache::parse(std::string_view text, const fs::path& install,
                                     const std::string& where) {
  A1111Cache cache;
  cache.m_path = install / "cache.json";
  std::error_code ec;
  cache.m_checkpoints =
      fs::absolute(install / "models" / "Stable-diffusion", ec).lexically_normal();
  if (text.size() > k_max_cache_json)
    return corruption(where + ": larger than " + std::to_string(k_max_cache_json) + " bytes");
  // A1111 writes 3-4 levels; deeper nesting is refused before the parser recurses.
  if (!json_nesting_within(text, 64)) return corruption(where + ": JSON nested too deeply");
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return corruption(where + ": not a JSON object");
  auto hashes = json.find("hashes");
  if (hashes == json.end()) return cache;
  if (!hashes->is_object()) return corruption(where + ": \"hashes\" is not an object");
  for (const auto& [key, value] : hashes->items()) {
    if (!key.starts_with("checkpoint/") || !value.is_object()) continue;
    auto mtime = value.find("mtime");
    auto sha = value.find("sha256");
    if (mtime == value.end() || !mtime->is_number() || sha == value.end() || !sha->is_string())
      continue;  // an entry A1111 never finished: ignored, the file is read
    const std::string hex = sha->get<std::string>();
    // 1e999 parses as infinity: no file has that mtime, so the entry is useless.
    if (!is_sha256_hex(hex) || !std::isfinite(mtime->get<double>())) continue;
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
