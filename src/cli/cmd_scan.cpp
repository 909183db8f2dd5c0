// pedigree scan DIR [--json] [--quick] [--no-cache] [--a1111 DIR|--no-a1111]:
// every checkpoint, LoRA, VAE and embedding under a WebUI install or any
// folder, each judged as `check FILE` judges it, in one table by severity.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/hints_context.hpp"
#include "cli/ledger_context.hpp"
#include "cli/verdict_report.hpp"
#include "pedigree/folder/folder_scan.hpp"
#include "pedigree/lineage/index_source.hpp"

namespace pedigree::cli {
namespace {

struct ScanCliOptions {
  std::string dir;
  std::string ledger;
  std::string a1111;
  bool json = false;
  bool quick = false;
  bool no_cache = false;
  bool no_a1111 = false;
  unsigned threads = 0;
};

// The exit code of `check` for the worst entry; a file that could not be
// judged, or an entry that could not be read, counts as `unknown`.
int scan_exit_code(const folder::FolderReport& report) {
  int code = k_exit_ok;
  auto worse = [&](int c) {
    if (exit_severity(c) > exit_severity(code)) code = c;
  };
  for (const auto& e : report.entries)
    worse(e.report ? exit_code_for_verdict(e.report->verdict.verdict) : k_exit_unknown);
  if (!report.discovery.problems.empty()) worse(k_exit_unknown);
  return code;
}

std::string fixed(const std::string& text, std::size_t width) {
  std::string out = text;
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / double(1ull << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  return buf;
}

void print_folder_report(const folder::FolderReport& r) {
  const auto& d = r.discovery;
  std::string walked;
  for (const auto& w : d.walked) walked += (walked.empty() ? "" : ", ") + terminal_safe(w);
  std::printf("scan %s (%s layout; walked %s; %s)\n", terminal_safe(d.root.string()).c_str(),
              std::string(folder::layout_name(d.layout)).c_str(), walked.c_str(),
              r.depth == folder::Depth::k_full ? "hashes and fingerprints, as check FILE"
                                               : "--quick: SHA-256 only");
  auto json = folder::to_json(r);
  const auto& c = json["counts"];
  const auto& h = json["hashed_by"];
  std::printf(
      "%zu model files: %d nai-leak, %d nai, %d nai-official, %d unknown, %d errors, %d "
      "no-nai-found\n",
      r.entries.size(), c["nai-leak"].get<int>(), c["nai"].get<int>(), c["nai-official"].get<int>(),
      c["unknown"].get<int>(), c["error"].get<int>(), c["no-nai-found"].get<int>());
  std::printf("read %d, from pedigree's scan cache %d, SHA-256 from A1111's cache.json %d%s\n",
              h["read"].get<int>(), h["cache"].get<int>(), h["a1111-cache"].get<int>(),
              r.a1111_cache ? (" (" + terminal_safe(r.a1111_cache->string()) + ")").c_str() : "");
  if (r.entries.empty()) return;
  std::printf("\n%s %s %s %s %s %s\n", fixed("VERDICT", 12).c_str(), fixed("CONF", 4).c_str(),
              fixed("KIND", 12).c_str(), fixed("FROM", 11).c_str(), fixed("SIZE", 10).c_str(),
              "FILE / WHY");
  for (const auto& e : r.entries) {
    const std::string verdict =
        e.report ? std::string(lineage::verdict_name(e.report->verdict.verdict)) : "error";
    char conf[16] = "-";
    if (e.report) std::snprintf(conf, sizeof conf, "%.2f", e.report->verdict.confidence);
    std::printf("%s %s %s %s %s %s\n", fixed(verdict, 12).c_str(), fixed(conf, 4).c_str(),
                fixed(e.file.kind, 12).c_str(),
                fixed(e.error ? "-" : std::string(folder::hashed_by_name(e.hashed_by)), 11).c_str(),
                fixed(human_size(e.file.stat.size), 10).c_str(),
                terminal_safe(e.file.relative).c_str());
    std::string why = folder::unknown_reason(e);
    if (why.empty() && e.report) why = e.report->verdict.summary;
    if (!why.empty())
      std::printf("%s -> %s\n", std::string(54, ' ').c_str(), terminal_safe(why).c_str());
    if (e.a1111_sha256 && e.report && e.report->identity.sha256 != *e.a1111_sha256)
      std::printf("%s !! A1111's cache.json says SHA-256 %s; the file's is %s\n",
                  std::string(54, ' ').c_str(), terminal_safe(*e.a1111_sha256).c_str(),
                  e.report->identity.sha256.c_str());
  }
  if (!d.problems.empty()) std::printf("\nnot scanned (problems):\n");
  for (const auto& p : d.problems)
    std::printf("  %s: %s\n", terminal_safe(p.relative).c_str(), terminal_safe(p.reason).c_str());
  if (!d.skipped.empty())
    std::printf(
        "\nskipped %zu files with a model extension but other content (--json lists them)\n",
        d.skipped.size());
  for (const auto& w : r.warnings) std::printf("warning: %s\n", terminal_safe(w).c_str());
  std::printf("\nfull report of one file: pedigree check FILE\n");
}

int run_scan(const ScanCliOptions& opts) {
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  const lineage::ReferenceStore references(
      lineage::ReferenceStore::dir_for_ledger(ctx->ledger.dir()));
  lineage::IndexSource source(ctx->index, references);
  folder::FolderOptions options;
  options.depth = opts.quick ? folder::Depth::k_sha256 : folder::Depth::k_full;
  options.check.scan.threads = opts.threads;
  options.check.references = references;
  auto hints = load_hints(ctx->ledger.dir());
  if (!hints) return report_error(hints.error());
  options.check.hints = &*hints;
  if (!opts.no_cache) options.cache_path = folder::ScanCache::default_path();
  if (opts.no_a1111)
    options.a1111_install = std::filesystem::path();
  else if (!opts.a1111.empty())
    options.a1111_install = std::filesystem::path(opts.a1111);
  if (stderr_is_terminal()) {
    options.progress = [](std::size_t done, std::size_t total, std::uint64_t bytes,
                          std::uint64_t all, const std::string& file) {
      std::fprintf(stderr, "\r\x1b[Kscan: %zu/%zu files, %3.0f%% %s", done, total,
                   all ? 100.0 * bytes / all : 100.0, terminal_safe(file).substr(0, 60).c_str());
      if (done == total) std::fputs("\r\x1b[K", stderr);
    };
  }
  auto report = folder::scan_folder(source, opts.dir, options);
  if (!report) return report_error(report.error());
  for (const auto& e : report->entries)
    if (e.error)
      std::fprintf(stderr, "pedigree: error: %s\n", terminal_safe(e.error->message()).c_str());
  if (opts.json) {
    auto json = folder::to_json(*report);
    json["exit_code"] = scan_exit_code(*report);
    print_json(json);
  } else {
    print_folder_report(*report);
  }
  return scan_exit_code(*report);
}

}  // namespace

void setup_scan(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ScanCliOptions>();
  auto* sub = app.add_subcommand(
      "scan", "Check every model file under a folder (A1111/Forge, ComfyUI, or any folder)");
  sub->add_option("DIR", opts->dir, "a WebUI install, its models folder, or any folder")
      ->required();
  sub->add_flag("--json", opts->json, "print the report as JSON (docs/json/scan.md)");
  sub->add_flag("--quick", opts->quick,
                "SHA-256 only (reused from A1111's cache.json when it agrees): no fingerprint");
  sub->add_flag("--no-cache", opts->no_cache, "neither read nor write pedigree's scan cache");
  sub->add_option("--a1111", opts->a1111,
                  "the A1111/Forge install whose cache.json to reuse (default: the one DIR is in)");
  sub->add_flag("--no-a1111", opts->no_a1111, "do not read A1111's cache.json");
  sub->add_option("--threads", opts->threads, "worker threads per file (default: all cores)");
  add_ledger_option(sub, opts->ledger);
  sub->callback([opts, &exit_code] { exit_code = run_scan(*opts); });
}

}  // namespace pedigree::cli
