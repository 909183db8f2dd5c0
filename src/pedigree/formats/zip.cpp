#include "pedigree/formats/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace pedigree::formats {
namespace {

constexpr std::uint32_t k_local_sig = k_zip_local_signature;
constexpr std::uint32_t k_central_sig = k_zip_central_signature;
constexpr std::uint32_t k_eocd_sig = 0x06054b50;
constexpr std::uint32_t k_zip64_eocd_sig = 0x06064b50;
constexpr std::uint32_t k_zip64_locator_sig = 0x07064b50;
constexpr std::size_t k_eocd_size = 22;
constexpr std::size_t k_zip64_locator_size = 20;
constexpr std::size_t k_zip64_eocd_size = 56;
constexpr std::size_t k_central_size = 46;
constexpr std::size_t k_local_size = k_zip_local_header_fixed;
constexpr std::size_t k_max_comment = 65535;
constexpr std::uint16_t k_zip64_extra_id = 0x0001;
constexpr std::uint32_t k_sat32 = 0xFFFFFFFF;
constexpr std::uint16_t k_sat16 = 0xFFFF;

// The bytes of a file from offset `base` to its end: the whole file, or (for a
// reader that saw the archive stream by) the part holding its central directory.
struct Window {
  ByteView bytes;
  std::uint64_t base = 0;
  std::uint64_t end() const { return base + bytes.size(); }
};

// End of central directory values, after ZIP64 substitution.
struct Directory {
  std::uint64_t entries = 0;
  std::uint64_t cd_offset = 0;
  std::uint64_t cd_size = 0;
  std::uint64_t cd_limit = 0;  // the central directory must end at or before this offset
  bool zip64 = false;
};

Result<std::size_t> find_eocd(ByteView file) {
  if (file.size() < k_eocd_size) {
    return corruption("not a zip archive: " + std::to_string(file.size()) +
                      " bytes is shorter than an end of central directory record");
  }
  const std::size_t window = std::min(file.size(), k_eocd_size + k_max_comment);
  const std::size_t lowest = file.size() - window;
  for (std::size_t pos = file.size() - k_eocd_size + 1; pos-- > lowest;) {
    if (load_le32(file.data() + pos) != k_eocd_sig) continue;
    const std::size_t comment = load_le16(file.data() + pos + 20);
    if (pos + k_eocd_size + comment == file.size()) return pos;
  }
  return corruption("no zip end of central directory record in the last " + std::to_string(window) +
                    " bytes (not a zip archive, or truncated)");
}

// Reads the ZIP64 end of central directory record that the locator before `eocd_pos` points to.
// `eocd_pos` is relative to the window; offsets in messages and results are absolute.
Result<void> read_zip64(Window file, std::size_t eocd_pos, Directory& dir) {
  const std::size_t loc_rel = eocd_pos - k_zip64_locator_size;
  const std::uint64_t loc_pos = file.base + loc_rel;
  ByteReader loc(file.bytes.subspan(loc_rel, k_zip64_locator_size), loc_pos);
  PD_TRY(loc.skip(4, "zip64 locator signature"));
  PD_ASSIGN_OR_RETURN(auto disk, loc.read_le32("zip64 locator disk"));
  PD_ASSIGN_OR_RETURN(auto rec_off, loc.read_le64("zip64 locator record offset"));
  PD_ASSIGN_OR_RETURN(auto disks, loc.read_le32("zip64 locator disk count"));
  if (disk != 0 || disks > 1) {
    return not_supported("multi-disk zip archives are not supported (zip64 locator" +
                         at_offset(loc_pos) + ")");
  }
  if (rec_off > loc_pos || loc_pos - rec_off < k_zip64_eocd_size) {
    return corruption("zip64 end of central directory offset " + std::to_string(rec_off) +
                      " does not leave room for the record before the locator" +
                      at_offset(loc_pos));
  }
  if (rec_off < file.base) {
    return corruption("zip64 end of central directory" + at_offset(rec_off) +
                      " lies before the bytes read" + at_offset(file.base));
  }
  ByteReader rec(file.bytes.subspan(rec_off - file.base, loc_pos - rec_off), rec_off);
  PD_ASSIGN_OR_RETURN(auto sig, rec.read_le32("zip64 end of central directory signature"));
  if (sig != k_zip64_eocd_sig) {
    return corruption("bad zip64 end of central directory signature" + at_offset(rec_off));
  }
  PD_ASSIGN_OR_RETURN(auto rec_size, rec.read_le64("zip64 end of central directory size"));
  if (rec_size < k_zip64_eocd_size - 12 || rec_size > loc_pos - rec_off - 12) {
    return corruption("zip64 end of central directory size " + std::to_string(rec_size) +
                      " is inconsistent" + at_offset(rec_off + 4));
  }
  PD_TRY(rec.skip(4, "zip64 versions"));
  PD_ASSIGN_OR_RETURN(auto this_disk, rec.read_le32("zip64 disk number"));
  PD_ASSIGN_OR_RETURN(auto cd_disk, rec.read_le32("zip64 central directory disk"));
  PD_ASSIGN_OR_RETURN(auto here, rec.read_le64("zip64 entries on this disk"));
  PD_ASSIGN_OR_RETURN(auto total, rec.read_le64("zip64 total entries"));
  PD_ASSIGN_OR_RETURN(auto cd_size, rec.read_le64("zip64 central directory size"));
  PD_ASSIGN_OR_RETURN(auto cd_offset, rec.read_le64("zip64 central directory offset"));
  if (this_disk != 0 || cd_disk != 0 || here != total) {
    return not_supported("multi-disk zip archives are not supported (zip64 record" +
                         at_offset(rec_off) + ")");
  }
  // Where the classic record holds a real value, it must agree with the ZIP64 one.
  const std::uint8_t* e = file.bytes.data() + eocd_pos;
  const std::uint16_t classic_total = load_le16(e + 10);
  const std::uint32_t classic_size = load_le32(e + 12);
  const std::uint32_t classic_offset = load_le32(e + 16);
  if ((classic_total != k_sat16 && classic_total != total) ||
      (classic_size != k_sat32 && classic_size != cd_size) ||
      (classic_offset != k_sat32 && classic_offset != cd_offset)) {
    return corruption("zip end of central directory" + at_offset(file.base + eocd_pos) +
                      " disagrees with its zip64 record" + at_offset(rec_off));
  }
  dir.entries = total;
  dir.cd_size = cd_size;
  dir.cd_offset = cd_offset;
  dir.cd_limit = rec_off;
  dir.zip64 = true;
  return {};
}

Result<Directory> read_directory(Window file) {
  PD_ASSIGN_OR_RETURN(auto eocd_pos, find_eocd(file.bytes));
  const std::uint8_t* e = file.bytes.data() + eocd_pos;
  Directory dir;
  const std::uint16_t disk = load_le16(e + 4);
  const std::uint16_t cd_disk = load_le16(e + 6);
  const std::uint16_t here = load_le16(e + 8);
  const std::uint16_t total = load_le16(e + 10);
  const bool has_locator =
      eocd_pos >= k_zip64_locator_size &&
      load_le32(file.bytes.data() + eocd_pos - k_zip64_locator_size) == k_zip64_locator_sig;
  if (has_locator) {
    PD_TRY(read_zip64(file, eocd_pos, dir));
  } else {
    if (total == k_sat16 || load_le32(e + 12) == k_sat32 || load_le32(e + 16) == k_sat32) {
      return corruption("zip end of central directory" + at_offset(file.base + eocd_pos) +
                        " needs a zip64 record but has no zip64 locator");
    }
    if ((disk != 0 || cd_disk != 0 || here != total)) {
      return not_supported("multi-disk zip archives are not supported (end of central directory" +
                           at_offset(file.base + eocd_pos) + ")");
    }
    dir.entries = total;
    dir.cd_size = load_le32(e + 12);
    dir.cd_offset = load_le32(e + 16);
    dir.cd_limit = file.base + eocd_pos;
  }
  if (dir.cd_offset > dir.cd_limit || dir.cd_size > dir.cd_limit - dir.cd_offset) {
    return corruption("zip central directory [" + std::to_string(dir.cd_offset) + ", +" +
                      std::to_string(dir.cd_size) + ") lies beyond its end record" +
                      at_offset(dir.cd_limit));
  }
  if (dir.entries > dir.cd_size / k_central_size || dir.entries > k_zip_max_entries) {
    return corruption("zip entry count " + std::to_string(dir.entries) +
                      " cannot fit a central directory of " + std::to_string(dir.cd_size) +
                      " bytes" + at_offset(dir.cd_offset));
  }
  if (dir.cd_offset < file.base) {
    return corruption("zip central directory" + at_offset(dir.cd_offset) +
                      " lies before the bytes read" + at_offset(file.base));
  }
  return dir;
}

// Values a ZIP64 extra field may replace, in the order they appear in it.
struct Zip64Fields {
  std::uint64_t* uncompressed = nullptr;
  std::uint64_t* compressed = nullptr;
  std::uint64_t* local_offset = nullptr;
};

// Reads the ZIP64 extra field (if any) of `extra`, filling only the requested fields.
Result<void> apply_zip64_extra(ByteView extra, std::uint64_t base, Zip64Fields fields) {
  ByteReader r(extra, base);
  bool found = false;
  while (r.remaining() >= 4) {
    PD_ASSIGN_OR_RETURN(auto id, r.read_le16("zip extra field id"));
    PD_ASSIGN_OR_RETURN(auto size, r.read_le16("zip extra field size"));
    PD_ASSIGN_OR_RETURN(auto body, r.read_bytes(size, "zip extra field"));
    if (id != k_zip64_extra_id) continue;
    if (found)
      return corruption("duplicate zip64 extra field" + at_offset(r.file_offset() - size - 4));
    found = true;
    ByteReader z(body, r.file_offset() - size);
    for (std::uint64_t* field : {fields.uncompressed, fields.compressed, fields.local_offset}) {
      if (field == nullptr) continue;
      PD_ASSIGN_OR_RETURN(*field, z.read_le64("zip64 extra field value"));
    }
  }
  const bool wanted = fields.uncompressed || fields.compressed || fields.local_offset;
  if (wanted && !found) {
    return corruption("zip entry needs a zip64 extra field but has none" + at_offset(base));
  }
  return {};
}

Result<ZipEntry> read_central_entry(ByteReader& r) {
  const std::uint64_t start = r.file_offset();
  PD_ASSIGN_OR_RETURN(auto fixed, r.read_bytes(k_central_size, "zip central directory entry"));
  const std::uint8_t* h = fixed.data();
  if (load_le32(h) != k_central_sig) {
    return corruption("bad zip central directory entry signature" + at_offset(start));
  }
  const std::uint16_t flags = load_le16(h + 8);
  const std::uint16_t method = load_le16(h + 10);
  const std::uint16_t name_len = load_le16(h + 28);
  const std::uint16_t extra_len = load_le16(h + 30);
  const std::uint16_t comment_len = load_le16(h + 32);
  const std::uint16_t disk = load_le16(h + 34);
  PD_ASSIGN_OR_RETURN(auto name, r.read_bytes(name_len, "zip entry name"));
  const std::uint64_t extra_at = r.file_offset();
  PD_ASSIGN_OR_RETURN(auto extra, r.read_bytes(extra_len, "zip entry extra field"));
  PD_TRY(r.skip(comment_len, "zip entry comment"));

  ZipEntry entry;
  entry.name.assign(as_string_view(name));
  if ((flags & 0x0041) != 0) {
    return not_supported("zip entry '" + entry.name + "' is encrypted" + at_offset(start));
  }
  if (method != 0 && method != 8) {
    return not_supported("zip entry '" + entry.name + "' uses compression method " +
                         std::to_string(method) + " (only stored and deflated)" + at_offset(start));
  }
  entry.method = static_cast<ZipMethod>(method);
  entry.crc32 = load_le32(h + 16);
  entry.compressed_size = load_le32(h + 20);
  entry.uncompressed_size = load_le32(h + 24);
  entry.header_offset = load_le32(h + 42);
  Zip64Fields want;
  if (entry.uncompressed_size == k_sat32) want.uncompressed = &entry.uncompressed_size;
  if (entry.compressed_size == k_sat32) want.compressed = &entry.compressed_size;
  if (entry.header_offset == k_sat32) want.local_offset = &entry.header_offset;
  PD_TRY(apply_zip64_extra(extra, extra_at, want));
  if (disk != 0 && disk != k_sat16) {
    return not_supported("zip entry '" + entry.name + "' is on disk " + std::to_string(disk) +
                         " (multi-disk archives are not supported)");
  }
  if (entry.name.empty()) return corruption("zip entry with an empty name" + at_offset(start));
  if (entry.method == ZipMethod::k_stored && entry.compressed_size != entry.uncompressed_size) {
    return corruption("stored zip entry '" + entry.name + "' has compressed size " +
                      std::to_string(entry.compressed_size) + " != uncompressed size " +
                      std::to_string(entry.uncompressed_size) + at_offset(start));
  }
  return entry;
}

// Checks the local header of `entry` and sets its data offset; data must end by `limit`.
Result<void> read_local_header(ByteView file, ZipEntry& entry, std::uint64_t limit) {
  const std::uint64_t off = entry.header_offset;
  const std::string where = "zip local header of '" + entry.name + "'";
  if (off > limit || limit - off < k_local_size) {
    return corruption(where + at_offset(off) + " lies beyond the central directory" +
                      at_offset(limit));
  }
  const ByteView rest = file.subspan(off, limit - off);
  auto length = zip_local_header_length(rest, off);
  if (!length) return corruption("bad signature of " + where + at_offset(off));
  if (*length > rest.size()) {
    return corruption(where + at_offset(off) + " runs past the central directory" +
                      at_offset(limit));
  }
  PD_ASSIGN_OR_RETURN(auto local, parse_zip_local_header(rest.first(*length), off));
  if (local.name != entry.name) {
    return corruption(where + at_offset(off) + " names '" + local.name + "' instead");
  }
  if (local.method != static_cast<std::uint16_t>(entry.method)) {
    return corruption(where + at_offset(off) + " has a different compression method");
  }
  if (!local.has_data_descriptor() &&
      (local.compressed_size != entry.compressed_size ||
       local.uncompressed_size != entry.uncompressed_size || local.crc32 != entry.crc32)) {
    return corruption(where + at_offset(off) + " disagrees with the central directory");
  }
  entry.data_offset = local.data_offset;
  if (entry.compressed_size > limit - entry.data_offset) {
    return corruption("zip entry '" + entry.name + "' data [" + std::to_string(entry.data_offset) +
                      ", +" + std::to_string(entry.compressed_size) +
                      ") runs past the central directory" + at_offset(limit));
  }
  return {};
}

Result<void> check_no_overlap(const std::vector<ZipEntry>& entries) {
  std::vector<const ZipEntry*> order;
  order.reserve(entries.size());
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->header_offset < b->header_offset;
  });
  for (std::size_t i = 1; i < order.size(); ++i) {
    const ZipEntry& prev = *order[i - 1];
    if (prev.data_offset + prev.compressed_size > order[i]->header_offset) {
      return corruption("zip entries '" + prev.name + "' and '" + order[i]->name + "' overlap" +
                        at_offset(order[i]->header_offset));
    }
  }
  return {};
}

