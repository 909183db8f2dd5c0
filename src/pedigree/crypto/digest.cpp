#include "pedigree/crypto/digest.hpp"

#include <cstdio>
#include <cstdlib>

#include <openssl/evp.h>

#include "pedigree/util/hex.hpp"

namespace pedigree::crypto {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
  std::fprintf(stderr, "pedigree: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

void MdCtxFree::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
    openssl_failed("SHA-256 init");
  }
}

void Sha256::update(ByteView bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(m_ctx.get(), bytes.data(), bytes.size()) != 1) {
    openssl_failed("SHA-256 update");
  }
}

void Sha256::update(std::string_view text) {
  update(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Sha256Digest Sha256::finish() {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(m_ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    openssl_failed("SHA-256 final");
  }
  return out;
}

Sha256Digest sha256(ByteView bytes) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    openssl_failed("SHA-256");
  }
  return out;
}

Sha256Digest sha256(std::string_view text) {
  return sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string sha256_hex(std::string_view text) {
  return to_hex(sha256(text));
}

std::string sha256_hex(ByteView bytes) {
  return to_hex(sha256(bytes));
}

}  // namespace pedigree::crypto
