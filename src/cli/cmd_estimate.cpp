// pedigree estimate TARGET --base NAME=REF --ref NAME=REF... [--nuisance NAME=REF...] [--json]:
// how much of each reference a model contains, per UNet block, from fingerprints.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/estimate.hpp"

namespace pedigree::cli {
namespace {

struct EstimateCliOptions {
  std::string target;
  std::string base;
  std::vector<std::string> refs, signed_refs, nuisance;
  bool json = false;
  unsigned projection_rank = fingerprint::EstimateOptions{}.projection_rank;
  bool fit_vectors = false;
};

struct Named {
  std::string name;
  std::string path;
};

Result<Named> split_named(const std::string& text, std::string_view option) {
  const auto eq = text.find('=');
  if (eq == 0 || eq == std::string::npos || eq + 1 == text.size()) {
    return invalid_argument(std::string(option) + " expects NAME=REF, got '" + text + "'");
  }
  return Named{text.substr(0, eq), text.substr(eq + 1)};
}

nlohmann::json share_json(const fingerprint::ShareEstimate& e) {
  return {{"share", e.share}, {"stderr", e.stderr}};
}

nlohmann::json to_json(const fingerprint::Estimate& e) {
  nlohmann::json j;
  j["shares"] = nlohmann::json::object();
  for (const auto& s : e.shares) {
    nlohmann::json entry = share_json(s.overall);
    entry["blocks"] = nlohmann::json::object();
    for (const auto& [block, b] : s.blocks) entry["blocks"][block] = share_json(b);
    entry["blocks_free"] = nlohmann::json::object();
    for (const auto& [block, b] : s.blocks_free) entry["blocks_free"][block] = share_json(b);
    j["shares"][s.name] = entry;
    j["presence"][s.name] = {
        {"present", s.present}, {"size_reliable", s.size_reliable}, {"nuisance", s.nuisance}};
  }
  j["r2"] = e.r2;
  j["verbatim"] = e.verbatim;
  j["summary"] = e.summary;
  return j;
}

void print_text(const fingerprint::Estimate& e) {
  std::printf("%-16s %8s %8s  %s\n", "reference", "share", "stderr", "");
  for (const auto& s : e.shares) {
    std::printf("%-16s %7.2f%% %7.2f%%  %s\n", terminal_safe(s.name).c_str(), 100 * s.overall.share,
                100 * s.overall.stderr, s.nuisance ? "(nuisance)" : (s.present ? "present" : ""));
  }
  std::printf("\nper block (share %% of each reference, R²):\n%-6s", "block");
  for (const auto& s : e.shares) std::printf(" %10.10s", terminal_safe(s.name).c_str());
  std::printf("     R²\n");
  for (const auto& [block, r2] : e.r2) {
    std::printf("%-6s", terminal_safe(block).c_str());
    for (const auto& s : e.shares) std::printf(" %9.1f%%", 100 * s.blocks.at(block).share);
    std::printf(" %6.3f\n", r2);
  }
  std::printf("\n%s\n", terminal_safe(e.summary).c_str());
}

int run_estimate(const EstimateCliOptions& opts) {
  scan::ScanOptions scan_options;
  auto load = [&](const std::string& path) {
    return examine::load_fingerprint(path, scan_options);
  };
  auto base_named = split_named(opts.base, "--base");
  if (!base_named) return report_error(base_named.error());
  auto target = load(opts.target);
  if (!target) return report_error(target.error());
  auto base = load(base_named->path);
  if (!base) return report_error(base.error());
  std::vector<std::pair<Named, fingerprint::Reference>> specs;
  auto add = [&](const std::vector<std::string>& list, std::string_view option,
                 fingerprint::ShareSign sign, bool nuisance) -> Result<void> {
    for (const auto& text : list) {
      PD_ASSIGN_OR_RETURN(auto named, split_named(text, option));
      specs.push_back({named, {named.name, nullptr, sign, nuisance}});
    }
    return {};
  };
  for (auto r : {add(opts.refs, "--ref", fingerprint::ShareSign::k_nonnegative, false),
                 add(opts.signed_refs, "--signed-ref", fingerprint::ShareSign::k_free, false),
                 add(opts.nuisance, "--nuisance", fingerprint::ShareSign::k_free, true)}) {
    if (!r) return report_error(r.error());
  }
  std::vector<fingerprint::Fingerprint> fps;
  fps.reserve(specs.size());
  std::vector<fingerprint::Reference> refs;
  for (auto& [named, ref] : specs) {
    auto fp = load(named.path);
    if (!fp) return report_error(fp.error());
    fps.push_back(std::move(*fp));
    ref.fp = &fps.back();
    refs.push_back(ref);
  }
  fingerprint::EstimateOptions options;
  options.projection_rank = opts.projection_rank;
  options.fit_vectors = opts.fit_vectors;
  auto e = fingerprint::estimate(*target, *base, refs, options);
  if (!e) return report_error(e.error());
  if (opts.json) {
    print_json(to_json(*e));
  } else {
    print_text(*e);
  }
  return k_exit_ok;
}

}  // namespace

void setup_estimate(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<EstimateCliOptions>();
  auto* sub = app.add_subcommand(
      "estimate", "Estimate each reference model's share in a checkpoint, per UNet block");
  sub->add_option("TARGET", opts->target, "checkpoint or .fp file to analyse")->required();
  sub->add_option("--base", opts->base, "NAME=REF: the common base (SD1.4 for NAI)")->required();
  sub->add_option("--ref", opts->refs, "NAME=REF: a reference whose share is >= 0 (NAI variants)")
      ->take_all();
  sub->add_option("--signed-ref", opts->signed_refs,
                  "NAME=REF: a reference with a free-signed share (SD versions)")
      ->take_all();
  sub->add_option("--nuisance", opts->nuisance,
                  "NAME=REF: a known independent model (hard negative)")
      ->take_all();
  sub->add_flag("--json", opts->json, "print JSON (schema in docs/cli.md)");
  sub->add_option("--projection-rank", opts->projection_rank,
                  "nuisance subspace removed per matrix side (0 = flat fit; default 6)");
  sub->add_flag("--fit-vectors", opts->fit_vectors,
                "also fit biases and norm scales (left out by default: they cannot separate "
                "shared update directions from NAI's)");
  sub->callback([opts, &exit_code] {
    if (opts->refs.empty() && opts->signed_refs.empty()) {
      exit_code =
          report_error(Error(ErrorCode::k_invalid_argument, "estimate needs at least one --ref"));
      return;
    }
    exit_code = run_estimate(*opts);
  });
}

}  // namespace pedigree::cli
