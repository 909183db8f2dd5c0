// pedigree clone URL [DIR] [--json]
// A first, verified copy of a shared ledger (docs/sync.md).
#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "cli/sync_output.hpp"

namespace pedigree::cli {
namespace {

struct CloneCommandOptions {
  std::string url;
  std::string dir;
  bool json = false;
};

int run_clone(const CloneCommandOptions& opts) {
  auto where = locate_ledger(opts.dir);
  if (!where) return report_error(where.error());
  sync::SyncOptions options;
  options.progress = transfer_progress_line();
  auto report = sync::clone_ledger(opts.url, where->dir, options);
  end_progress_line();
  if (!report) return report_error(report.error());
  if (report->outcome == sync::SyncOutcome::k_ok) {
    // Build the index now so the first query is fast.
    auto start = std::chrono::steady_clock::now();
    auto ctx = open_ledger_context(where->dir.string());
    if (!ctx) return report_error(ctx.error());
    report->index = ctx->update;
    report->seconds.index =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (opts.json) {
    print_json(sync_report_json(*report));
    if (report->outcome != sync::SyncOutcome::k_ok) {
      std::fprintf(stderr, "pedigree: error: %s\n", terminal_safe(report->message).c_str());
    }
  } else {
    print_sync_report(*report, "cloned");
    if (report->outcome == sync::SyncOutcome::k_ok)
      std::cout << "ledger: " << terminal_safe(where->dir.string()) << '\n';
  }
  return sync_exit_code(*report);
}

}  // namespace

void setup_clone(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CloneCommandOptions>();
  auto* cmd = app.add_subcommand(
      "clone",
      "Copy a shared ledger, verifying every commit as sync does; the URL becomes "
      "remote 'origin'");
  cmd->add_option("URL", opts->url, "path, file://, git://, ssh:// or https:// URL")->required();
  cmd->add_option("DIR", opts->dir,
                  "where to put it, absent or empty (default: $PEDIGREE_LEDGER, else the "
                  "user's ledger location)");
  cmd->add_flag("--json", opts->json, "print the clone report as JSON (docs/json/sync.md)");
  cmd->callback([opts, &exit_code] { exit_code = run_clone(*opts); });
}

}  // namespace pedigree::cli
