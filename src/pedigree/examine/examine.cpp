#include "pedigree/examine/examine.hpp"

#include <array>
#include <system_error>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/inspect.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::examine {
namespace {

// The hash cache's key for a file: its canonical path.
std::string cache_key(const std::filesystem::path& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  if (ec) canonical = std::filesystem::absolute(path, ec).lexically_normal();
  return canonical.string();
}

}  // namespace

Result<Examination> examine_opened(const std::filesystem::path& path,
                                   std::optional<formats::Checkpoint> checkpoint,
                                   std::optional<Error> why_not, const ExamineOptions& options) {
  Examination out;
  out.checkpoint = std::move(checkpoint);
  out.why_not = std::move(why_not);
  // The fingerprint builder is one more sink of the hashing pass: one read of the file.
  std::optional<fingerprint::FingerprintBuilder> builder, ema_builder;
  if (options.fingerprint == FingerprintPass::k_build && out.checkpoint) {
    auto plan = fingerprint::plan_checkpoint(*out.checkpoint);
    if (plan) {
      builder.emplace(std::move(*plan), options.sketch);
    } else {
      out.fingerprint_error = plan.error();
    }
    // An EMA copy of the UNet is weights the file ships too: sketched as a UNet in the
    // same pass, so that NAI hidden there is measured (lineage/check.cpp).
    auto ema_plan = fingerprint::plan_ema_as_unet(*out.checkpoint);
    if (ema_plan && fingerprint::plans_any(*ema_plan))
      ema_builder.emplace(std::move(*ema_plan), options.sketch);
    else if (!ema_plan)
      out.ema_fingerprint_error = ema_plan.error();
  }
  hash::HashOptions hashing = options.hashes;
  if (builder) hashing.extra_tensor_sinks.push_back(&*builder);
  if (ema_builder) hashing.extra_tensor_sinks.push_back(&*ema_builder);
  PD_ASSIGN_OR_RETURN(out.hashes, hash::hash_checkpoint(path.string(), path,
                                                        out.checkpoint ? &*out.checkpoint : nullptr,
                                                        out.why_not, hashing));
  auto finish = [](std::optional<fingerprint::FingerprintBuilder>& b,
                   std::optional<fingerprint::Fingerprint>& fp, std::optional<Error>& error) {
    if (!b) return;
    auto built = b->finish();
    if (built)
      fp = std::move(*built);
    else
      error = built.error();
  };
  finish(builder, out.fingerprint, out.fingerprint_error);
  finish(ema_builder, out.ema_fingerprint, out.ema_fingerprint_error);
  return out;
}

Result<Examination> examine_path(const std::filesystem::path& path, const ExamineOptions& options) {
  const std::string shown = path.string();
  PD_ASSIGN_OR_RETURN(FileStat st, stat_file(path));
  if (!st.is_regular && !st.is_directory) {
    return invalid_argument(shown + ": not a regular file or folder");
  }
  const bool cacheable = options.cache != nullptr && st.is_regular;
  const std::string key = cacheable ? cache_key(path) : std::string();
  if (cacheable && options.fingerprint == FingerprintPass::k_skip) {
    if (auto hit = options.cache->find(key, st, options.hashes.sets)) {
      Examination out;
      out.hashes = std::move(*hit);
      out.hashes.file = shown;
      out.from_cache = true;
      return out;
    }
  }
  // Only weights, AutoV3 and the fingerprint need the checkpoint's structure:
  // `hash --only sha256` never parses.
  const bool needs_checkpoint =
      (options.hashes.sets & (hash::k_set_weights | hash::k_set_autov3)) ||
      options.fingerprint == FingerprintPass::k_build || st.is_directory;
  std::optional<formats::Checkpoint> checkpoint;
  std::optional<Error> why_not;
  if (st.is_regular && st.size == 0) {
    why_not = Error(ErrorCode::k_corruption, shown + ": empty file (0 bytes) is not a checkpoint");
  } else if (needs_checkpoint) {
    auto opened = formats::open_checkpoint(path);
    if (opened) {
      checkpoint = std::move(*opened);
    } else {
      why_not = opened.error();
    }
  }
  PD_ASSIGN_OR_RETURN(Examination out,
                      examine_opened(path, std::move(checkpoint), std::move(why_not), options));
  if (cacheable) options.cache->put(key, st, out.hashes);
  return out;
}

Result<fingerprint::Fingerprint> fingerprint_path(const std::filesystem::path& path,
                                                  const scan::ScanOptions& options,
                                                  fingerprint::SketchParams sketch) {
  PD_ASSIGN_OR_RETURN(auto checkpoint, formats::open_checkpoint(path));
  ExamineOptions wanted;  // no hash: the pass only feeds the fingerprint builder
  wanted.hashes.sets = 0;
  wanted.hashes.scan = options;
  wanted.fingerprint = FingerprintPass::k_build;
  wanted.sketch = sketch;
  PD_ASSIGN_OR_RETURN(auto examined, examine_opened(path, std::move(checkpoint), {}, wanted));
  if (!examined.fingerprint)
    return std::unexpected(examined.fingerprint_error->with_context(path.string()));
  return std::move(*examined.fingerprint);
}

Result<fingerprint::Fingerprint> load_fingerprint(const std::filesystem::path& path,
                                                  const scan::ScanOptions& options) {
  PD_ASSIGN_OR_RETURN(auto st, stat_file(path));
  if (st.is_regular) {
    PD_ASSIGN_OR_RETURN(auto file, File::open_read(path));
    std::array<std::uint8_t, sizeof fingerprint::k_fp_magic> head{};
    PD_ASSIGN_OR_RETURN(auto n, file.read_some(0, head));
    if (fingerprint::looks_like_fp(ByteView(head).first(n))) return fingerprint::read_fp_file(path);
  }
  return fingerprint_path(path, options);
}

std::string architecture_of(const Examination& examined) {
  if (!examined.hashes.format) return "";  // not a checkpoint
  // A cache hit read nothing: the header is read now (the tensors are not).
  const std::filesystem::path path = examined.hashes.file;
  auto report = examined.checkpoint ? formats::inspect_checkpoint(*examined.checkpoint, path)
                                    : formats::inspect_path(path);
  return report ? std::string(formats::architecture_name(report->architecture)) : std::string();
}

}  // namespace pedigree::examine
