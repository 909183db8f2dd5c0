// pedigree key rotate|revoke: a key retires itself in a ledger with a signed
// `key` event (ledger/key_event.hpp), naming its successor, which signs too.
// Trust follows a rotation's successor where the old key was trusted;
// docs/trust.md#key-lifecycle.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "cli/signing_key.hpp"
#include "pedigree/ledger/key_event.hpp"
#include "pedigree/ledger/ledger.hpp"

namespace pedigree::cli {
namespace {

struct RetireOptions {
  std::string key, to, ledger_dir, passphrase_file, note;
  bool compromised = false;
  bool json = false;
};

Result<nlohmann::json> retire(const RetireOptions& o, ledger::KeyRetirement reason) {
  PD_ASSIGN_OR_RETURN(auto old_key, load_signing_key(o.key, o.passphrase_file));
  std::optional<SigningKey> successor;
  if (!o.to.empty()) {
    PD_ASSIGN_OR_RETURN(auto next, load_signing_key(o.to, o.passphrase_file));
    successor.emplace(std::move(next));
  }
  PD_ASSIGN_OR_RETURN(auto where, locate_ledger(o.ledger_dir));
  PD_ASSIGN_OR_RETURN(auto ledger, where.is_default ? ledger::Ledger::open_or_create(
                                                          where.dir, ledger::bundled_ledger_dir())
                                                    : ledger::Ledger::open(where.dir));
  std::string commit;
  if (reason == ledger::KeyRetirement::k_rotated) {
    // The old key's statements in this commit keep counting; later ones do not.
    PD_ASSIGN_OR_RETURN(auto head, ledger.repo().head());
    if (!head) return not_found(where.dir.string() + ": the ledger has no commits");
    commit = *head;
  }
  PD_ASSIGN_OR_RETURN(
      auto st, ledger::key_event_statement(old_key.key, successor ? &successor->key : nullptr,
                                           reason, commit, o.note));
  if (successor) PD_TRY(ledger.add_key(successor->key, successor->identity));
  PD_ASSIGN_OR_RETURN(auto added, ledger.add_event(old_key.key, old_key.identity, st));
  return nlohmann::json{
      {"key", old_key.key.keyid()},
      {"reason", st.predicate["reason"]},
      {"successor", successor ? nlohmann::json(successor->key.keyid()) : nullptr},
      {"ledger_commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)},
      {"event", added.event_id},
      {"path", added.path},
      {"commit", added.commit},
      {"already_present", added.already_present}};
}

int run_retire(const RetireOptions& o, ledger::KeyRetirement reason) {
  auto out = retire(o, reason);
  if (!out) return report_error(out.error());
  if (o.json) {
    print_json(*out);
    return k_exit_ok;
  }
  const auto& j = *out;
  std::cout << "key " << j["key"].get<std::string>() << ' '
            << (reason == ledger::KeyRetirement::k_rotated ? "rotated" : "revoked as compromised")
            << (j["successor"].is_string() ? " -> " + j["successor"].get<std::string>() : "")
            << '\n'
            << "  event   " << j["event"].get<std::string>()
            << (j["already_present"].get<bool>() ? " (already in the ledger)" : "") << '\n'
            << "  path    " << j["path"].get<std::string>() << '\n';
  if (reason == ledger::KeyRetirement::k_rotated)
    std::cout << "  its statements up to ledger commit " << j["ledger_commit"].get<std::string>()
              << " keep counting; trust follows the successor where the old key was trusted\n";
  else
    std::cout << "  none of its statements count any more; trust the successor explicitly "
                 "(`pedigree trust add KEYID`) if you know its owner\n";
  return k_exit_ok;
}

}  // namespace

void setup_key_retire(CLI::App* key, int& exit_code) {
  auto o = std::make_shared<RetireOptions>();
  auto common = [&o](CLI::App* sub) {
    sub->add_option("--key", o->key, "the key to retire: id or prefix (default: the only key)");
    add_ledger_option(sub, o->ledger_dir);
    add_passphrase_option(sub, o->passphrase_file);
    sub->add_option("--note", o->note, "why, for readers of the ledger");
    sub->add_flag("--json", o->json, "print the key event as JSON");
  };
  auto* rotate = key->add_subcommand(
      "rotate",
      "Retire a key in favour of a successor (both sign); earlier statements keep counting");
  rotate->add_option("--to", o->to, "the successor key: id or prefix")->required();
  common(rotate);
  rotate->callback(
      [o, &exit_code] { exit_code = run_retire(*o, ledger::KeyRetirement::k_rotated); });

  auto* revoke = key->add_subcommand(
      "revoke", "Revoke a compromised key: none of its statements count any more");
  revoke->add_flag("--compromised", o->compromised, "the key is (or may be) in others' hands")
      ->required();
  revoke->add_option("--to", o->to, "a successor key to name (shown; trust is not transferred)");
  common(revoke);
  revoke->callback(
      [o, &exit_code] { exit_code = run_retire(*o, ledger::KeyRetirement::k_compromised); });
}

}  // namespace pedigree::cli
