#include "pedigree/sync/pack_file.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/util/file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

namespace pedigree::sync {
namespace {

// Trees (hexadecimal names and binary ids, most of a ledger's bytes) shrink
// by about 14% at zlib's fastest level, which costs more time than anything
// else in a copy: they are stored in zlib's uncompressed blocks (which
// libgit2 and git also read faster). Commits and events compress 2-3x at the
// fastest level, which costs a fraction of the default's for the same size.
constexpr int k_tree_level = Z_NO_COMPRESSION;
constexpr int k_other_level = Z_BEST_SPEED;
constexpr std::uint32_t k_pack_version = 2;
// The pack is written in chunks of about this size (memory stays bounded).
constexpr std::size_t k_flush_bytes = 1u << 20;
constexpr std::uint32_t k_index_version = 2;
constexpr unsigned char k_index_magic[4] = {0xff, 't', 'O', 'c'};

const char* type_name(ObjectType type) {
  switch (type) {
    case ObjectType::k_commit: return "commit";
    case ObjectType::k_tree: return "tree";
    case ObjectType::k_blob: return "blob";
    case ObjectType::k_tag: return "tag";
  }
  return "?";
}

void put_be32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<unsigned char>(v >> shift));
}

void put_be64(std::vector<unsigned char>& out, std::uint64_t v) {
  put_be32(out, static_cast<std::uint32_t>(v >> 32));
  put_be32(out, static_cast<std::uint32_t>(v));
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[bytes[i] >> 4];
    s += digits[bytes[i] & 15];
  }
  return s;
}

// Writes `bytes` to a new file beside `path`, read-only like every pack
// file, and renames it to `path` (see the header about fsync).
Result<void> write_then_rename(const std::filesystem::path& path,
                               const std::vector<unsigned char>& bytes) {
  auto temp = path.parent_path() / ("tmp_pedigree_" + std::to_string(::getpid()) + "_" +
                                    std::to_string(std::random_device{}()));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return io_error(temp.string() + ": cannot create: " + std::strerror(errno));
  if (int err = write_fully(fd, bytes.data(), bytes.size())) {
    ::close(fd);
    ::unlink(temp.c_str());
    return io_error(temp.string() + ": cannot write: " + std::strerror(err));
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return io_error(path.string() + ": cannot write: " + std::strerror(err));
  }
  return {};
}

}  // namespace

struct PackFileWriter::Codec {
  z_stream trees{};
  z_stream others{};
  crypto::MdCtxPtr sha1{EVP_MD_CTX_new()};       // each object's id
  crypto::MdCtxPtr pack_sha1{EVP_MD_CTX_new()};  // the whole pack, its trailer
  bool ready = deflateInit(&trees, k_tree_level) == Z_OK &&
               deflateInit(&others, k_other_level) == Z_OK && sha1 && pack_sha1 &&
               EVP_DigestInit_ex(pack_sha1.get(), EVP_sha1(), nullptr) == 1;
  ~Codec() {
    deflateEnd(&trees);  // Z_STREAM_ERROR, harmless, for a stream never initialised
    deflateEnd(&others);
  }
};

PackFileWriter::PackFileWriter(std::filesystem::path objects_dir, std::uint32_t count)
    : m_objects_dir(std::move(objects_dir)), m_count(count), m_codec(std::make_unique<Codec>()) {
  m_pack = {'P', 'A', 'C', 'K'};
  put_be32(m_pack, k_pack_version);
  put_be32(m_pack, count);
  m_entries.reserve(count);
}

PackFileWriter::~PackFileWriter() {
  if (m_fd >= 0) ::close(m_fd);
  if (!m_temp.empty()) ::unlink(m_temp.c_str());
}

Result<void> PackFileWriter::flush() {
  if (m_fd < 0) {
    m_temp = m_objects_dir / "pack" /
             ("tmp_pedigree_" + std::to_string(::getpid()) + "_" +
              std::to_string(std::random_device{}()) + ".pack");
    m_fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (m_fd < 0) {
      int err = errno;
      m_temp.clear();
      return io_error((m_objects_dir / "pack").string() +
                      ": cannot create a pack: " + std::strerror(err));
    }
  }
  if (EVP_DigestUpdate(m_codec->pack_sha1.get(), m_pack.data(), m_pack.size()) != 1) {
    return internal_error("SHA-1 failed");
  }
  if (int err = write_fully(m_fd, m_pack.data(), m_pack.size())) {
    return io_error(m_temp.string() + ": cannot write: " + std::strerror(err));
  }
  m_flushed += m_pack.size();
  m_pack.clear();
  return {};
}