// The central directory's entries (local headers not read, data_offset 0).
Result<ZipArchive> read_central_entries(Window file, const Directory& dir) {
  ZipArchive archive;
  archive.zip64 = dir.zip64;
  archive.entries.reserve(static_cast<std::size_t>(dir.entries));
  ByteReader r(file.bytes.subspan(dir.cd_offset - file.base, dir.cd_size), dir.cd_offset);
  std::unordered_set<std::string> names;
  for (std::uint64_t i = 0; i < dir.entries; ++i) {
    PD_ASSIGN_OR_RETURN(auto entry, read_central_entry(r));
    if (!names.insert(entry.name).second) {
      return corruption("duplicate zip entry name '" + entry.name + "'");
    }
    archive.entries.push_back(std::move(entry));
  }
  if (!r.at_end()) {
    return corruption("zip central directory has " + std::to_string(r.remaining()) +
                      " unexplained bytes" + at_offset(r.file_offset()));
  }
  return archive;
}

}  // namespace

const ZipEntry* ZipArchive::find(std::string_view name) const {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool looks_like_zip(ByteView file) {
  return file.size() >= 4 && load_le32(file.data()) == k_local_sig;
}

Result<std::size_t> zip_local_header_length(ByteView fixed, std::uint64_t offset) {
  if (fixed.size() < k_local_size) {
    return corruption("zip local header" + at_offset(offset) + " is cut short");
  }
  if (load_le32(fixed.data()) != k_local_sig) {
    return corruption("bad zip local header signature" + at_offset(offset));
  }
  return k_local_size + load_le16(fixed.data() + 26) + load_le16(fixed.data() + 28);
}

Result<ZipLocalHeader> parse_zip_local_header(ByteView header, std::uint64_t offset) {
  PD_ASSIGN_OR_RETURN(auto length, zip_local_header_length(header, offset));
  if (header.size() != length) {
    return corruption("zip local header" + at_offset(offset) + " is " + std::to_string(length) +
                      " bytes, not " + std::to_string(header.size()));
  }
  const std::uint8_t* h = header.data();
  ZipLocalHeader local;
  local.flags = load_le16(h + 6);
  local.method = load_le16(h + 8);
  local.crc32 = load_le32(h + 14);
  local.compressed_size = load_le32(h + 18);
  local.uncompressed_size = load_le32(h + 22);
  local.header_offset = offset;
  local.data_offset = offset + length;
  const std::size_t name_len = load_le16(h + 26);
  local.name.assign(as_string_view(header.subspan(k_local_size, name_len)));
  if (!local.has_data_descriptor()) {  // the sizes are here, not after the data
    Zip64Fields want;
    if (local.uncompressed_size == k_sat32 || local.compressed_size == k_sat32)
      want = {&local.uncompressed_size, &local.compressed_size, nullptr};
    PD_TRY(apply_zip64_extra(header.subspan(k_local_size + name_len),
                             offset + k_local_size + name_len, want));
  }
  return local;
}

Result<ZipArchive> parse_zip(ByteView file) {
  const Window whole{file, 0};
  PD_ASSIGN_OR_RETURN(auto dir, read_directory(whole));
  PD_ASSIGN_OR_RETURN(auto archive, read_central_entries(whole, dir));
  for (auto& entry : archive.entries) PD_TRY(read_local_header(file, entry, dir.cd_offset));
  PD_TRY(check_no_overlap(archive.entries));
  return archive;
}

Result<ZipArchive> parse_zip_directory(ByteView tail, std::uint64_t tail_offset) {
  const Window window{tail, tail_offset};
  PD_ASSIGN_OR_RETURN(auto dir, read_directory(window));
  return read_central_entries(window, dir);
}

Result<ByteView> zip_stored_bytes(ByteView file, const ZipEntry& entry) {
  if (entry.method != ZipMethod::k_stored) {
    return not_supported("zip entry '" + entry.name +
                         "' is deflated; only stored entries are read in place");
  }
  if (entry.data_offset > file.size() || entry.compressed_size > file.size() - entry.data_offset) {
    return invalid_argument("zip entry '" + entry.name + "' does not belong to this file");
  }
  return file.subspan(entry.data_offset, entry.compressed_size);
}

Result<std::vector<std::uint8_t>> zip_read_small_entry(ByteView file, const ZipEntry& entry,
                                                       std::uint64_t max_size) {
  if (entry.uncompressed_size > max_size) {
    return invalid_argument("zip entry '" + entry.name + "' is " +
                            std::to_string(entry.uncompressed_size) + " bytes, more than " +
                            std::to_string(max_size));
  }
  if (entry.data_offset > file.size() || entry.compressed_size > file.size() - entry.data_offset) {
    return invalid_argument("zip entry '" + entry.name + "' does not belong to this file");
  }
  ByteView in = file.subspan(entry.data_offset, entry.compressed_size);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(entry.uncompressed_size));
  if (entry.method == ZipMethod::k_stored) {
    std::copy(in.begin(), in.end(), out.begin());
  } else {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return internal_error("zlib inflateInit2 failed");
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in =
        static_cast<uInt>(std::min<std::size_t>(in.size(), std::numeric_limits<uInt>::max()));
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    const bool complete = rc == Z_STREAM_END && zs.total_out == out.size();
    inflateEnd(&zs);
    if (!complete) {
      return corruption("zip entry '" + entry.name + "' does not inflate to its recorded " +
                        std::to_string(out.size()) + " bytes" + at_offset(entry.data_offset));
    }
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, out.data(), static_cast<uInt>(out.size()));
  if (static_cast<std::uint32_t>(crc) != entry.crc32) {
    return corruption("zip entry '" + entry.name + "' fails its CRC-32 check" +
                      at_offset(entry.data_offset));
  }
  return out;
}

}  // namespace pedigree::formats
