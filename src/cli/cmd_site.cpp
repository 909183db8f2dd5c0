// pedigree site DIR [--ledger DIR] [--name NAME] [--force] [--jobs N] [--json]:
// the web page of `pedigree serve` rendered to static files (docs/site.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/site/site.hpp"

namespace pedigree::cli {
namespace {

struct SiteCliOptions {
  std::string dir;
  std::string ledger;
  std::string name;
  bool force = false;
  unsigned jobs = 0;
  bool json = false;
};

int run_site(const SiteCliOptions& opts) {
  // Opening brings the index up to date, as every command does; the site is
  // then built from the index alone and nothing is written to the ledger.
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  site::SiteOptions options;
  options.index_path = ctx->ledger.index_path();
  options.references_dir = lineage::ReferenceStore::dir_for_ledger(ctx->ledger.dir());
  // A published page must not reveal where the ledger lives on this machine.
  options.ledger_label = opts.name.empty() ? ctx->ledger.dir().filename().string() : opts.name;
  options.out_dir = opts.dir;
  options.overwrite = opts.force ? site::Overwrite::k_force : site::Overwrite::k_refuse;
  options.jobs = opts.jobs;
  if (stderr_is_terminal())
    options.progress = [](std::size_t done, std::size_t total) {
      std::fprintf(stderr, "\rpedigree site: %zu/%zu models", done, total);
      if (done == total) std::fputc('\n', stderr);
    };
  auto stats = site::build_site(options);
  if (!stats) return report_error(stats.error());
  if (opts.json) {
    print_json({{"dir", opts.dir},
                {"models", stats->models},
                {"files", stats->files},
                {"bytes", stats->bytes},
                {"commit", stats->commit}});
  } else {
    std::printf("pedigree site: %zu models, %zu files (%llu bytes) in %s\n", stats->models,
                stats->files, static_cast<unsigned long long>(stats->bytes),
                terminal_safe(opts.dir).c_str());
  }
  return k_exit_ok;
}

}  // namespace

void setup_site(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SiteCliOptions>();
  auto* sub = app.add_subcommand(
      "site", "Write the ledger's web pages as static files for any static web host");
  sub->add_option("DIR", opts->dir, "directory to write (replaced atomically)")->required();
  add_ledger_option(sub, opts->ledger);
  sub->add_option("--name", opts->name,
                  "the ledger's name shown on the pages (default: its directory's name)");
  sub->add_flag("--force", opts->force,
                "replace DIR even when it is not empty and not a site pedigree wrote");
  sub->add_option("--jobs", opts->jobs, "threads building pages (default: all cores)");
  sub->add_flag("--json", opts->json, "print what was written as JSON");
  sub->callback([opts, &exit_code] { exit_code = run_site(*opts); });
}

}  // namespace pedigree::cli
