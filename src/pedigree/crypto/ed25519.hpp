// Ed25519 keys, signatures and key ids through OpenSSL 3's EVP interface.
//
// keyid = lower-case hex SHA-256 of the raw 32-byte public key. Private keys
// are stored as PKCS#8 PEM, optionally encrypted with a passphrase (AES-256-CBC,
// PBKDF2 as OpenSSL 3 writes it by default).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::crypto {

inline constexpr std::size_t k_ed25519_public_key_size = 32;
inline constexpr std::size_t k_ed25519_signature_size = 64;

using PublicKeyBytes = std::array<std::uint8_t, k_ed25519_public_key_size>;

// Hex SHA-256 of a raw public key.
std::string keyid_of(const PublicKeyBytes& public_key);

// An Ed25519 public key. Copyable value; holds the raw bytes and, lazily, an
// OpenSSL handle shared between copies.
class PublicKey {
public:
  // Corruption unless `raw` is exactly 32 bytes OpenSSL accepts as a key.
  static Result<PublicKey> from_raw(ByteView raw);
  // Parses a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") holding an Ed25519 key.
  static Result<PublicKey> from_pem(std::string_view pem);

  const PublicKeyBytes& raw() const { return m_raw; }
  const std::string& keyid() const { return m_keyid; }
  // SubjectPublicKeyInfo PEM, readable by `openssl pkey -pubin`.
  std::string to_pem() const;
  // True when `signature` is a valid Ed25519 signature of exactly `message`.
  bool verify(ByteView message, ByteView signature) const;
  bool verify(std::string_view message, ByteView signature) const;

private:
  PublicKey() = default;
  PublicKeyBytes m_raw{};
  std::string m_keyid;
  std::shared_ptr<void> m_pkey;  // EVP_PKEY*, freed with EVP_PKEY_free
};

// An Ed25519 private key. Move-only; frees its EVP_PKEY on destruction.
class PrivateKey {
public:
  // A fresh key from OpenSSL's CSPRNG.
  static Result<PrivateKey> generate();
  // Reads a PKCS#8 PEM private key; `passphrase` decrypts an encrypted one.
  // Untrusted when the passphrase is wrong or missing, Corruption for other
  // malformed input, NotSupported for a non-Ed25519 key.
  static Result<PrivateKey> from_pem(std::string_view pem,
                                     std::optional<std::string_view> passphrase);

  // PKCS#8 PEM, encrypted with AES-256-CBC when `passphrase` is given.
  Result<std::string> to_pem(std::optional<std::string_view> passphrase) const;
  const PublicKey& public_key() const { return m_public; }
  const std::string& keyid() const { return m_public.keyid(); }
  // The 64-byte Ed25519 signature of `message` (deterministic).
  Result<std::string> sign(std::string_view message) const;

private:
  PrivateKey(std::shared_ptr<void> pkey, PublicKey pub)
      : m_pkey(std::move(pkey)), m_public(std::move(pub)) {}
  static Result<PrivateKey> wrap(void* pkey);
  std::shared_ptr<void> m_pkey;  // EVP_PKEY*, never shared outside this object
  PublicKey m_public;
};

}  // namespace pedigree::crypto
