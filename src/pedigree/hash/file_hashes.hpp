// ByteSinks computing the community's whole-file hashes during a scan
// (domain.md §2): SHA-256, AutoV1's window, AutoV3's tensor-data SHA-256,
// CRC-32 and BLAKE3. Each sink sees a single source file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/hash/blake3.hpp"
#include "pedigree/hash/crc32.hpp"
#include "pedigree/scan/scan.hpp"

namespace pedigree::hash {

// AutoV1's window: 0x10000 bytes at offset 0x100000 (A1111 `model_hash`).
inline constexpr std::uint64_t k_autov1_offset = 0x100000;
inline constexpr std::uint64_t k_autov1_length = 0x10000;
// Files under 2 MiB get no AutoV1 (as Civitai; see docs/formats/hashes.md).
inline constexpr std::uint64_t k_autov1_min_size = 2u << 20;

// SHA-256 of the bytes [begin, end) of the file (end clamped to the file size).
// Whole file: begin 0, end UINT64_MAX. AutoV1: the window. AutoV3: [8 + N, end).
class RangeSha256Sink : public scan::ByteSink {
public:
  RangeSha256Sink(std::uint64_t begin, std::uint64_t end) : m_begin(begin), m_end(end) {}
  void begin_source(std::uint32_t, std::uint64_t) override {}
  void update(std::uint32_t source, std::uint64_t offset, ByteView chunk) override;
  void end_source(std::uint32_t) override { m_digest = m_sha.finish(); }
  // Lower-case hex digest; empty before end_source.
  std::string hex() const;

private:
  std::uint64_t m_begin;
  std::uint64_t m_end;
  crypto::Sha256 m_sha;
  std::optional<crypto::Sha256Digest> m_digest;
};

class Crc32Sink : public scan::ByteSink {
public:
  void begin_source(std::uint32_t, std::uint64_t) override {}
  void update(std::uint32_t, std::uint64_t, ByteView chunk) override { m_crc.update(chunk); }
  void end_source(std::uint32_t) override {}
  std::uint32_t value() const { return m_crc.value(); }

private:
  Crc32 m_crc;
};

class Blake3Sink : public scan::ByteSink {
public:
  void begin_source(std::uint32_t, std::uint64_t) override {}
  void update(std::uint32_t, std::uint64_t, ByteView chunk) override { m_hash.update(chunk); }
  void end_source(std::uint32_t) override {}
  std::string hex() const;

private:
  Blake3 m_hash;
};

}  // namespace pedigree::hash
