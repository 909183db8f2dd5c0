// pedigree-serve: the helper `pedigree serve` replaces itself with (see
// serve_launcher.cpp); it parses the serve options and runs the server.
// Run directly as `pedigree-serve serve [options]`.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/util/terminal_text.hpp"

int main(int argc, char** argv) {
  pedigree::cli::report_bus_errors();
  CLI::App app{"pedigree serve: the web page and JSON API over a ledger", "pedigree"};
  app.set_version_flag("--version", std::string("pedigree ") + PEDIGREE_VERSION);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    return "ERROR: " + pedigree::terminal_safe(e.get_name()) + ": " +
           pedigree::terminal_safe(e.what()) + "\n" + pedigree::terminal_safe_lines(a->help());
  });
  int exit_code = pedigree::cli::k_exit_ok;
  pedigree::cli::setup_serve(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : pedigree::cli::k_exit_usage;
  }
  return exit_code;
}
