// pedigree index rebuild|status: the ledger's disposable SQLite index
// (docs/formats/index.md).
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/index/integrity.hpp"

namespace pedigree::cli {
namespace {

struct IndexOptions {
  std::string ledger_dir;
  bool json = false;
};

nlohmann::json counts_json(const index::StatusCounts& c) {
  return {{"valid", c.valid},           {"untrusted", c.untrusted},
          {"invalid", c.invalid},       {"unknown_key", c.unknown_key},
          {"revoked", c.revoked},       {"duplicate", c.duplicate},
          {"problem_files", c.problems}};
}

void print_counts(const index::StatusCounts& c) {
  std::cout << "  events     valid " << c.valid << ", untrusted " << c.untrusted << ", revoked "
            << c.revoked << ", invalid " << c.invalid << ", unknown key " << c.unknown_key
            << ", duplicate " << c.duplicate << '\n'
            << "  problems   " << c.problems << " file(s) outside the layout or unverifiable\n";
}

int run_rebuild(const IndexOptions& o) {
  auto where = locate_ledger(o.ledger_dir);
  if (!where) return report_error(where.error());
  auto opened = where->is_default
                    ? ledger::Ledger::open_or_create(where->dir, ledger::bundled_ledger_dir())
                    : ledger::Ledger::open(where->dir);
  if (!opened) return report_error(opened.error());
  auto policy = load_trust_policy();
  if (!policy) return report_error(policy.error());
  auto idx = index::Index::open(opened->index_path());
  if (!idx) return report_error(idx.error());
  auto start = std::chrono::steady_clock::now();
  auto stats = idx->rebuild(opened->repo(), *policy);
  if (!stats) return report_error(stats.error());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto counts = idx->counts();
  if (!counts) return report_error(counts.error());
  if (o.json) {
    print_json({{"commit", stats->commit},
                {"files", stats->files},
                {"events", stats->events},
                {"signatures_remembered", stats->signatures_remembered},
                {"seconds", seconds},
                {"counts", counts_json(*counts)}});
  } else {
    std::cout << "rebuilt " << terminal_safe(opened->index_path().string()) << " at commit "
              << terminal_safe(stats->commit) << " (" << stats->events << " events in " << seconds
              << " s)\n";
    print_counts(*counts);
  }
  return k_exit_ok;
}

int run_status(const IndexOptions& o) {
  auto ctx = open_ledger_context(o.ledger_dir);
  if (!ctx) return report_error(ctx.error());
  // Every row checked against what it claims: a damaged index is reported.
  if (auto intact = index::check_integrity(ctx->index); !intact)
    return report_error(intact.error());
  auto counts = ctx->index.counts();
  if (!counts) return report_error(counts.error());
  auto last = ctx->index.last_commit();
  if (!last) return report_error(last.error());
  auto keys = ctx->index.keys();
  if (!keys) return report_error(keys.error());
  const auto& u = ctx->update;
  std::string how = u.rebuilt ? "rebuilt" : (u.files ? "updated incrementally" : "up to date");
  if (o.json) {
    print_json({{"ledger", ctx->ledger.dir().string()},
                {"index", ctx->ledger.index_path().string()},
                {"last_commit", last->value_or("")},
                {"update",
                 {{"rebuilt", u.rebuilt},
                  {"files", u.files},
                  {"events", u.events},
                  {"signatures_remembered", u.signatures_remembered}}},
                {"keys", keys->size()},
                {"counts", counts_json(*counts)}});
  } else {
    std::cout << "ledger     " << terminal_safe(ctx->ledger.dir().string()) << '\n'
              << "index      " << terminal_safe(ctx->ledger.index_path().string()) << " (" << how
              << ")\n"
              << "commit     " << terminal_safe(last->value_or("-")) << '\n'
              << "keys       " << keys->size() << '\n';
    print_counts(*counts);
  }
  return k_exit_ok;
}

}  // namespace

void setup_index(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<IndexOptions>();
  auto* cmd =
      app.add_subcommand("index", "The ledger's SQLite index: rebuild it or show its state");
  cmd->require_subcommand(1);
  auto* rebuild = cmd->add_subcommand("rebuild", "Rebuild the index from the ledger's HEAD");
  add_ledger_option(rebuild, o->ledger_dir);
  rebuild->add_flag("--json", o->json, "print a JSON summary");
  rebuild->callback([o, &exit_code] { exit_code = run_rebuild(*o); });
  auto* status = cmd->add_subcommand(
      "status", "Bring the index up to date and show its last commit and counts");
  add_ledger_option(status, o->ledger_dir);
  status->add_flag("--json", o->json, "print a JSON summary");
  status->callback([o, &exit_code] { exit_code = run_status(*o); });
}

}  // namespace pedigree::cli
