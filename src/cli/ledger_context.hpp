// Opening the ledger, trust policy and index a ledger command works on.
// Every command that reads or writes a ledger takes `--ledger DIR`; without
// it, the user's ledger ($PEDIGREE_LEDGER, else $XDG_DATA_HOME/pedigree/ledger)
// is used, created from the bundled ledger on first use.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "pedigree/index/index.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::cli {

// Adds `--ledger DIR` to `sub`, storing into `dir`.
void add_ledger_option(CLI::App* sub, std::string& dir);

// The directory a command should use: `dir_option` when given, else
// $PEDIGREE_LEDGER, else ledger::default_ledger_dir(). `is_default` says
// whether it is the user's default ledger (created on first use).
struct LedgerLocation {
  std::filesystem::path dir;
  bool is_default = false;
};
Result<LedgerLocation> locate_ledger(const std::string& dir_option);

// The bundled ledger's LEDGER.json (its pinned keys), nullopt when absent.
Result<std::optional<ledger::LedgerInfo>> load_bundled_info();

// The user's trust policy (config_dir()/trust.json) plus the pins compiled
// into the binary (ledger/pins.hpp); LEDGER.json pins never count.
Result<ledger::TrustPolicy> load_trust_policy();

struct LedgerContext {
  ledger::Ledger ledger;
  ledger::TrustPolicy policy;
  index::Index index;
  index::UpdateStats update;  // what bringing the index to HEAD did
};

// Opens (or, for the default location, creates from the bundled ledger) the
// ledger, loads the trust policy and brings its index up to date.
Result<LedgerContext> open_ledger_context(const std::string& dir_option);

}  // namespace pedigree::cli
