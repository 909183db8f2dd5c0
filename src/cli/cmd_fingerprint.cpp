// pedigree fingerprint FILE [-o OUT.fp] [--json]: the spec v1 fingerprint of a checkpoint.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/examine/attest.hpp"
#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::cli {
namespace {

struct FingerprintOptions {
  std::string file;
  std::string output;
  std::string units_output;  // --units: the unit signatures, one .units file
  bool json = false;
  unsigned threads = 0;
  // Research knobs for the UNet sketch; estimate needs equal sizes for every input.
  std::uint32_t matrix_side =
      fingerprint::SketchParams{}.of(fingerprint::Component::k_unet).matrix_side;
  std::uint32_t flat_buckets =
      fingerprint::SketchParams{}.of(fingerprint::Component::k_unet).flat_buckets;
};

std::string_view component_label(fingerprint::Component c) {
  switch (c) {
    case fingerprint::Component::k_unet: return "unet";
    case fingerprint::Component::k_text_encoder: return "text_encoder";
    case fingerprint::Component::k_vae: return "vae";
    case fingerprint::Component::k_unet_ema: return "unet_ema";
  }
  return "?";
}

int run_fingerprint(const FingerprintOptions& opts) {
  scan::ScanOptions scan_options;
  scan_options.threads = opts.threads;
  if (stderr_is_terminal()) {
    scan_options.progress = [](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\rfingerprint: %3.0f%%", total ? 100.0 * done / total : 100.0);
    };
  }
  fingerprint::SketchParams sketch;
  sketch.of(fingerprint::Component::k_unet) = {opts.matrix_side, opts.flat_buckets};
  auto fp = examine::fingerprint_path(opts.file, scan_options, sketch);
  if (stderr_is_terminal()) std::fprintf(stderr, "\r                 \r");
  if (!fp) return report_error(fp.error());
  const std::string bytes = fingerprint::serialize(*fp);
  if (!opts.output.empty()) {
    auto written = write_file_atomic(opts.output, bytes);
    if (!written) return report_error(written.error());
  }
  std::size_t units_bytes = 0;
  if (!opts.units_output.empty()) {
    auto units = examine::unit_signature_files(opts.file, SIZE_MAX);
    if (!units) return report_error(units.error());
    if (units->empty())
      return report_error(
          Error(ErrorCode::k_not_supported,
                opts.file + ": no unit group (GEGLU, attention, ResBlock) to sign"));
    auto written = write_file_atomic(opts.units_output, units->front());
    if (!written) return report_error(written.error());
    units_bytes = units->front().size();
  }
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> groups;  // block -> tensors, params
  std::map<std::string, std::size_t> components;
  for (const auto& t : fp->tensors) {
    auto& g = groups[std::string(fingerprint::block_name(t.block))];
    ++g.first;
    g.second += t.numel();
    ++components[std::string(component_label(t.component))];
  }
  if (opts.json) {
    nlohmann::json j;
    j["file"] = opts.file;
    j["spec_version"] = fp->spec_version;
    for (std::size_t c = 0; c < fingerprint::k_component_count; ++c) {
      const auto& size = fp->params.sizes[c];
      j["sketch"][std::string(component_label(static_cast<fingerprint::Component>(c)))] = {
          {"matrix_side", size.matrix_side}, {"flat_buckets", size.flat_buckets}};
    }
    j["tensors"] = fp->tensors.size();
    j["components"] = components;
    for (const auto& [block, g] : groups)
      j["blocks"][block] = {{"tensors", g.first}, {"params", g.second}};
    j["fp_bytes"] = bytes.size();
    if (!opts.output.empty()) j["output"] = opts.output;
    if (!opts.units_output.empty())
      j["units"] = {{"output", opts.units_output}, {"bytes", units_bytes}};
    print_json(j);
    return k_exit_ok;
  }
  std::printf("file:        %s\n", terminal_safe(opts.file).c_str());
  std::printf("fingerprint: spec v%u, %zu tensors, %zu bytes as .fp\n", fp->spec_version,
              fp->tensors.size(), bytes.size());
  for (const auto& [name, n] : components) std::printf("  %-13s %zu tensors\n", name.c_str(), n);
  if (!opts.output.empty()) std::printf("written:     %s\n", terminal_safe(opts.output).c_str());
  if (!opts.units_output.empty())
    std::printf("units:       %s (%zu bytes)\n", terminal_safe(opts.units_output).c_str(),
                units_bytes);
  return k_exit_ok;
}

}  // namespace

void setup_fingerprint(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<FingerprintOptions>();
  auto* sub = app.add_subcommand("fingerprint",
                                 "Compute the spec v1 fingerprint (linear sketch) of a checkpoint");
  sub->add_option("FILE", opts->file, "checkpoint (.safetensors, .ckpt) or diffusers folder")
      ->required();
  sub->add_option("-o,--output", opts->output, "write the compact .fp form to this file");
  sub->add_option("--units", opts->units_output,
                  "also write the unit signatures (for re-alignment; a base reference's) to this "
                  ".units file");
  sub->add_flag("--json", opts->json, "print a JSON summary");
  sub->add_option("--threads", opts->threads, "worker threads (default: all cores)");
  sub->add_option("--matrix-side", opts->matrix_side,
                  "UNet sketch side p of matrix tensors (research; spec v2: 32)")
      ->check(CLI::Range(1, 256));
  sub->add_option("--flat-buckets", opts->flat_buckets,
                  "UNet buckets m of vector tensors (research; spec v2: 64)")
      ->check(CLI::Range(1, 4096));
  sub->callback([opts, &exit_code] { exit_code = run_fingerprint(*opts); });
}

}  // namespace pedigree::cli
