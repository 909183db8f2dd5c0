#include "pedigree/crypto/ed25519.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::crypto {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

std::shared_ptr<void> own_pkey(EVP_PKEY* pkey) {
  return std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

EVP_PKEY* as_pkey(const std::shared_ptr<void>& p) {
  return static_cast<EVP_PKEY*>(p.get());
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

std::string keyid_of(const PublicKeyBytes& public_key) {
  return to_hex(sha256(public_key));
}

Result<PublicKey> PublicKey::from_raw(ByteView raw) {
  if (raw.size() != k_ed25519_public_key_size) {
    return corruption("Ed25519 public key has " + std::to_string(raw.size()) +
                      " bytes, expected 32");
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  if (!pkey) return corruption("Ed25519 public key rejected: " + openssl_error());
  PublicKey key;
  key.m_pkey = own_pkey(pkey);
  std::copy(raw.begin(), raw.end(), key.m_raw.begin());
  key.m_keyid = keyid_of(key.m_raw);
  return key;
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return internal_error("cannot allocate a BIO");
  auto pkey = own_pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return corruption("not a PEM public key: " + openssl_error());
  if (EVP_PKEY_get_id(as_pkey(pkey)) != EVP_PKEY_ED25519) {
    return not_supported("public key is not Ed25519");
  }
  PublicKeyBytes raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(as_pkey(pkey), raw.data(), &len) != 1 || len != raw.size()) {
    return corruption("cannot read the raw Ed25519 public key");
  }
  return from_raw(raw);
}

std::string PublicKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), as_pkey(m_pkey));
  return bio_contents(bio.get());
}

bool PublicKey::verify(ByteView message, ByteView signature) const {
  if (signature.size() != k_ed25519_signature_size || !m_pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, as_pkey(m_pkey)) != 1) {
    ERR_clear_error();
    return false;
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  ERR_clear_error();
  return rc == 1;
}

bool PublicKey::verify(std::string_view message, ByteView signature) const {
  return verify(ByteView(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()),
                signature);
}

Result<PrivateKey> PrivateKey::wrap(void* raw_pkey) {
  auto pkey = own_pkey(static_cast<EVP_PKEY*>(raw_pkey));
  if (EVP_PKEY_get_id(as_pkey(pkey)) != EVP_PKEY_ED25519) {
    return not_supported("private key is not Ed25519");
  }
  PublicKeyBytes raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(as_pkey(pkey), raw.data(), &len) != 1 || len != raw.size()) {
    return corruption("cannot derive the Ed25519 public key");
  }
  PD_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::from_raw(raw));
  return PrivateKey(std::move(pkey), std::move(pub));
}

Result<PrivateKey> PrivateKey::generate() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return internal_error("Ed25519 key generation unavailable: " + openssl_error());
  }
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &pkey) != 1) {
    return internal_error("Ed25519 key generation failed: " + openssl_error());
  }
  return wrap(pkey);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem,
                                        std::optional<std::string_view> passphrase) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return internal_error("cannot allocate a BIO");
  std::string pass = passphrase ? std::string(*passphrase) : std::string();
  // With a null callback OpenSSL takes `u` as the NUL-terminated passphrase; an
  // empty one makes an encrypted key fail instead of prompting on a terminal.
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, pass.data());
  if (!pkey) {
    std::string why = openssl_error();
    if (pem.find("ENCRYPTED") != std::string_view::npos) {
      return untrusted("cannot decrypt the private key (wrong or missing passphrase)");
    }
    return corruption("not a PEM private key: " + why);
  }
  return wrap(pkey);
}

Result<std::string> PrivateKey::to_pem(std::optional<std::string_view> passphrase) const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return internal_error("cannot allocate a BIO");
  int ok = 0;
  if (passphrase) {
    std::string pass(*passphrase);
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), as_pkey(m_pkey), EVP_aes_256_cbc(), nullptr, 0,
                                       nullptr, pass.data());
  } else {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), as_pkey(m_pkey), nullptr, nullptr, 0, nullptr,
                                       nullptr);
  }
  if (ok != 1) return internal_error("cannot write the private key: " + openssl_error());
  return bio_contents(bio.get());
}

Result<std::string> PrivateKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return internal_error("cannot allocate EVP_MD_CTX");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, as_pkey(m_pkey)) != 1) {
    return internal_error("Ed25519 sign init failed: " + openssl_error());
  }
  std::string sig(k_ed25519_signature_size, '\0');
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != k_ed25519_signature_size) {
    return internal_error("Ed25519 signing failed: " + openssl_error());
  }
  return sig;
}

}  // namespace pedigree::crypto
