// CRC-32 as zlib, PNG and gzip compute it (reflected polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF; check value of "123456789" is
// 0xcbf43926), and Civitai's byte-reversed display form.
#pragma once

#include <cstdint>
#include <string>

#include "pedigree/util/bytes.hpp"

namespace pedigree::hash {

// Incremental CRC-32.
class Crc32 {
public:
  void update(ByteView data);
  std::uint32_t value() const { return m_crc; }

private:
  std::uint32_t m_crc = 0;
};

// 8 lower-case hex digits, most significant first (zlib.crc32 printed as %08x).
std::string crc32_hex(std::uint32_t crc);
// The same four bytes in reverse order, as Civitai shows it (.NET Crc32 emits
// the CRC little-endian): crc 0x44aeb574 -> "74b5ae44".
std::string crc32_civitai_hex(std::uint32_t crc);

}  // namespace pedigree::hash
