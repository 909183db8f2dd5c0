#include "cli/signing_key.hpp"

#include <cstdlib>

#include "pedigree/util/file.hpp"

namespace pedigree::cli {

void add_passphrase_option(CLI::App* sub, std::string& file) {
  sub->add_option("--passphrase-file", file,
                  "file whose first line is the key's passphrase (default: $PEDIGREE_PASSPHRASE)");
}

Result<std::optional<std::string>> read_passphrase(const std::string& file) {
  if (!file.empty()) {
    PD_ASSIGN_OR_RETURN(std::string text, read_file(file, 64 * 1024));
    std::string line = text.substr(0, text.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return invalid_argument(file + ": empty passphrase");
    return std::optional<std::string>(std::move(line));
  }
  if (const char* env = std::getenv("PEDIGREE_PASSPHRASE"); env && *env) {
    return std::optional<std::string>(env);
  }
  return std::optional<std::string>{};
}

Result<SigningKey> load_signing_key(const std::string& prefix, const std::string& passphrase_file) {
  PD_ASSIGN_OR_RETURN(auto store, crypto::KeyStore::open_default());
  PD_ASSIGN_OR_RETURN(auto info, store.find(prefix));
  std::optional<std::string> passphrase;
  if (info.encrypted) {
    PD_ASSIGN_OR_RETURN(passphrase, read_passphrase(passphrase_file));
    if (!passphrase) {
      return untrusted("key " + info.keyid.substr(0, 16) +
                       " is encrypted: give its passphrase with --passphrase-file or "
                       "$PEDIGREE_PASSPHRASE");
    }
  }
  PD_ASSIGN_OR_RETURN(auto key, store.load(info, passphrase));
  return SigningKey{std::move(key), info.identity};
}

}  // namespace pedigree::cli
