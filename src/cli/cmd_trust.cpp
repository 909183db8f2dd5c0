// pedigree trust add|remove|list: which keys count for which predicates.
// Pinned keys are compiled in; the user's choices live in
// $XDG_CONFIG_HOME/pedigree/trust.json (docs/trust.md). The reference scope
// (who may make a model a base or NAI reference) is granted only by name.
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/ledger/pins.hpp"
#include "pedigree/lineage/index_source.hpp"

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

struct TrustScopes {
  std::vector<ledger::PredicateKind> predicates;  // empty: the library's default
  ledger::ReferenceScope reference = ledger::ReferenceScope::k_excluded;
};

// "--for model,lineage,...,reference" (or "all" for every predicate).
Result<TrustScopes> parse_scopes(const std::string& list) {
  TrustScopes out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == ledger::k_reference_scope) {
      out.reference = ledger::ReferenceScope::k_included;
      continue;
    }
    if (item == "all") {
      out.predicates.insert(out.predicates.end(), std::begin(ledger::k_all_predicates),
                            std::end(ledger::k_all_predicates));
      continue;
    }
    auto kind = ledger::predicate_from_name(item);
    if (!kind) {
      return invalid_argument("--for: unknown predicate '" + item +
                              "' (model, lineage, fingerprint, claim, revocation, all, reference)");
    }
    if (std::find(out.predicates.begin(), out.predicates.end(), *kind) == out.predicates.end())
      out.predicates.push_back(*kind);
  }
  return out;
}

// "model,lineage,...[,reference]" as trust.json writes it.
std::string scope_list(const ledger::TrustEntry& e) {
  std::string out;
  for (auto k : e.predicates)
    out += (out.empty() ? "" : ",") + std::string(ledger::predicate_name(k));
  if (e.reference == ledger::ReferenceScope::k_included)
    out += (out.empty() ? "" : ",") + std::string(ledger::k_reference_scope);
  return out;
}

int run_add(const TrustOptions& o) {
  auto keyid = expand_keyid(o.keyid, known_keys(o.ledger_dir));
  if (!keyid) return report_error(keyid.error());
  auto scopes = parse_scopes(o.predicates);
  if (!scopes) return report_error(scopes.error());
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  if (auto added = policy->add(*keyid, scopes->predicates, scopes->reference); !added)
    return report_error(added.error());
  if (auto saved = policy->save(); !saved) return report_error(saved.error());
  for (const auto& e : policy->entries()) {
    if (e.keyid != *keyid || e.source != ledger::TrustSource::k_user) continue;
    std::cout << "trusted " << terminal_safe(*keyid) << " for " << scope_list(e) << '\n';
    if (e.reference == ledger::ReferenceScope::k_included)
      std::cout << "its model events may now define references (base, NAI, NAI VAE): a key "
                   "that names a merge `base` can make NAI merges read clean; your choice\n";
    else
      std::cout << "not for reference roles: its model events cannot make a model a base or "
                   "NAI reference (add `--for all,reference` to allow it)\n";
  }
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

// The references each key defines in the ledger (reference-trusted role
// events) and the role statements ignored because their signer lacks the
// reference scope, by keyid. Best effort: no ledger means no rows.
struct KeyReferences {
  std::map<std::string, nlohmann::json> defined, ignored;
};

KeyReferences key_references(const std::string& ledger_dir) {
  KeyReferences out;
  auto where = locate_ledger(ledger_dir);
  if (!where || !ledger::Ledger::open(where->dir)) return out;  // never create one here
  auto ctx = open_ledger_context(ledger_dir);
  if (!ctx) return out;
  lineage::IndexSource source(ctx->index, lineage::ReferenceStore(std::filesystem::path()));
  if (auto refs = source.reference_models()) {
    for (const auto& r : *refs) {
      auto& list = out.defined[r.role_signer];
      if (list.is_null()) list = nlohmann::json::array();
      list.push_back({{"sha256", r.sha256},
                      {"name", r.name},
                      {"role", lineage::role_name(r.role)},
                      {"event", r.role_event}});
    }
  }
  if (auto rows = ctx->index.reference_models()) {
    for (const auto& r : *rows) {
      if (r.trusted || !ctx->policy.trusts(r.signer, ledger::PredicateKind::k_model)) continue;
      auto& list = out.ignored[r.signer];
      if (list.is_null()) list = nlohmann::json::array();
      list.push_back({{"sha256", r.subject}, {"role", r.role}, {"event", r.event}});
    }
  }
  return out;
}

int run_trust_list(const TrustOptions& o) {
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
  const KeyReferences references = key_references(o.ledger_dir);
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
    const bool reference = e.reference == ledger::ReferenceScope::k_included;
    if (reference) preds.push_back(ledger::k_reference_scope);
    nlohmann::json row = {{"keyid", e.keyid}, {"source", pinned ? "pinned" : "user"},
                          {"for", preds},     {"reference", reference},
                          {"why", why},       {"name", nullptr},
                          {"email", nullptr}, {"references", nlohmann::json::array()}};
    row["ignored_references"] = nlohmann::json::array();
    if (auto it = references.defined.find(e.keyid); it != references.defined.end())
      row["references"] = it->second;
    if (auto it = references.ignored.find(e.keyid); it != references.ignored.end())
      row["ignored_references"] = it->second;
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
    for (const auto& r : row["references"])
      std::cout << "  defines  " << r["role"].get<std::string>() << "  "
                << terminal_safe(r["name"].get<std::string>()) << "  (event "
                << r["event"].get<std::string>().substr(0, 16) << ")\n";
    for (const auto& r : row["ignored_references"])
      std::cout << "  ignored  " << r["role"].get<std::string>() << "  "
                << r["sha256"].get<std::string>().substr(0, 16) << "  (event "
                << r["event"].get<std::string>().substr(0, 16)
                << "): its signer is not trusted for reference roles\n";
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
                  "comma-separated: model,lineage,fingerprint,claim,revocation, all (every "
                  "predicate), reference (may define base/NAI references; implies model). "
                  "Default: every predicate, not reference");
  add_ledger_option(add, o->ledger_dir);
  add->callback([o, &exit_code] { exit_code = run_add(*o); });

  auto* rm = trust->add_subcommand("remove", "Stop trusting a key you added");
  rm->add_option("KEYID", o->keyid, "key id or prefix")->required();
  add_ledger_option(rm, o->ledger_dir);
  rm->callback([o, &exit_code] { exit_code = run_remove(*o); });

  auto* list = trust->add_subcommand("list", "Trusted keys: pinned and yours, and why");
  list->add_flag("--json", o->json, "print a JSON array");
  add_ledger_option(list, o->ledger_dir);
  list->callback([o, &exit_code] { exit_code = run_trust_list(*o); });
}

}  // namespace pedigree::cli
