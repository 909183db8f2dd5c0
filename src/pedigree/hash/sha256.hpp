// SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA
// extensions when present).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "pedigree/util/bytes.hpp"

namespace pedigree::hash {

// Incremental SHA-256. Move-only; owns its EVP_MD_CTX. OpenSSL failures here
// can only mean memory exhaustion or a broken library, and abort the process.
class Sha256 {
public:
  static constexpr std::size_t k_digest_bytes = 32;
  using Digest = std::array<std::uint8_t, k_digest_bytes>;

  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(ByteView data);
  // Returns the digest; the hasher must not be used afterwards.
  Digest finish();

private:
  struct Ctx;
  std::unique_ptr<Ctx> m_ctx;
};

Sha256::Digest sha256(ByteView data);
std::string sha256_hex(ByteView data);

}  // namespace pedigree::hash
