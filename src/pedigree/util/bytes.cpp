#include "pedigree/util/bytes.hpp"

#include <cstring>

namespace pedigree {

Result<void> ByteReader::require(std::size_t count, std::string_view what) const {
  if (count > remaining()) {
    return corruption(std::string(what) + ": needs " + std::to_string(count) + " bytes at offset " +
                      std::to_string(file_offset()) + " but only " + std::to_string(remaining()) +
                      " remain");
  }
  return {};
}

Result<std::uint8_t> ByteReader::read_u8(std::string_view what) {
  PD_TRY(require(1, what));
  return m_bytes[m_pos++];
}

Result<std::uint16_t> ByteReader::read_le16(std::string_view what) {
  PD_TRY(require(2, what));
  auto value = load_le16(m_bytes.data() + m_pos);
  m_pos += 2;
  return value;
}

Result<std::uint32_t> ByteReader::read_le32(std::string_view what) {
  PD_TRY(require(4, what));
  auto value = load_le32(m_bytes.data() + m_pos);
  m_pos += 4;
  return value;
}

Result<std::uint64_t> ByteReader::read_le64(std::string_view what) {
  PD_TRY(require(8, what));
  auto value = load_le64(m_bytes.data() + m_pos);
  m_pos += 8;
  return value;
}

Result<ByteView> ByteReader::read_bytes(std::size_t count, std::string_view what) {
  PD_TRY(require(count, what));
  auto view = m_bytes.subspan(m_pos, count);
  m_pos += count;
  return view;
}

Result<void> ByteReader::skip(std::size_t count, std::string_view what) {
  PD_TRY(require(count, what));
  m_pos += count;
  return {};
}

Result<void> ByteReader::seek(std::size_t position, std::string_view what) {
  if (position > m_bytes.size()) {
    return corruption(std::string(what) + ": offset " + std::to_string(m_base + position) +
                      " is beyond the end (" + std::to_string(m_base + m_bytes.size()) + ")");
  }
  m_pos = position;
  return {};
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

}  // namespace pedigree
