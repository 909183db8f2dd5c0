#include "pedigree/folder/scan_cache.hpp"

#include <cstdlib>
#include <system_error>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/fingerprint/serialize.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;

// Bumped whenever the stored form changes; older rows are then ignored
// (2: the EMA copy's sketch, which a row without it would silently drop).
constexpr int k_cache_format = 2;

constexpr std::string_view k_schema = R"(
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
  device INTEGER NOT NULL, depth TEXT NOT NULL, format INTEGER NOT NULL,
  scan TEXT NOT NULL, sketch BLOB
);
)";

nlohmann::json coverage_to_json(const fingerprint::Coverage& c) {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& k : c.components)
    comps.push_back({{"tensors_present", k.tensors_present},
                     {"params_present", k.params_present},
                     {"tensors_sketched", k.tensors_sketched},
                     {"params_sketched", k.params_sketched},
                     {"tensors_skipped", k.tensors_skipped},
                     {"params_skipped", k.params_skipped},
                     {"skipped_examples", k.skipped_examples}});
  return {{"components", comps},
          {"sd1_tensors_sketched", c.sd1_tensors_sketched},
          {"sd1_params_sketched", c.sd1_params_sketched},
          {"sd1_tensors_shape_mismatch", c.sd1_tensors_shape_mismatch},
          {"sd1_tensors_total", c.sd1_tensors_total},
          {"sd1_params_total", c.sd1_params_total},
          {"skipped_dtypes", c.skipped_dtypes}};
}

fingerprint::Coverage coverage_from_json(const nlohmann::json& j) {
  fingerprint::Coverage c;
  const auto& comps = j.at("components");
  for (std::size_t i = 0; i < c.components.size() && i < comps.size(); ++i) {
    auto& k = c.components[i];
    const auto& e = comps[i];
    e.at("tensors_present").get_to(k.tensors_present);
    e.at("params_present").get_to(k.params_present);
    e.at("tensors_sketched").get_to(k.tensors_sketched);
    e.at("params_sketched").get_to(k.params_sketched);
    e.at("tensors_skipped").get_to(k.tensors_skipped);
    e.at("params_skipped").get_to(k.params_skipped);
    e.at("skipped_examples").get_to(k.skipped_examples);
  }
  j.at("sd1_tensors_sketched").get_to(c.sd1_tensors_sketched);
  j.at("sd1_params_sketched").get_to(c.sd1_params_sketched);
  j.at("sd1_tensors_shape_mismatch").get_to(c.sd1_tensors_shape_mismatch);
  j.at("sd1_tensors_total").get_to(c.sd1_tensors_total);
  j.at("sd1_params_total").get_to(c.sd1_params_total);
  j.at("skipped_dtypes").get_to(c.skipped_dtypes);
  return c;
}

}  // namespace

std::string_view depth_name(Depth depth) {
  return depth == Depth::k_full ? "full" : "sha256";
}

nlohmann::json scan_to_json(const lineage::FileScanResult& s) {
  const auto& id = s.identity;
  nlohmann::json recipes = nlohmann::json::array();
  for (const auto& r : s.recipes)
    recipes.push_back({{"parent", r.parent},
                       {"relation", r.relation},
                       {"weight", r.weight ? nlohmann::json(*r.weight) : nlohmann::json()},
                       {"source", r.source}});
  nlohmann::json declared = nlohmann::json::array();
  for (const auto& d : s.declared_hashes)
    declared.push_back({{"key", d.key},
                        {"declared", d.declared},
                        {"kind", d.kind},
                        {"computed", d.computed},
                        {"matches", d.matches}});
  nlohmann::json out = {{"format", k_cache_format},
                        {"sha256", id.sha256},
                        {"weights", id.weights_hash},
                        {"unet", id.unet_hash},
                        {"vae", id.vae_hash},
                        {"text_encoder", id.text_encoder_hash},
                        {"licence", id.declared_licence},
                        {"sketch_error", s.sketch_error},
                        {"recipes", recipes},
                        {"declared_hashes", declared},
                        {"coverage", nullptr}};
  if (s.sketch && s.sketch->coverage) out["coverage"] = coverage_to_json(*s.sketch->coverage);
  // The EMA copy of the UNet (lineage/ema_evidence.hpp): its .fp form in base64, its coverage.
  out["ema_sketch_error"] = s.ema_sketch_error;
  out["ema_sketch"] = nullptr;
  out["ema_coverage"] = nullptr;
  if (s.ema_sketch) {
    out["ema_sketch"] = crypto::base64_encode(fingerprint::serialize(*s.ema_sketch));
    if (s.ema_sketch->coverage) out["ema_coverage"] = coverage_to_json(*s.ema_sketch->coverage);
  }
  return out;
}

