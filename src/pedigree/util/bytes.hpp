// Bounds-checked reading of untrusted bytes.
//
// Every parser in pedigree reads through a ByteReader: each read checks that
// the bytes exist before touching them and returns a Corruption error naming
// the field and the offset otherwise. No length read from a file is trusted
// before it is compared with what remains.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pedigree/util/error.hpp"

namespace pedigree {

using ByteView = std::span<const std::uint8_t>;

// Little-endian decoding from a pointer the caller has already bounds-checked.
inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(load_le32(p)) | (static_cast<std::uint64_t>(load_le32(p + 4)) << 32);
}

// A cursor over a span of untrusted bytes. Cheap to copy; does not own the bytes.
class ByteReader {
public:
  explicit ByteReader(ByteView bytes, std::uint64_t base_offset = 0)
      : m_bytes(bytes), m_base(base_offset) {}

  std::size_t position() const { return m_pos; }
  // Offset of the cursor in the enclosing file, for error messages.
  std::uint64_t file_offset() const { return m_base + m_pos; }
  std::size_t remaining() const { return m_bytes.size() - m_pos; }
  bool at_end() const { return m_pos == m_bytes.size(); }

  // Each read fails with Corruption("<what>: ... at offset N") if fewer bytes remain.
  Result<std::uint8_t> read_u8(std::string_view what);
  Result<std::uint16_t> read_le16(std::string_view what);
  Result<std::uint32_t> read_le32(std::string_view what);
  Result<std::uint64_t> read_le64(std::string_view what);
  // Returns a view of the next `count` bytes (valid as long as the underlying span).
  Result<ByteView> read_bytes(std::size_t count, std::string_view what);
  Result<void> skip(std::size_t count, std::string_view what);
  Result<void> seek(std::size_t position, std::string_view what);

private:
  Result<void> require(std::size_t count, std::string_view what) const;

  ByteView m_bytes;
  std::uint64_t m_base;
  std::size_t m_pos = 0;
};

// Views a byte span as text (no copy, no validation).
inline std::string_view as_string_view(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace pedigree
