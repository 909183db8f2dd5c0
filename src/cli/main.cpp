// pedigree: does this model checkpoint descend from the leaked NovelAI model?
// The CLI only parses arguments and formats results; see src/pedigree for the logic.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/util/terminal_text.hpp"

namespace {

// CLI11's usage errors quote the arguments they could not parse (a path, a
// value), which may hold escape sequences or newlines: escaped like any other
// text from outside (util/terminal_text.hpp). Otherwise CLI::FailureMessage::help.
std::string safe_failure_message(const CLI::App* app, const CLI::Error& e) {
  return "ERROR: " + pedigree::terminal_safe(e.get_name()) + ": " +
         pedigree::terminal_safe(e.what()) + "\n" + pedigree::terminal_safe_lines(app->help());
}

}  // namespace

int main(int argc, char** argv) {
  pedigree::cli::report_bus_errors();
  CLI::App app{
      "pedigree: provenance of Stable Diffusion checkpoints (does it descend from NovelAI?)",
      "pedigree"};
  app.set_version_flag("--version", std::string("pedigree ") + PEDIGREE_VERSION);
  app.require_subcommand(1);
  app.failure_message(safe_failure_message);

  int exit_code = pedigree::cli::k_exit_ok;
  (void)exit_code;  // set by the subcommand callbacks registered below
  pedigree::cli::setup_attest(app, exit_code);
  pedigree::cli::setup_check(app, exit_code);
  pedigree::cli::setup_clone(app, exit_code);
  pedigree::cli::setup_estimate(app, exit_code);
  pedigree::cli::setup_fingerprint(app, exit_code);
  pedigree::cli::setup_graph(app, exit_code);
  pedigree::cli::setup_hash(app, exit_code);
  pedigree::cli::setup_import(app, exit_code);
  pedigree::cli::setup_index(app, exit_code);
  pedigree::cli::setup_init(app, exit_code);
  pedigree::cli::setup_inspect(app, exit_code);
  pedigree::cli::setup_key(app, exit_code);
  pedigree::cli::setup_relate(app, exit_code);
  pedigree::cli::setup_remote(app, exit_code);
  pedigree::cli::setup_scan(app, exit_code);
  pedigree::cli::setup_serve_launcher(app, exit_code);
  pedigree::cli::setup_site(app, exit_code);
  pedigree::cli::setup_sync(app, exit_code);
  pedigree::cli::setup_tree(app, exit_code);
  pedigree::cli::setup_trust(app, exit_code);
  pedigree::cli::setup_verify(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : pedigree::cli::k_exit_usage;
  }
  return exit_code;
}
