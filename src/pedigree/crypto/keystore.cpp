#include "pedigree/crypto/keystore.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::crypto {
namespace {

constexpr std::size_t k_max_key_file = 64 * 1024;

Result<void> ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error(dir.string() + ": cannot create directory: " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return io_error(dir.string() + ": cannot chmod 0700");
  return {};
}

}  // namespace

Result<std::filesystem::path> config_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "pedigree";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".config" / "pedigree";
  }
  return invalid_argument("neither XDG_CONFIG_HOME nor HOME is set");
}

Result<KeyStore> KeyStore::open_default() {
  PD_ASSIGN_OR_RETURN(auto dir, config_dir());
  return KeyStore(dir / "keys");
}

Result<KeyInfo> KeyStore::store(const PrivateKey& key, const KeyIdentity& identity,
                                std::optional<std::string_view> passphrase) {
  PD_TRY(ensure_private_dir(m_dir));
  PD_ASSIGN_OR_RETURN(std::string pem, key.to_pem(passphrase));
  KeyInfo info{key.keyid(), identity, passphrase.has_value(), m_dir / (key.keyid() + ".pem"),
               base64_encode(ByteView(key.public_key().raw()))};
  // A store killed before its renames left temporaries (a private key among them).
  remove_dead_temporaries(info.pem_path);
  remove_dead_temporaries(m_dir / (key.keyid() + ".json"));
  PD_TRY(write_file_atomic(info.pem_path, pem, 0600));
  nlohmann::json meta = {{"keyid", info.keyid},
                         {"name", identity.name},
                         {"email", identity.email},
                         {"encrypted", info.encrypted},
                         {"public_key", info.public_key}};
  PD_ASSIGN_OR_RETURN(std::string text, canonical_json(meta));
  PD_TRY(write_file_atomic(m_dir / (key.keyid() + ".json"), text + "\n", 0600));
  return info;
}

Result<KeyInfo> KeyStore::generate(const KeyIdentity& identity,
                                   std::optional<std::string_view> passphrase) {
  PD_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::generate());
  return store(key, identity, passphrase);
}

Result<KeyInfo> KeyStore::import_pem(std::string_view pem,
                                     std::optional<std::string_view> passphrase,
                                     const KeyIdentity& identity,
                                     std::optional<std::string_view> new_passphrase) {
  PD_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::from_pem(pem, passphrase));
  return store(key, identity, new_passphrase);
}

Result<std::vector<KeyInfo>> KeyStore::list() const {
  std::vector<KeyInfo> out;
  std::error_code ec;
  if (!std::filesystem::exists(m_dir, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(m_dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto text = read_file(entry.path(), k_max_key_file);
    if (!text) continue;
    auto meta = parse_json(*text, entry.path().string(), k_max_key_file);
    if (!meta || !meta->is_object()) continue;
    KeyInfo info;
    info.keyid = meta->value("keyid", "");
    if (info.keyid.size() != 64 || entry.path().stem() != info.keyid) continue;
    info.identity.name = meta->value("name", "");
    info.identity.email = meta->value("email", "");
    info.encrypted = meta->value("encrypted", false);
    info.public_key = meta->value("public_key", "");
    info.pem_path = m_dir / (info.keyid + ".pem");
    if (!std::filesystem::exists(info.pem_path, ec)) continue;
    out.push_back(std::move(info));
  }
  if (ec) return io_error(m_dir.string() + ": cannot list keys: " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const KeyInfo& a, const KeyInfo& b) { return a.keyid < b.keyid; });
  return out;
}

Result<KeyInfo> KeyStore::find(std::string_view prefix) const {
  PD_ASSIGN_OR_RETURN(auto keys, list());
  if (prefix.empty()) {
    if (keys.size() == 1) return keys.front();
    if (keys.empty())
      return not_found("no signing key in " + m_dir.string() + " (run `pedigree key generate`)");
    return invalid_argument("several keys in " + m_dir.string() + ": choose one with --key");
  }
  if (prefix.size() < 8)
    return invalid_argument("key id prefix '" + std::string(prefix) +
                            "' is shorter than 8 hex digits");
  std::vector<KeyInfo> matches;
  for (auto& k : keys) {
    if (k.keyid.starts_with(prefix)) matches.push_back(k);
  }
  if (matches.empty())
    return not_found("no key with id " + std::string(prefix) + " in " + m_dir.string());
  if (matches.size() > 1)
    return invalid_argument("key id prefix " + std::string(prefix) + " is ambiguous");
  return matches.front();
}

Result<PrivateKey> KeyStore::load(const KeyInfo& info,
                                  std::optional<std::string_view> passphrase) const {
  PD_ASSIGN_OR_RETURN(std::string pem, read_file(info.pem_path, k_max_key_file));
  auto key = PrivateKey::from_pem(pem, passphrase);
  if (!key) return std::unexpected(key.error().with_context(info.pem_path.string()));
  if (key->keyid() != info.keyid) {
    return corruption(info.pem_path.string() + ": holds key " + key->keyid() + ", not " +
                      info.keyid);
  }
  return key;
}

}  // namespace pedigree::crypto
