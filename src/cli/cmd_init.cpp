// pedigree init [DIR] [--name NAME]: a new, empty ledger (a git repository
// with LEDGER.json); without DIR, the user's ledger created from the bundled one.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"

namespace pedigree::cli {
namespace {

struct InitOptions {
  std::string dir;
  std::string name;
};

int run_init(const InitOptions& o) {
  if (o.dir.empty()) {
    auto where = locate_ledger("");
    if (!where) return report_error(where.error());
    std::error_code ec;
    if (std::filesystem::exists(where->dir / "LEDGER.json", ec)) {
      return report_error(
          Error(ErrorCode::k_conflict, where->dir.string() + ": a ledger already exists here"));
    }
    auto created = ledger::Ledger::open_or_create(where->dir, ledger::bundled_ledger_dir());
    if (!created) return report_error(created.error());
    std::cout << "created ledger '" << terminal_safe(created->info().name) << "' in "
              << terminal_safe(where->dir.string()) << " (from the bundled ledger)\n";
    return k_exit_ok;
  }
  std::filesystem::path dir(o.dir);
  std::string name = o.name.empty() ? std::filesystem::absolute(dir).filename().string() : o.name;
  auto created = ledger::Ledger::init(dir, name);
  if (!created) return report_error(created.error());
  std::cout << "created empty ledger '" << terminal_safe(name) << "' in "
            << terminal_safe(dir.string()) << '\n';
  return k_exit_ok;
}

}  // namespace

void setup_init(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Create a ledger (a git repository of signed events)");
  cmd->add_option("DIR", o->dir,
                  "new ledger directory, absent or empty (default: the user's ledger, created "
                  "from the bundled one)");
  cmd->add_option("--name", o->name, "ledger name recorded in LEDGER.json (default: DIR's name)");
  cmd->callback([o, &exit_code] { exit_code = run_init(*o); });
}

}  // namespace pedigree::cli
