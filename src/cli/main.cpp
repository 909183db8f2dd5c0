// pedigree: does this model checkpoint descend from the leaked NovelAI model?
// The CLI only parses arguments and formats results; see src/pedigree for the logic.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"

int main(int argc, char** argv) {
  pedigree::cli::report_bus_errors();
  CLI::App app{
      "pedigree: provenance of Stable Diffusion checkpoints (does it descend from NovelAI?)",
      "pedigree"};
  app.set_version_flag("--version", std::string("pedigree ") + PEDIGREE_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  int exit_code = pedigree::cli::k_exit_ok;
  (void)exit_code;  // set by the subcommand callbacks registered below
  pedigree::cli::setup_attest(app, exit_code);
  pedigree::cli::setup_check(app, exit_code);
  pedigree::cli::setup_clone(app, exit_code);
  pedigree::cli::setup_estimate(app, exit_code);
  pedigree::cli::setup_fingerprint(app, exit_code);
  pedigree::cli::setup_graph(app, exit_code);
  pedigree::cli::setup_hash(app, exit_code);
  pedigree::cli::setup_index(app, exit_code);
  pedigree::cli::setup_init(app, exit_code);
  pedigree::cli::setup_inspect(app, exit_code);
  pedigree::cli::setup_key(app, exit_code);
  pedigree::cli::setup_remote(app, exit_code);
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
