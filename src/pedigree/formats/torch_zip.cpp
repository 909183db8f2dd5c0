#include "pedigree/formats/torch_zip.hpp"

#include <map>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/torch_pickle.hpp"
#include "pedigree/formats/zip.hpp"

namespace pedigree::formats {
namespace {

constexpr std::string_view k_pickle_name = "data.pkl";
constexpr std::int64_t k_max_version = 64;  // torch 1.13 writes 3; torch 2.x up to 10

std::string without_line_end(std::string_view text) {
  std::string out(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

// The <dir> of the single "<dir>/data.pkl" entry.
Result<std::string> archive_dir(const ZipArchive& zip) {
  std::optional<std::string> dir;
  for (const auto& e : zip.entries) {
    const auto slash = e.name.find('/');
    if (slash == std::string::npos || e.name.substr(slash + 1) != k_pickle_name) continue;
    if (dir)
      return corruption("torch zip has two object pickles ('" + *dir + "/data.pkl', '" + e.name +
                        "')");
    dir = e.name.substr(0, slash);
  }
  if (!dir) return corruption("zip archive has no <dir>/data.pkl entry: not a PyTorch checkpoint");
  return *dir;
}

Result<std::string> small_text(ByteView file, const ZipEntry& entry) {
  PD_ASSIGN_OR_RETURN(auto bytes, zip_read_small_entry(file, entry, 64));
  return std::string(bytes.begin(), bytes.end());
}

Result<void> check_version(ByteView file, const ZipArchive& zip, const std::string& dir) {
  const ZipEntry* entry = zip.find(dir + "/version");
  if (entry == nullptr) entry = zip.find(dir + "/.data/version");
  if (entry == nullptr) return corruption("torch zip has no " + dir + "/version entry");
  PD_ASSIGN_OR_RETURN(auto text, small_text(file, *entry));
  return check_torch_version_record(text, entry->name);
}

Result<bool> read_big_endian(ByteView file, const ZipArchive& zip, const std::string& dir) {
  const ZipEntry* entry = zip.find(dir + "/byteorder");
  if (entry == nullptr) return false;  // written since torch 2.1; older files are little-endian
  PD_ASSIGN_OR_RETURN(auto text, small_text(file, *entry));
  return torch_byteorder_is_big(text, entry->name);
}

}  // namespace

Result<void> check_torch_version_record(std::string_view record, const std::string& name) {
  const std::string text = without_line_end(record);
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > k_max_version)
      return corruption(name + ": bad version '" + text + "'");
    v = v * 10 + (c - '0');
  }
  if (text.empty() || v < 1 || v > k_max_version) {
    return not_supported(name + ": torch zip format version '" + text + "' is not supported");
  }
  return {};
}

Result<bool> torch_byteorder_is_big(std::string_view record, const std::string& name) {
  const std::string text = without_line_end(record);
  if (text == "little") return false;
  if (text == "big") return true;
  return corruption(name + ": byte order '" + text + "' is neither 'little' nor 'big'");
}

Result<Checkpoint> parse_torch_zip(ByteView file) {
  PD_ASSIGN_OR_RETURN(auto zip, parse_zip(file));
  PD_ASSIGN_OR_RETURN(auto dir, archive_dir(zip));
  PD_TRY(check_version(file, zip, dir));
  PD_ASSIGN_OR_RETURN(bool big_endian, read_big_endian(file, zip, dir));

  const ZipEntry& pkl = *zip.find(dir + "/data.pkl");
  auto pickle_bytes = zip_read_small_entry(file, pkl, k_torch_max_pickle_bytes);
  if (!pickle_bytes) {
    return std::unexpected(pickle_bytes.error().with_context(pkl.name));
  }
  // Offsets in messages are file offsets when data.pkl is stored (the usual case).
  PD_ASSIGN_OR_RETURN(auto parsed,
                      torch::parse_checked_pickle(*pickle_bytes, pkl.data_offset, pkl.name));
  PD_ASSIGN_OR_RETURN(auto object, torch::read_torch_object(parsed, pkl.name));

  std::map<std::string, std::uint64_t> begins;
  for (const auto& [key, decl] : object.storages) {
    const std::string name = dir + "/data/" + key;
    const ZipEntry* entry = zip.find(name);
    if (entry == nullptr)
      return corruption("torch zip has no entry " + name + " for storage '" + key + "'");
    PD_ASSIGN_OR_RETURN(auto bytes, zip_stored_bytes(file, *entry));
    const std::uint64_t want = decl.numel * dtype_size(decl.dtype);
    if (bytes.size() != want) {
      return corruption(name + ": storage holds " + std::to_string(bytes.size()) +
                        " bytes but its " + std::to_string(decl.numel) + " " +
                        std::string(dtype_name(decl.dtype)) + " elements need " +
                        std::to_string(want) + " (offset " + std::to_string(entry->data_offset) +
                        ")");
    }
    begins[key] = entry->data_offset;
  }
  Checkpoint checkpoint;
  checkpoint.format = Format::k_torch_zip;
  PD_TRY(torch::place_tensors(std::move(object), begins, big_endian, checkpoint));
  return checkpoint;
}

}  // namespace pedigree::formats
