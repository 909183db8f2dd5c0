#include "pedigree/hash/file_hashes.hpp"

#include <algorithm>

#include "pedigree/util/hex.hpp"

namespace pedigree::hash {

void RangeSha256Sink::update(std::uint32_t, std::uint64_t offset, ByteView chunk) {
  const std::uint64_t lo = std::max(offset, m_begin);
  const std::uint64_t hi = std::min(offset + chunk.size(), m_end);
  if (lo < hi) m_sha.update(chunk.subspan(lo - offset, hi - lo));
}

std::string RangeSha256Sink::hex() const {
  return m_digest ? to_hex(*m_digest) : std::string();
}

std::string Blake3Sink::hex() const {
  return to_hex(m_hash.digest());
}

}  // namespace pedigree::hash
