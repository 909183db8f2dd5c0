// pedigree sync [REMOTE] [--no-push] [--accept-rewrite] [--json] [--ledger DIR]
// Fetch, verify, merge, push and reindex (docs/sync.md).
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "cli/sync_output.hpp"

namespace pedigree::cli {
namespace {

struct SyncCommandOptions {
  std::string remote;
  bool no_push = false;
  bool accept_rewrite = false;
  bool json = false;
  std::string ledger;
};

int run_sync(const SyncCommandOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  sync::SyncOptions options;
  options.push = opts.no_push ? sync::PushMode::k_no_push : sync::PushMode::k_push;
  options.rewrite =
      opts.accept_rewrite ? sync::RewritePolicy::k_accept : sync::RewritePolicy::k_refuse;
  crypto::KeyIdentity identity;
  auto key = merge_signing_key(identity);
  if (key) {
    options.author.key = key.get();
    if (!identity.name.empty()) options.author.name = identity.name;
    if (!identity.email.empty()) options.author.email = identity.email;
  }
  options.progress = transfer_progress_line();
  auto report = sync::sync_remote(ctx->ledger, ctx->index, ctx->policy, opts.remote, options);
  end_progress_line();
  if (!report) return report_error(report.error());
  if (opts.json) {
    print_json(sync_report_json(*report));
    if (report->outcome != sync::SyncOutcome::k_ok) {
      std::fprintf(stderr, "pedigree: error: %s\n", terminal_safe(report->message).c_str());
    }
  } else {
    print_sync_report(*report, "synced with");
  }
  return sync_exit_code(*report);
}

}  // namespace

void setup_sync(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SyncCommandOptions>();
  auto* cmd = app.add_subcommand(
      "sync",
      "Fetch a remote ledger, verify every incoming commit (only additions of validly signed "
      "events and keys), merge, push local events and update the index");
  cmd->add_option("REMOTE", opts->remote, "remote name (default: the only remote, else origin)");
  cmd->add_flag("--no-push", opts->no_push, "fetch and merge only");
  cmd->add_flag("--accept-rewrite", opts->accept_rewrite,
                "merge a remote whose history no longer descends from the tip last accepted "
                "from it (local events are kept either way)");
  cmd->add_flag("--json", opts->json, "print the sync report as JSON (docs/json/sync.md)");
  add_ledger_option(cmd, opts->ledger);
  cmd->callback([opts, &exit_code] { exit_code = run_sync(*opts); });
}

}  // namespace pedigree::cli
