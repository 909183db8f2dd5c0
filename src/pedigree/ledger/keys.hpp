// Public keys in a ledger: keys/<keyid>.json is a DSSE envelope
// (payloadType application/vnd.pedigree.key+json) whose payload
//   {"_type":"https://pedigree.dev/key/v1","algorithm":"ed25519","email":..,
//    "name":..,"public_key":"<base64 of the raw 32 bytes>"}
// is signed by that same key (a self-signed identity), and <keyid> is the hex
// SHA-256 of the raw public key.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

inline constexpr std::string_view k_key_payload_type = "application/vnd.pedigree.key+json";
inline constexpr std::size_t k_max_key_file_bytes = 8 * 1024;

struct KeyRecord {
  crypto::PublicKey key;
  crypto::KeyIdentity identity;
};

// The key file bytes for `key` (self-signed).
Result<std::string> make_key_file(const crypto::PrivateKey& key,
                                  const crypto::KeyIdentity& identity);

// Verifies a key file: size, canonical envelope, payload shape, the keyid in
// its path equals SHA-256 of the public key, and the self-signature.
// Corruption / Untrusted naming `rel_path` otherwise.
Result<KeyRecord> verify_key_file(std::string_view rel_path, std::string_view bytes);

// The public keys known to a verifier, by keyid.
class KeyRing {
public:
  void add(KeyRecord record);
  // nullptr when the key is unknown.
  const KeyRecord* find(std::string_view keyid) const;
  std::size_t size() const { return m_keys.size(); }
  const std::map<std::string, KeyRecord, std::less<>>& all() const { return m_keys; }

private:
  std::map<std::string, KeyRecord, std::less<>> m_keys;
};

}  // namespace pedigree::ledger
