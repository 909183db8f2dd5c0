#include "pedigree/hash/sha256.hpp"

#include <openssl/evp.h>
#include <cstdio>
#include <cstdlib>

#include "pedigree/util/hex.hpp"

namespace pedigree::hash {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
  std::fprintf(stderr, "pedigree: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

struct Sha256::Ctx {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : m_ctx(std::make_unique<Ctx>()) {
  if (!m_ctx->ctx || EVP_DigestInit_ex(m_ctx->ctx.get(), EVP_sha256(), nullptr) != 1) {
    openssl_failed("SHA-256 init");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(ByteView data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(m_ctx->ctx.get(), data.data(), data.size()) != 1) {
    openssl_failed("SHA-256 update");
  }
}

Sha256::Digest Sha256::finish() {
  Digest out{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(m_ctx->ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    openssl_failed("SHA-256 final");
  }
  return out;
}

Sha256::Digest sha256(ByteView data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string sha256_hex(ByteView data) {
  return to_hex(sha256(data));
}

}  // namespace pedigree::hash
