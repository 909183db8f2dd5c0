// pedigree relate DIR|FILE... [--format text|dot|svg|json] [--base FILE]: which
// models of a folder are merges of which, from their weights alone.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/lineage/index_source.hpp"
#include "pedigree/lineage/relate_folder.hpp"

namespace pedigree::cli {
namespace {

struct RelateCliOptions {
  std::vector<std::string> inputs;
  std::string format = "text";
  std::string base;
  std::string ledger;
  unsigned threads = 0;
};

int run_relate(const RelateCliOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  lineage::IndexSource source(
      ctx->index,
      lineage::ReferenceStore(lineage::ReferenceStore::dir_for_ledger(ctx->ledger.dir())));
  lineage::RelateFolderOptions options;
  options.scan.threads = opts.threads;
  if (!opts.base.empty()) options.base = opts.base;
  if (stderr_is_terminal()) {
    options.on_file = [](std::size_t i, std::size_t n, const std::filesystem::path& p) {
      std::fprintf(stderr, "\rrelate: reading %zu/%zu %-40.40s", i + 1, n,
                   terminal_safe(p.filename().string()).c_str());
    };
  }
  std::vector<std::filesystem::path> inputs(opts.inputs.begin(), opts.inputs.end());
  auto relation = lineage::relate_files(source, inputs, options);
  if (stderr_is_terminal()) std::fprintf(stderr, "\r%70s\r", "");
  if (!relation) return report_error(relation.error());
  if (opts.format == "json") {
    print_json(lineage::relation_json(*relation));
    return k_exit_ok;
  }
  if (opts.format == "text") {
    std::fputs(lineage::relation_text(*relation).c_str(), stdout);
    return k_exit_ok;
  }
  return print_drawing(lineage::to_dot(lineage::relation_graph(*relation)), opts.format);
}

}  // namespace

void setup_relate(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RelateCliOptions>();
  auto* sub = app.add_subcommand(
      "relate", "Which models of a folder are merges of which, from their weights alone");
  sub->add_option("INPUT", opts->inputs,
                  "folders (walked recursively) and model files (.safetensors, .ckpt, .pt, .pth, "
                  ".fp)")
      ->required();
  sub->add_option("--format", opts->format, "text (default), dot, svg (needs Graphviz) or json")
      ->check(CLI::IsMember({"text", "dot", "svg", "json"}));
  sub->add_option("--base", opts->base,
                  "the common base model file or .fp (default: the ledger's SD1.x base "
                  "reference with a fingerprint)");
  sub->add_option("--threads", opts->threads, "worker threads per file (default: all cores)");
  add_ledger_option(sub, opts->ledger);
  sub->callback([opts, &exit_code] { exit_code = run_relate(*opts); });
}

}  // namespace pedigree::cli
