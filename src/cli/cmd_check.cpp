// pedigree check TARGET... [--json] [--ledger DIR]: the verdict for model
// files, pasted hashes, model names and generated pictures.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/hints_context.hpp"
#include "cli/ledger_context.hpp"
#include "cli/verdict_report.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/lineage/index_source.hpp"
#include "pedigree/lineage/verdict_json.hpp"

namespace pedigree::cli {
namespace {

struct CheckCliOptions {
  std::vector<std::string> targets;
  std::string ledger;
  bool json = false;
  bool no_fingerprint = false;
  unsigned threads = 0;
};

// Several targets: an error beats every verdict, then verdicts by severity
// (verdict_severity in verdict_report.hpp).
int worse(int a, int b) {
  if (exit_severity(a) >= exit_severity(b)) return a;
  return b;
}

int run_check(const CheckCliOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  const lineage::ReferenceStore references(
      lineage::ReferenceStore::dir_for_ledger(ctx->ledger.dir()));
  lineage::IndexSource source(ctx->index, references);
  lineage::CheckOptions options;
  options.scan.threads = opts.threads;
  options.fingerprint =
      opts.no_fingerprint ? lineage::FingerprintPass::k_skip : lineage::FingerprintPass::k_build;
  options.references = references;
  auto hints = load_hints(ctx->ledger.dir());
  if (!hints) return report_error(hints.error());
  options.hints = &*hints;
  const bool progress = stderr_is_terminal() && !opts.json;
  if (progress) {
    options.scan.progress = [](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\rcheck: %3.0f%%", total ? 100.0 * done / total : 100.0);
    };
  }
  nlohmann::json all = nlohmann::json::array();
  int code = k_exit_ok;
  bool first = true;
  bool printed = false;
  for (const auto& target : opts.targets) {
    auto report = lineage::check_target(source, target, options);
    if (progress) std::fprintf(stderr, "\r            \r");
    if (!report) {
      int err = report_error(report.error());
      code = first ? err : worse(code, err);
      all.push_back({{"schema", "pedigree-check/1"},
                     {"target", {{"input", target}}},
                     {"error", report.error().message()}});
      first = false;
      continue;
    }
    int verdict_code = exit_code_for_verdict(report->verdict.verdict);
    code = first ? verdict_code : worse(code, verdict_code);
    first = false;
    if (opts.json) {
      all.push_back(lineage::to_json(*report));
    } else {
      if (printed) std::fputs("\n", stdout);
      printed = true;
      std::fputs(format_check_report(*report).c_str(), stdout);
    }
  }
  if (opts.json) print_json(opts.targets.size() == 1 ? all.front() : all);
  return code;
}

}  // namespace

void setup_check(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CheckCliOptions>();
  auto* sub = app.add_subcommand(
      "check", "Does a model descend from NAI? (a file, a pasted hash, a model name or a picture)");
  sub->add_option("TARGET", opts->targets,
                  "model file or diffusers folder, hash (8/10/12/64 hex, optional AutoV2: prefix), "
                  "model name, or PNG/JPEG/WebP picture")
      ->required();
  sub->add_flag("--json", opts->json, "print the report as JSON (docs/json/check.md)");
  sub->add_flag("--no-fingerprint", opts->no_fingerprint,
                "hash model files only (no fingerprint estimate, no reference bootstrap)");
  sub->add_option("--threads", opts->threads,
                  "worker threads for model files (default: all cores)");
  add_ledger_option(sub, opts->ledger);
  sub->callback([opts, &exit_code] { exit_code = run_check(*opts); });
}

}  // namespace pedigree::cli
