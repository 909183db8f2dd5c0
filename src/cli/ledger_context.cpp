#include "cli/ledger_context.hpp"

#include <cstdlib>

#include "pedigree/ledger/pins.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::cli {

void add_ledger_option(CLI::App* sub, std::string& dir) {
  sub->add_option("--ledger", dir,
                  "ledger directory (default: $PEDIGREE_LEDGER, else the user's ledger, "
                  "created from the bundled one on first use)");
}

Result<LedgerLocation> locate_ledger(const std::string& dir_option) {
  if (!dir_option.empty()) return LedgerLocation{std::filesystem::path(dir_option), false};
  if (const char* env = std::getenv("PEDIGREE_LEDGER"); env && *env) {
    return LedgerLocation{std::filesystem::path(env), false};
  }
  PD_ASSIGN_OR_RETURN(auto dir, ledger::default_ledger_dir());
  return LedgerLocation{std::move(dir), true};
}

Result<std::optional<ledger::LedgerInfo>> load_bundled_info() {
  const auto file = ledger::bundled_ledger_dir() / "LEDGER.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<ledger::LedgerInfo>{};
  PD_ASSIGN_OR_RETURN(std::string bytes, read_file(file, 1 << 20));
  PD_ASSIGN_OR_RETURN(auto info, ledger::parse_ledger_json(bytes, file.string()));
  return std::optional<ledger::LedgerInfo>{std::move(info)};
}

Result<ledger::TrustPolicy> load_trust_policy() {
  // Only the pins compiled into this binary count: a LEDGER.json (the bundled
  // copy, or a ledger someone handed over) cannot add a pin.
  PD_ASSIGN_OR_RETURN(auto file, ledger::TrustPolicy::default_file());
  return ledger::TrustPolicy::load(file, ledger::compiled_pins());
}

Result<LedgerContext> open_ledger_context(const std::string& dir_option) {
  PD_ASSIGN_OR_RETURN(auto where, locate_ledger(dir_option));
  auto opened = where.is_default
                    ? ledger::Ledger::open_or_create(where.dir, ledger::bundled_ledger_dir())
                    : ledger::Ledger::open(where.dir);
  if (!opened) return std::unexpected(opened.error());
  PD_ASSIGN_OR_RETURN(auto policy, load_trust_policy());
  PD_ASSIGN_OR_RETURN(auto index, index::Index::open(opened->index_path()));
  PD_ASSIGN_OR_RETURN(auto stats, index.update(opened->repo(), policy));
  return LedgerContext{std::move(*opened), std::move(policy), std::move(index), std::move(stats)};
}

}  // namespace pedigree::cli
