// A read-only reader of zip archives held in memory (PKWARE APPNOTE 6.3.x),
// enough for PyTorch's zip checkpoints: it lists entries and locates each
// entry's bytes inside the file without copying them.
//
// Everything is validated before it is returned: the end of central directory
// record is searched only in the last 65,557 bytes (22-byte record + the
// largest comment), ZIP64 locator/record and ZIP64 extra fields are honoured,
// every offset and size is checked against the file, the entry count is
// checked against the central directory's size, each local header must exist
// and carry the same name as its central entry, names are unique, and no two
// entries' bytes overlap. Multi-disk archives and encrypted entries are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// How an entry's bytes are stored. Only these two are accepted.
enum class ZipMethod : std::uint16_t { k_stored = 0, k_deflated = 8 };

struct ZipEntry {
  std::string name;
  ZipMethod method = ZipMethod::k_stored;
  std::uint64_t header_offset = 0;      // absolute offset of the local file header
  std::uint64_t data_offset = 0;        // absolute offset of the entry's (compressed) bytes
  std::uint64_t compressed_size = 0;    // bytes at data_offset
  std::uint64_t uncompressed_size = 0;  // equals compressed_size for stored entries
  std::uint32_t crc32 = 0;              // as recorded in the central directory
};

struct ZipArchive {
  std::vector<ZipEntry> entries;  // in central directory order
  bool zip64 = false;             // a ZIP64 end of central directory record was used

  // The entry named exactly `name`, or nullptr.
  const ZipEntry* find(std::string_view name) const;
};

// Upper bound on the number of entries accepted (far above any checkpoint).
inline constexpr std::uint64_t k_zip_max_entries = 1'000'000;

// Parses the central directory of the zip archive `file`. Corruption (naming
// the structure and offset at fault) for any malformed or inconsistent
// archive; NotSupported for multi-disk, encrypted or non-stored/deflated entries.
Result<ZipArchive> parse_zip(ByteView file);

// The bytes of a stored entry (a view into `file`). NotSupported if the entry
// is deflated. The caller passes the same `file` given to parse_zip.
Result<ByteView> zip_stored_bytes(ByteView file, const ZipEntry& entry);

// The uncompressed bytes of an entry whose uncompressed size is at most
// `max_size` (stored: copied; deflated: inflated with zlib), checked against
// the recorded size and CRC-32. InvalidArgument when the entry is larger.
Result<std::vector<std::uint8_t>> zip_read_small_entry(ByteView file, const ZipEntry& entry,
                                                       std::uint64_t max_size);

// True when `file` starts with a local file header signature ("PK\3\4").
bool looks_like_zip(ByteView file);

// Reading an archive front to back, as its bytes arrive (formats/torch_zip_stream.hpp),
// sees local headers, not the central directory, until the end.

// Signatures that can follow an entry's data.
inline constexpr std::uint32_t k_zip_local_signature = 0x04034b50;       // "PK\3\4"
inline constexpr std::uint32_t k_zip_central_signature = 0x02014b50;     // "PK\1\2"
inline constexpr std::uint32_t k_zip_descriptor_signature = 0x08074b50;  // "PK\7\8"
inline constexpr std::size_t k_zip_local_header_fixed = 30;              // bytes before the name

// A local file header as it stands in the stream.
struct ZipLocalHeader {
  std::string name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t crc32 = 0;            // 0 when a data descriptor follows the data
  std::uint64_t compressed_size = 0;  // likewise (ZIP64 extra field applied)
  std::uint64_t uncompressed_size = 0;
  std::uint64_t header_offset = 0;
  std::uint64_t data_offset = 0;
  // Sizes and CRC come after the data (general purpose flag bit 3), as
  // PyTorch's writer does.
  bool has_data_descriptor() const { return (flags & 0x0008) != 0; }
};

// The whole length of the local header whose first k_zip_local_header_fixed
// bytes start `fixed`. Corruption when they are fewer or the signature is wrong.
Result<std::size_t> zip_local_header_length(ByteView fixed, std::uint64_t offset);

// Parses a complete local header (exactly zip_local_header_length bytes)
// found at file offset `offset`.
Result<ZipLocalHeader> parse_zip_local_header(ByteView header, std::uint64_t offset);

// The central directory of an archive whose last bytes, from file offset
// `tail_offset` to the end, are `tail` (they must hold the whole directory
// and its end records): its entries in directory order, validated as by
// parse_zip except that local headers are not read (data_offset is 0).
Result<ZipArchive> parse_zip_directory(ByteView tail, std::uint64_t tail_offset);

}  // namespace pedigree::formats
