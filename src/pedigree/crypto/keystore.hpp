// The user's private keys: $XDG_CONFIG_HOME/pedigree/keys (default
// ~/.config/pedigree/keys), directory mode 0700.
//
// Each key is two files: <keyid>.pem (PKCS#8 PEM, mode 0600, optionally
// passphrase-encrypted) and <keyid>.json (identity: name, email, whether the
// PEM is encrypted, and the base64 raw public key so it can be exported
// without the passphrase). Private keys never go into a ledger.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::crypto {

// pedigree's configuration directory: $XDG_CONFIG_HOME/pedigree, else
// $HOME/.config/pedigree. InvalidArgument when neither variable is set.
Result<std::filesystem::path> config_dir();

struct KeyIdentity {
  std::string name;
  std::string email;
};

struct KeyInfo {
  std::string keyid;
  KeyIdentity identity;
  bool encrypted = false;
  std::filesystem::path pem_path;
  std::string public_key;  // base64 of the raw 32 bytes; empty in files written before it was kept
};

class KeyStore {
public:
  // The store under config_dir()/keys.
  static Result<KeyStore> open_default();
  explicit KeyStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  const std::filesystem::path& dir() const { return m_dir; }

  // Creates a key, stores it (encrypted when `passphrase` is given) and returns its info.
  Result<KeyInfo> generate(const KeyIdentity& identity, std::optional<std::string_view> passphrase);
  // Stores an existing private key PEM (re-encrypted with `new_passphrase` if given).
  Result<KeyInfo> import_pem(std::string_view pem, std::optional<std::string_view> passphrase,
                             const KeyIdentity& identity,
                             std::optional<std::string_view> new_passphrase);
  // Every stored key, sorted by keyid.
  Result<std::vector<KeyInfo>> list() const;
  // The key whose id starts with `prefix` (at least 8 hex digits), or the only
  // key when `prefix` is empty. NotFound / InvalidArgument (ambiguous) otherwise.
  Result<KeyInfo> find(std::string_view prefix) const;
  // Loads and decrypts a private key.
  Result<PrivateKey> load(const KeyInfo& info, std::optional<std::string_view> passphrase) const;

private:
  Result<KeyInfo> store(const PrivateKey& key, const KeyIdentity& identity,
                        std::optional<std::string_view> passphrase);
  std::filesystem::path m_dir;
};

}  // namespace pedigree::crypto
