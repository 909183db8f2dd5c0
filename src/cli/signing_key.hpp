// Passphrases and signing keys for the commands that sign (`key`, `attest`).
// A passphrase comes from --passphrase-file or $PEDIGREE_PASSPHRASE, never
// from the command line (where other users could read it in `ps`).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::cli {

// Adds `--passphrase-file F` to `sub`, storing into `file`.
void add_passphrase_option(CLI::App* sub, std::string& file);

// The passphrase: the first line of `file` when given (NotFound / IOError if
// unreadable, InvalidArgument if empty), else $PEDIGREE_PASSPHRASE when set
// and non-empty, else nullopt.
Result<std::optional<std::string>> read_passphrase(const std::string& file);

struct SigningKey {
  crypto::PrivateKey key;
  crypto::KeyIdentity identity;
};

// The user's key whose id starts with `prefix` (the only key when empty),
// decrypted with the passphrase when it is encrypted (Untrusted when the
// passphrase is missing or wrong).
Result<SigningKey> load_signing_key(const std::string& prefix, const std::string& passphrase_file);

}  // namespace pedigree::cli
