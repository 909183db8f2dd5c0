#include "pedigree/crypto/digest.hpp"

#include <cstdlib>

#include <openssl/evp.h>

#include "pedigree/util/hex.hpp"

namespace pedigree::crypto {

void Sha256::CtxDeleter::operator()(void* ctx) const {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
}

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_ctx.get()), EVP_sha256(), nullptr) != 1) {
    std::abort();  // out of memory or a broken OpenSSL: nothing sensible to return
  }
}

void Sha256::update(ByteView bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_ctx.get()), bytes.data(), bytes.size());
}

void Sha256::update(std::string_view text) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_ctx.get()), text.data(), text.size());
}

Sha256Digest Sha256::finish() {
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_ctx.get()), out.data(), &len);
  return out;
}

Sha256Digest sha256(ByteView bytes) {
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Sha256Digest sha256(std::string_view text) {
  return sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string sha256_hex(std::string_view text) {
  Sha256Digest d = sha256(text);
  return to_hex(d);
}

}  // namespace pedigree::crypto
