// pedigree graph TARGET [--format dot|svg|json] [--ledger DIR]: the ancestry DAG.
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

struct GraphOptions {
  std::string target;
  std::string format = "dot";
  std::string ledger;
};

// The one artifact the target denotes; InvalidArgument listing them when several.
Result<std::string> single_artifact(const lineage::Resolution& r, const std::string& target) {
  if (r.candidates.empty())
    return not_found(target + ": not in the ledger (`pedigree check " + target +
                     "` says what is known)");
  if (r.candidates.size() == 1) return r.candidates.front().sha256;
  std::string list;
  for (const auto& c : r.candidates) list += " " + c.sha256.substr(0, 12) + " (" + c.name + ")";
  return invalid_argument(target + " matches " + std::to_string(r.candidates.size()) +
                          " artifacts:" + list + "; give the full SHA-256");
}

int run_graph(const GraphOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  lineage::IndexSource source(ctx->index, lineage::ReferenceStore(std::filesystem::path()));
  auto resolved = lineage::resolve_target(source, opts.target);
  if (!resolved) return report_error(resolved.error());
  auto sha = single_artifact(*resolved, opts.target);
  if (!sha) return report_error(sha.error());
  auto facts = source.load({*sha});
  if (!facts) return report_error(facts.error());
  const auto graph = lineage::build_graph(**facts, *sha);
  if (opts.format == "json") {
    print_json(lineage::to_json(graph));
    return k_exit_ok;
  }
  return print_drawing(lineage::to_dot(graph), opts.format);
}

}  // namespace

void setup_graph(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<GraphOptions>();
  auto* sub = app.add_subcommand(
      "graph", "Print the ancestry DAG of a model (NAI nodes and paths highlighted)");
  sub->add_option("TARGET", opts->target, "model file, hash or model name")->required();
  sub->add_option("--format", opts->format, "dot (default), svg (needs Graphviz `dot`) or json")
      ->check(CLI::IsMember({"dot", "svg", "json"}));
  add_ledger_option(sub, opts->ledger);
  sub->callback([opts, &exit_code] { exit_code = run_graph(*opts); });
}

}  // namespace pedigree::cli
