// pedigree tree TARGET [--ledger DIR]: the declared ancestry as an indented tree.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/lineage/graph.hpp"
#include "pedigree/lineage/index_source.hpp"

namespace pedigree::cli {
namespace {

struct TreeOptions {
  std::string target;
  std::string ledger;
};

int run_tree(const TreeOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  lineage::IndexSource source(ctx->index, lineage::ReferenceStore(std::filesystem::path()));
  auto resolved = lineage::resolve_target(source, opts.target);
  if (!resolved) return report_error(resolved.error());
  if (resolved->candidates.empty())
    return report_error(not_found(opts.target + ": not in the ledger (`pedigree check " +
                                  opts.target + "` says what is known)")
                            .error());
  if (resolved->candidates.size() > 1)
    std::printf("%s matches %zu artifacts (%s):\n\n", terminal_safe(opts.target).c_str(),
                resolved->candidates.size(), resolved->weak ? "weak 8-hex match" : "ambiguous");
  bool first = true;
  for (const auto& c : resolved->candidates) {
    auto facts = source.load({c.sha256});
    if (!facts) return report_error(facts.error());
    if (!first) std::fputs("\n", stdout);
    first = false;
    std::fputs(terminal_safe_lines(lineage::render_tree(**facts, c.sha256)).c_str(), stdout);
  }
  return k_exit_ok;
}

}  // namespace

void setup_tree(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<TreeOptions>();
  auto* sub = app.add_subcommand("tree", "Print the declared ancestry of a model as a tree");
  sub->add_option("TARGET", opts->target, "model file, hash or model name")->required();
  add_ledger_option(sub, opts->ledger);
  sub->callback([opts, &exit_code] { exit_code = run_tree(*opts); });
}

}  // namespace pedigree::cli
