// pedigree trust add|remove|list: which keys count for which predicates.
// Pinned keys come from the bundled ledger's LEDGER.json; the user's choices
// live in $XDG_CONFIG_HOME/pedigree/trust.json (docs/trust.md).
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/ledger/pins.hpp"

namespace pedigree::cli {
namespace {

struct TrustOptions {
  std::string keyid;
  std::string predicates;  // comma-separated
  std::string ledger_dir;
  bool json = false;
};

// Identities of the keys the user holds and the ledger publishes, by keyid
// (for display and to expand a keyid prefix). Best effort: an unreadable
// ledger or key store only means fewer names.
std::map<std::string, crypto::KeyIdentity> known_keys(const std::string& ledger_dir) {
  std::map<std::string, crypto::KeyIdentity> out;
  if (auto where = locate_ledger(ledger_dir)) {
    if (auto l = ledger::Ledger::open(where->dir)) {
      if (auto ring = l->load_keys()) {
        for (const auto& [id, rec] : ring->all()) out[id] = rec.identity;
      }
    }
  }
  if (auto store = crypto::KeyStore::open_default()) {
    if (auto list = store->list()) {
      for (const auto& k : *list) out.emplace(k.keyid, k.identity);
    }
  }
  return out;
}

// A full keyid, or the one known key starting with a prefix of >= 8 hex digits.
Result<std::string> expand_keyid(const std::string& text,
                                 const std::map<std::string, crypto::KeyIdentity>& known) {
  if (ledger::is_sha256_hex(text)) return text;
  if (text.size() < 8)
    return invalid_argument("key id '" + text + "' is shorter than 8 hex digits");
  std::vector<std::string> hits;
  for (const auto& [id, _] : known) {
    if (id.starts_with(text)) hits.push_back(id);
  }
  if (hits.size() == 1) return hits.front();
  if (hits.empty()) {
    return not_found("no known key starts with " + text +
                     " (give the full 64-digit key id to trust a key not in your ledger)");
  }
  return invalid_argument("key id prefix " + text + " is ambiguous");
}

Result<std::vector<ledger::PredicateKind>> parse_predicates(const std::string& list) {
  std::vector<ledger::PredicateKind> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto kind = ledger::predicate_from_name(item);
    if (!kind) {
      return invalid_argument("--for: unknown predicate '" + item +
                              "' (model, lineage, fingerprint, claim, revocation)");
    }
    out.push_back(*kind);
  }
  return out;
}

std::string predicate_list(const std::vector<ledger::PredicateKind>& kinds) {
  std::string out;
  for (auto k : kinds) out += (out.empty() ? "" : ",") + std::string(ledger::predicate_name(k));
  return out;
}

int run_add(const TrustOptions& o) {
  auto keyid = expand_keyid(o.keyid, known_keys(o.ledger_dir));
  if (!keyid) return report_error(keyid.error());
  auto kinds = parse_predicates(o.predicates);
  if (!kinds) return report_error(kinds.error());
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  if (auto added = policy->add(*keyid, *kinds); !added) return report_error(added.error());
  if (auto saved = policy->save(); !saved) return report_error(saved.error());
  std::cout << "trusted " << terminal_safe(*keyid) << " for "
            << (kinds->empty() ? std::string("every predicate") : predicate_list(*kinds)) << '\n';
  return k_exit_ok;
}

int run_remove(const TrustOptions& o) {
  auto keyid = expand_keyid(o.keyid, known_keys(o.ledger_dir));
  if (!keyid) return report_error(keyid.error());
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  if (auto removed = policy->remove(*keyid); !removed) {
    bool pinned = false;
    for (const auto& e : policy->entries()) pinned = pinned || e.keyid == *keyid;
    if (pinned) {
      return report_error(Error(ErrorCode::k_conflict,
                                "key " + *keyid +
                                    " is pinned into pedigree (the reference-ledger key), not "
                                    "by you: it cannot be removed with `trust remove`"));
    }
    return report_error(removed.error());
  }
  if (auto saved = policy->save(); !saved) return report_error(saved.error());
  std::cout << "no longer trusting " << terminal_safe(*keyid) << '\n';
  return k_exit_ok;
}

int run_list(const TrustOptions& o) {
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  auto bundled = load_bundled_info();
  std::string bundled_name = bundled && *bundled ? (*bundled)->name : "bundled";
  auto listed_by_bundled = [&](const std::string& keyid) {
    if (!bundled || !*bundled) return false;
    for (const auto& p : (*bundled)->pinned_keys)
      if (p.keyid == keyid) return true;
    return false;
  };
  // Pins a LEDGER.json adds never count (only the compiled ones do): say so.
  if (bundled && *bundled) {
    for (const auto& p : ledger::uncompiled_pins(**bundled)) {
      std::cerr << "pedigree: warning: the bundled ledger '" << terminal_safe(bundled_name)
                << "' pins key " << terminal_safe(p.keyid)
                << " in LEDGER.json, but only keys compiled into pedigree are pinned: ignored\n";
    }
  }
  auto file = ledger::TrustPolicy::default_file();
  auto known = known_keys(o.ledger_dir);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& e : policy->entries()) {
    bool pinned = e.source == ledger::TrustSource::k_pinned;
    std::string why =
        pinned ? "pinned into this pedigree binary: the project's reference-ledger key, trusted "
                 "for reference facts (docs/reference-ledger.md)" +
                     (listed_by_bundled(e.keyid)
                          ? "; the bundled ledger '" + bundled_name + "' lists it in LEDGER.json"
                          : std::string())
               : "trusted by you (pedigree trust add), recorded in " +
                     (file ? file->string() : std::string("trust.json"));
    nlohmann::json preds = nlohmann::json::array();
    for (auto k : e.predicates) preds.push_back(ledger::predicate_name(k));
    nlohmann::json row = {{"keyid", e.keyid}, {"source", pinned ? "pinned" : "user"},
                          {"for", preds},     {"why", why},
                          {"name", nullptr},  {"email", nullptr}};
    if (auto it = known.find(e.keyid); it != known.end()) {
      row["name"] = it->second.name;
      row["email"] = it->second.email;
    }
    all.push_back(row);
  }
  if (o.json) {
    print_json(all);
    return k_exit_ok;
  }
  if (all.empty()) std::cout << "no trusted keys: every event is shown as untrusted\n";
  for (const auto& row : all) {
    std::cout << terminal_safe(row["keyid"].get<std::string>()) << "  "
              << row["source"].get<std::string>();
    if (row["name"].is_string()) {
      std::cout << "  " << terminal_safe(row["name"].get<std::string>()) << " <"
                << terminal_safe(row["email"].get<std::string>()) << ">";
    }
    std::string preds;
    for (const auto& p : row["for"]) preds += (preds.empty() ? "" : ",") + p.get<std::string>();
    std::cout << "\n  for  " << preds << "\n  why  " << terminal_safe(row["why"].get<std::string>())
              << '\n';
  }
  return k_exit_ok;
}

}  // namespace

void setup_trust(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrustOptions>();
  auto* trust = app.add_subcommand("trust", "Choose which keys count for which predicates");
  trust->require_subcommand(1);

  auto* add = trust->add_subcommand("add", "Trust a key (replaces your earlier entry for it)");
  add->add_option("KEYID", o->keyid, "64-hex key id, or a prefix of a key you or the ledger hold")
      ->required();
  add->add_option("--for", o->predicates,
                  "comma-separated predicates: model,lineage,fingerprint,claim,revocation "
                  "(default: all)");
  add_ledger_option(add, o->ledger_dir);
  add->callback([o, &exit_code] { exit_code = run_add(*o); });

  auto* rm = trust->add_subcommand("remove", "Stop trusting a key you added");
  rm->add_option("KEYID", o->keyid, "key id or prefix")->required();
  add_ledger_option(rm, o->ledger_dir);
  rm->callback([o, &exit_code] { exit_code = run_remove(*o); });

  auto* list = trust->add_subcommand("list", "Trusted keys: pinned and yours, and why");
  list->add_flag("--json", o->json, "print a JSON array");
  add_ledger_option(list, o->ledger_dir);
  list->callback([o, &exit_code] { exit_code = run_list(*o); });
}

}  // namespace pedigree::cli
