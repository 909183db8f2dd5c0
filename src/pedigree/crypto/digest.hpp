// SHA-256 through OpenSSL's EVP interface (one-shot and incremental).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"

namespace pedigree::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 of `bytes`. Never fails (OpenSSL's SHA-256 cannot fail on valid input;
// an allocation failure aborts).
Sha256Digest sha256(ByteView bytes);
Sha256Digest sha256(std::string_view text);

// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

// Incremental SHA-256. Move-only; owns its EVP_MD_CTX.
class Sha256 {
public:
  Sha256();
  void update(ByteView bytes);
  void update(std::string_view text);
  // Returns the digest; the object must not be updated afterwards.
  Sha256Digest finish();

private:
  struct CtxDeleter {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxDeleter> m_ctx;
};

}  // namespace pedigree::crypto
