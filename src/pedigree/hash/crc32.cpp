#include "pedigree/hash/crc32.hpp"

#include <zlib.h>
#include <cstdio>

namespace pedigree::hash {

namespace crc32_detail {
bool have_pclmul();
std::uint32_t crc32_pclmul(std::uint32_t crc, const std::uint8_t* data, std::size_t size);
}  // namespace crc32_detail

void Crc32::update(ByteView data) {
  if (data.size() >= 64 && crc32_detail::have_pclmul()) {
    m_crc = crc32_detail::crc32_pclmul(m_crc, data.data(), data.size());
    return;
  }
  m_crc = static_cast<std::uint32_t>(crc32_z(m_crc, data.data(), data.size()));
}

std::string crc32_hex(std::uint32_t crc) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}

std::string crc32_civitai_hex(std::uint32_t crc) {
  const std::uint32_t reversed =
      ((crc & 0xFF) << 24) | ((crc & 0xFF00) << 8) | ((crc >> 8) & 0xFF00) | (crc >> 24);
  return crc32_hex(reversed);
}

}  // namespace pedigree::hash