Result<void> PackFileWriter::add(const ObjectId& id, ObjectType type,
                                 std::span<const unsigned char> data) {
  if (m_entries.size() >= m_count) return invalid_argument("more objects than the pack announced");
  if (!m_codec->ready) return internal_error("cannot start zlib or SHA-1");
  // The id is the SHA-1 of "<type> <size>\0" followed by the bytes.
  std::string header = std::string(type_name(type)) + ' ' + std::to_string(data.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestInit_ex(m_codec->sha1.get(), EVP_sha1(), nullptr) != 1 ||
      EVP_DigestUpdate(m_codec->sha1.get(), header.c_str(), header.size() + 1) != 1 ||
      EVP_DigestUpdate(m_codec->sha1.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(m_codec->sha1.get(), digest, &digest_len) != 1 ||
      digest_len != id.size()) {
    return internal_error("SHA-1 failed");
  }
  if (std::memcmp(digest, id.data(), id.size()) != 0) {
    return corruption("object " + hex(id.data(), id.size()) + " hashes to " +
                      hex(digest, digest_len));
  }
  const std::size_t start = m_pack.size();  // the entry is whole in the buffer
  const std::uint64_t offset = m_flushed + start;
  // Entry header: type and size, 4 bits of size then 7 per byte, low bits first.
  std::uint64_t rest = data.size() >> 4;
  m_pack.push_back(static_cast<unsigned char>((static_cast<int>(type) << 4) | (data.size() & 15) |
                                              (rest ? 0x80 : 0)));
  while (rest) {
    m_pack.push_back(static_cast<unsigned char>((rest & 0x7f) | (rest >> 7 ? 0x80 : 0)));
    rest >>= 7;
  }
  z_stream& zs = type == ObjectType::k_tree ? m_codec->trees : m_codec->others;
  if (deflateReset(&zs) != Z_OK) return internal_error("zlib reset failed");
  const std::size_t bound = deflateBound(&zs, static_cast<uLong>(data.size()));
  const std::size_t at = m_pack.size();
  m_pack.resize(at + bound);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = m_pack.data() + at;
  zs.avail_out = static_cast<uInt>(bound);
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return internal_error("cannot compress an object");
  m_pack.resize(at + zs.total_out);
  const auto crc = crc32(0, m_pack.data() + start, static_cast<uInt>(m_pack.size() - start));
  m_entries.push_back({id, offset, static_cast<std::uint32_t>(crc)});
  if (m_pack.size() >= k_flush_bytes) PD_TRY(flush());
  return {};
}

std::vector<unsigned char> PackFileWriter::index_bytes(const ObjectId& pack_hash) {
  std::sort(m_entries.begin(), m_entries.end(),
            [](const Entry& a, const Entry& b) { return a.id < b.id; });
  std::vector<unsigned char> idx(k_index_magic, k_index_magic + 4);
  put_be32(idx, k_index_version);
  // Fan-out: entry i counts the objects whose first byte is at most i.
  std::uint32_t below = 0;
  for (int first = 0; first < 256; ++first) {
    while (below < m_entries.size() && m_entries[below].id[0] <= first) ++below;
    put_be32(idx, below);
  }
  for (const auto& e : m_entries) idx.insert(idx.end(), e.id.begin(), e.id.end());
  for (const auto& e : m_entries) put_be32(idx, e.crc);
  // Offsets from 2^31 on go to a table of 64-bit offsets, flagged by the top bit.
  std::vector<std::uint64_t> large;
  for (const auto& e : m_entries) {
    if (e.offset < 0x80000000u) {
      put_be32(idx, static_cast<std::uint32_t>(e.offset));
    } else {
      put_be32(idx, 0x80000000u | static_cast<std::uint32_t>(large.size()));
      large.push_back(e.offset);
    }
  }
  for (auto offset : large) put_be64(idx, offset);
  idx.insert(idx.end(), pack_hash.begin(), pack_hash.end());
  ObjectId idx_hash;
  EVP_Digest(idx.data(), idx.size(), idx_hash.data(), nullptr, EVP_sha1(), nullptr);
  idx.insert(idx.end(), idx_hash.begin(), idx_hash.end());
  return idx;
}

Result<std::filesystem::path> PackFileWriter::finish() {
  if (m_entries.size() != m_count) return invalid_argument("fewer objects than the pack announced");
  PD_TRY(flush());
  ObjectId pack_hash;
  if (EVP_DigestFinal_ex(m_codec->pack_sha1.get(), pack_hash.data(), nullptr) != 1) {
    return internal_error("SHA-1 failed");
  }
  m_pack.assign(pack_hash.begin(), pack_hash.end());
  PD_TRY(flush());
  if (::close(std::exchange(m_fd, -1)) != 0) {
    return io_error(m_temp.string() + ": cannot write: " + std::strerror(errno));
  }
  const auto dir = m_objects_dir / "pack";
  const std::string name = "pack-" + hex(pack_hash.data(), pack_hash.size());
  const auto pack_path = dir / (name + ".pack");
  if (::rename(m_temp.c_str(), pack_path.c_str()) != 0) {
    return io_error(pack_path.string() + ": cannot write: " + std::strerror(errno));
  }
  m_temp.clear();
  if (auto written = write_then_rename(dir / (name + ".idx"), index_bytes(pack_hash)); !written) {
    ::unlink(pack_path.c_str());
    return std::unexpected(written.error());
  }
  return pack_path;
}

}  // namespace pedigree::sync