std::optional<lineage::FileScanResult> scan_from_json(const nlohmann::json& j,
                                                      const std::string& sketch_fp) {
  try {
    if (j.at("format").get<int>() != k_cache_format) return std::nullopt;
    lineage::FileScanResult s;
    s.identity.kind = "file";
    j.at("sha256").get_to(s.identity.sha256);
    j.at("weights").get_to(s.identity.weights_hash);
    j.at("unet").get_to(s.identity.unet_hash);
    j.at("vae").get_to(s.identity.vae_hash);
    j.at("text_encoder").get_to(s.identity.text_encoder_hash);
    j.at("licence").get_to(s.identity.declared_licence);
    j.at("sketch_error").get_to(s.sketch_error);
    for (const auto& r : j.at("recipes")) {
      lineage::MetadataRecipe m;
      r.at("parent").get_to(m.parent);
      r.at("relation").get_to(m.relation);
      if (!r.at("weight").is_null()) m.weight = r.at("weight").get<double>();
      r.at("source").get_to(m.source);
      s.recipes.push_back(std::move(m));
    }
    for (const auto& d : j.at("declared_hashes"))
      s.declared_hashes.push_back(
          {d.at("key").get<std::string>(), d.at("declared").get<std::string>(),
           d.at("kind").get<std::string>(), d.at("computed").get<std::string>(),
           d.at("matches").get<bool>()});
    if (!sketch_fp.empty()) {
      auto fp = fingerprint::parse(
          ByteView(reinterpret_cast<const std::uint8_t*>(sketch_fp.data()), sketch_fp.size()));
      if (!fp) return std::nullopt;
      if (!j.at("coverage").is_null()) fp->coverage = coverage_from_json(j.at("coverage"));
      s.sketch = std::move(*fp);
    }
    j.at("ema_sketch_error").get_to(s.ema_sketch_error);
    if (!j.at("ema_sketch").is_null()) {
      auto bytes = crypto::base64_decode(j.at("ema_sketch").get<std::string>());
      if (!bytes) return std::nullopt;
      auto fp = fingerprint::parse(
          ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
      if (!fp) return std::nullopt;
      if (!j.at("ema_coverage").is_null()) fp->coverage = coverage_from_json(j.at("ema_coverage"));
      s.ema_sketch = std::move(*fp);
    }
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a row written by another version, or damaged: read the file again
  }
}

std::optional<fs::path> ScanCache::default_path() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
    return fs::path(xdg) / "pedigree" / "scan.sqlite";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return fs::path(home) / ".cache" / "pedigree" / "scan.sqlite";
  return std::nullopt;
}

Result<ScanCache> ScanCache::open(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return io_error(path.parent_path().string() + ": cannot create: " + ec.message());
  auto db = index::Database::open(path.string());
  if (db && db->exec(k_schema)) return ScanCache(std::move(*db));
  // Not a database (damaged, or something else): set it aside, start afresh.
  fs::rename(path, fs::path(path.string() + ".damaged"), ec);
  PD_ASSIGN_OR_RETURN(auto fresh, index::Database::open(path.string()));
  PD_TRY(fresh.exec(k_schema));
  return ScanCache(std::move(fresh));
}

std::optional<lineage::FileScanResult> ScanCache::find(const std::string& key, const FileStat& stat,
                                                       Depth depth) {
  auto st = m_db.prepare(
      "SELECT size, mtime_ns, inode, device, depth, scan, sketch FROM files WHERE path = ?1");
  if (!st) return std::nullopt;
  st->bind(1, key);
  auto row = st->step();
  if (!row || !*row) return std::nullopt;
  if (static_cast<std::uint64_t>(st->column_int(0)) != stat.size ||
      st->column_int(1) != stat.mtime_ns ||
      static_cast<std::uint64_t>(st->column_int(2)) != stat.inode ||
      static_cast<std::uint64_t>(st->column_int(3)) != stat.device)
    return std::nullopt;
  if (depth == Depth::k_full && st->column_text(4) != depth_name(Depth::k_full))
    return std::nullopt;
  auto json = nlohmann::json::parse(st->column_text(5), nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return scan_from_json(json, st->column_blob(6));
}

Result<void> ScanCache::put(const std::string& key, const FileStat& stat, Depth depth,
                            const lineage::FileScanResult& scanned) {
  PD_ASSIGN_OR_RETURN(auto tx, index::Transaction::begin(m_db));
  PD_ASSIGN_OR_RETURN(auto st, m_db.prepare("INSERT OR REPLACE INTO files (path, size, mtime_ns, "
                                            "inode, device, depth, format, scan, sketch) VALUES "
                                            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  st.bind(1, key)
      .bind(2, static_cast<std::int64_t>(stat.size))
      .bind(3, stat.mtime_ns)
      .bind(4, static_cast<std::int64_t>(stat.inode))
      .bind(5, static_cast<std::int64_t>(stat.device))
      .bind(6, depth_name(depth))
      .bind(7, static_cast<std::int64_t>(k_cache_format))
      .bind(8, scan_to_json(scanned).dump());
  std::string fp;
  if (scanned.sketch) fp = fingerprint::serialize(*scanned.sketch);
  if (fp.empty())
    st.bind_null(9);
  else
    st.bind_blob(9, ByteView(reinterpret_cast<const std::uint8_t*>(fp.data()), fp.size()));
  PD_TRY(st.run());
  return tx.commit();
}

}  // namespace pedigree::folder
