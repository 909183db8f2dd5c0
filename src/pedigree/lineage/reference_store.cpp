#include "pedigree/lineage/reference_store.hpp"

#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::lineage {

std::filesystem::path ReferenceStore::dir_for_ledger(const std::filesystem::path& ledger_dir) {
  return ledger_dir / ".git" / "pedigree" / "references";
}

std::filesystem::path ReferenceStore::path_for(std::string_view sha256) const {
  return m_dir / (std::string(sha256) + ".fp");
}

std::filesystem::path ReferenceStore::units_path_for(std::string_view sha256) const {
  return m_dir / (std::string(sha256) + ".units");
}

std::optional<std::string> ReferenceStore::read_stored(const std::filesystem::path& path) const {
  std::error_code ec;
  if (!enabled() || !std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  auto bytes = read_file(path, std::uint64_t(64) << 20);  // .fp ~1 MB, .units ~5 MB
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

Result<std::filesystem::path> ReferenceStore::store(const std::filesystem::path& path,
                                                    std::string_view bytes) const {
  if (!enabled()) return std::filesystem::path();
  std::error_code ec;
  std::filesystem::create_directories(m_dir, ec);
  if (ec) return io_error(m_dir.string() + ": cannot create: " + ec.message());
  PD_TRY(write_file_atomic(path, bytes));
  return path;
}

std::optional<fingerprint::Fingerprint> ReferenceStore::load(std::string_view sha256) const {
  auto bytes = read_stored(path_for(sha256));
  if (!bytes) return std::nullopt;
  auto fp = fingerprint::parse(
      ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
  if (!fp) return std::nullopt;
  return std::move(*fp);
}

Result<std::filesystem::path> ReferenceStore::save(std::string_view sha256,
                                                   const fingerprint::Fingerprint& fp) const {
  return store(path_for(sha256), fingerprint::serialize(fp));
}

std::optional<fingerprint::UnitSignatures> ReferenceStore::load_units(
    std::string_view sha256) const {
  auto bytes = read_stored(units_path_for(sha256));
  if (!bytes) return std::nullopt;
  auto units = fingerprint::parse_units(
      ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
  if (!units) return std::nullopt;
  return std::move(*units);
}

Result<std::filesystem::path> ReferenceStore::save_units(
    std::string_view sha256, const fingerprint::UnitSignatures& units) const {
  return store(units_path_for(sha256), fingerprint::serialize_units(units));
}

}  // namespace pedigree::lineage
