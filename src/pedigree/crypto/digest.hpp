// SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA
// extensions when present): one-shot and incremental. The one SHA-256 of
// pedigree: event ids, key ids, file hashes during a scan, fingerprint
// checksums. Also the one owner type of an OpenSSL digest context.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace pedigree::crypto {

// Frees an OpenSSL digest context; every EVP_MD_CTX in pedigree is held by an MdCtxPtr.
struct MdCtxFree {
  void operator()(evp_md_ctx_st* ctx) const;
};
using MdCtxPtr = std::unique_ptr<evp_md_ctx_st, MdCtxFree>;

inline constexpr std::size_t k_sha256_bytes = 32;
using Sha256Digest = std::array<std::uint8_t, k_sha256_bytes>;

// SHA-256 of `bytes`. Never fails: OpenSSL failures here can only mean memory
// exhaustion or a broken library, and abort the process with a message.
Sha256Digest sha256(ByteView bytes);
Sha256Digest sha256(std::string_view text);

// Lower-case hex SHA-256 of `text` or `bytes`.
std::string sha256_hex(std::string_view text);
std::string sha256_hex(ByteView bytes);

// Incremental SHA-256. Move-only; owns its EVP_MD_CTX; aborts as sha256() does.
class Sha256 {
public:
  using Digest = Sha256Digest;

  Sha256();
  void update(ByteView bytes);
  void update(std::string_view text);
  // Returns the digest; the object must not be updated afterwards.
  Digest finish();

private:
  MdCtxPtr m_ctx;
};

}  // namespace pedigree::crypto
