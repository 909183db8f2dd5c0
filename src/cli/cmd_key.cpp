// pedigree key generate|list|export|import: the user's Ed25519 signing keys
// (crypto::KeyStore, $XDG_CONFIG_HOME/pedigree/keys). Public keys reach a
// ledger's keys/ with the first event they sign.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/signing_key.hpp"
#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/sshsig.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::cli {
namespace {

struct KeyOptions {
  std::string name, email, passphrase_file;
  std::string keyid;  // export: prefix
  std::string pem;    // import: file
  bool json = false;
  bool allowed_signers = false;
};

nlohmann::json key_json(const crypto::KeyInfo& info) {
  return {{"keyid", info.keyid},
          {"name", info.identity.name},
          {"email", info.identity.email},
          {"encrypted", info.encrypted},
          {"private_key", info.pem_path.string()}};
}

void print_stored(const crypto::KeyInfo& info, const char* verb) {
  std::cout << verb << " key " << terminal_safe(info.keyid) << '\n'
            << "  identity  " << terminal_safe(info.identity.name) << " <"
            << terminal_safe(info.identity.email) << ">\n"
            << "  private   " << terminal_safe(info.pem_path.string())
            << (info.encrypted ? " (passphrase-encrypted)" : " (not encrypted)") << '\n';
}

Result<crypto::KeyStore> store() {
  return crypto::KeyStore::open_default();
}

int run_generate(const KeyOptions& o) {
  auto passphrase = read_passphrase(o.passphrase_file);
  if (!passphrase) return report_error(passphrase.error());
  auto keys = store();
  if (!keys) return report_error(keys.error());
  auto info = keys->generate({o.name, o.email}, *passphrase);
  if (!info) return report_error(info.error());
  if (o.json) {
    print_json(key_json(*info));
  } else {
    print_stored(*info, "generated");
  }
  return k_exit_ok;
}

int run_key_list(const KeyOptions& o) {
  auto keys = store();
  if (!keys) return report_error(keys.error());
  auto list = keys->list();
  if (!list) return report_error(list.error());
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& k : *list) all.push_back(key_json(k));
    print_json(all);
    return k_exit_ok;
  }
  if (list->empty()) std::cout << "no keys in " << terminal_safe(keys->dir().string()) << '\n';
  for (const auto& k : *list) {
    std::cout << terminal_safe(k.keyid) << "  " << terminal_safe(k.identity.name) << " <"
              << terminal_safe(k.identity.email) << ">" << (k.encrypted ? "  [encrypted]" : "")
              << '\n';
  }
  return k_exit_ok;
}

// The public key of a stored key: from its metadata, else by decrypting it.
Result<crypto::PublicKey> public_key_of(const crypto::KeyInfo& info,
                                        const std::string& passphrase_file) {
  if (!info.public_key.empty()) {
    auto raw = crypto::base64_decode(info.public_key);
    if (!raw) return corruption(info.keyid + ": stored public key is not base64");
    PD_ASSIGN_OR_RETURN(
        auto pub, crypto::PublicKey::from_raw(
                      ByteView(reinterpret_cast<const std::uint8_t*>(raw->data()), raw->size())));
    if (pub.keyid() != info.keyid) return corruption(info.keyid + ": stored public key mismatch");
    return pub;
  }
  PD_ASSIGN_OR_RETURN(auto signing, load_signing_key(info.keyid, passphrase_file));
  return signing.key.public_key();
}

int run_export(const KeyOptions& o) {
  auto keys = store();
  if (!keys) return report_error(keys.error());
  auto info = keys->find(o.keyid);
  if (!info) return report_error(info.error());
  auto pub = public_key_of(*info, o.passphrase_file);
  if (!pub) return report_error(pub.error());
  if (!o.allowed_signers) {
    std::cout << pub->to_pem();
    return k_exit_ok;
  }
  if (info->identity.email.empty()) {
    return report_error(Error(ErrorCode::k_invalid_argument,
                              "key " + info->keyid.substr(0, 16) +
                                  " has no email to use as the allowed_signers principal"));
  }
  auto line = crypto::allowed_signers_line(*pub, info->identity.email);
  if (!line) return report_error(line.error());
  std::cout << terminal_safe(*line) << '\n';
  return k_exit_ok;
}

int run_key_import(const KeyOptions& o) {
  auto pem = read_file(o.pem, 64 * 1024);
  if (!pem) return report_error(pem.error());
  auto passphrase = read_passphrase(o.passphrase_file);
  if (!passphrase) return report_error(passphrase.error());
  auto keys = store();
  if (!keys) return report_error(keys.error());
  // The same passphrase decrypts the PEM (if encrypted) and protects the stored copy.
  auto info = keys->import_pem(*pem, *passphrase, {o.name, o.email}, *passphrase);
  if (!info) return report_error(info.error().with_context(o.pem));
  if (o.json) {
    print_json(key_json(*info));
  } else {
    print_stored(*info, "imported");
  }
  return k_exit_ok;
}

}  // namespace

void setup_key(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeyOptions>();
  auto* key =
      app.add_subcommand("key", "Create, list, export, import, rotate and revoke signing keys");
  key->require_subcommand(1);

  auto* gen =
      key->add_subcommand("generate", "Create a signing key in the user's config directory");
  gen->add_option("--name", o->name, "identity name (commit author of what this key signs)");
  gen->add_option("--email", o->email, "identity email");
  add_passphrase_option(gen, o->passphrase_file);
  gen->add_flag("--json", o->json, "print the new key as JSON");
  gen->callback([o, &exit_code] { exit_code = run_generate(*o); });

  auto* list = key->add_subcommand("list", "List the user's signing keys");
  list->add_flag("--json", o->json, "print a JSON array");
  list->callback([o, &exit_code] { exit_code = run_key_list(*o); });

  auto* exp = key->add_subcommand("export", "Print a key's public half (PEM)");
  exp->add_option("KEYID", o->keyid,
                  "key id or a prefix of >= 8 hex digits (default: the only key)");
  exp->add_flag("--allowed-signers", o->allowed_signers,
                "print a git/ssh allowed_signers line (principal = the key's email) instead");
  add_passphrase_option(exp, o->passphrase_file);
  exp->callback([o, &exit_code] { exit_code = run_export(*o); });

  auto* imp = key->add_subcommand("import", "Store an existing Ed25519 private key (PKCS#8 PEM)");
  imp->add_option("PEM", o->pem, "private key file")->required();
  imp->add_option("--name", o->name, "identity name");
  imp->add_option("--email", o->email, "identity email");
  add_passphrase_option(imp, o->passphrase_file);
  imp->add_flag("--json", o->json, "print the imported key as JSON");
  imp->callback([o, &exit_code] { exit_code = run_key_import(*o); });

  setup_key_retire(key, exit_code);
}

}  // namespace pedigree::cli
