#include "pedigree/fingerprint/report.hpp"

#include <cmath>
#include <cstdio>
#include <string>

namespace pedigree::fingerprint::detail {
namespace {

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
  return buf;
}

bool significant(const ShareEstimate& e, double threshold, double z) {
  return e.share >= threshold && e.share > z * e.stderr;
}

// The Student-t quantile with `df` degrees of freedom at the normal tail of `z`,
// by the Cornish-Fisher expansion (Hill 1970; G. W. Hill, "Algorithm 396:
// Student's t-quantiles", CACM 13(10)), to the third order in 1/df. A jackknife
// standard error from few groups is itself noisy: with 8 groups a normal z of 4
// is a t of about 8, and 25 blocks tested at the normal z flag NAI-free models.
double t_quantile(double z, double df) {
  if (!(df >= 1)) return INFINITY;
  const double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df);
}

void decide(ReferenceEstimate& ref, const Estimate& out, const EstimateOptions& options) {
  ref.present = significant(ref.overall, options.overall_threshold, options.z);
  // One block alone counts only when the overall share leans the same way: block-level
  // standard errors understate the noise of models without the reference (the benchmark's
  // false positives were single blocks of models whose overall share was ~0).
  const bool corroborated = ref.overall.share > options.block_overall_z * ref.overall.stderr;
  for (const auto& [block, e] : ref.blocks_free.empty() ? ref.blocks : ref.blocks_free) {
    auto groups = out.block_groups.find(block);
    const double z = groups == out.block_groups.end()
                         ? options.z
                         : t_quantile(options.z, static_cast<double>(groups->second) - 1);
    if (corroborated && significant(e, options.block_threshold, z)) ref.present = true;
  }
  // A UNet block bit-identical to the reference's (and not to the base's) is a copy.
  const std::string suffix = "=" + ref.name;
  for (const auto& v : out.verbatim) {
    if (v.size() > suffix.size() && v.ends_with(suffix)) ref.present = true;
  }
  if (!ref.present) return;
  for (const auto& [block, e] : ref.blocks) {
    auto r2 = out.r2.find(block);
    if (e.share > options.z * e.stderr && e.share >= options.overall_threshold &&
        r2 != out.r2.end() && r2->second < options.reliable_r2) {
      ref.size_reliable = false;
    }
  }
}

// Blocks whose every tensor hashes equal to the reference's and not all equal to the base's.
void find_verbatim(const Fingerprint& target, const Fingerprint& base,
                   std::span<const Reference> refs, Estimate& out) {
  for (std::uint8_t b = 0; b < k_block_te; ++b) {
    for (const auto& ref : refs) {
      bool any = false, all_equal = true, differs_from_base = false;
      for (const auto& t : target.tensors) {
        if (t.component != Component::k_unet || t.block != b) continue;
        any = true;
        const TensorSketch* r = ref.fp->find(t.name);
        if (!r || r->value_hash != t.value_hash) {
          all_equal = false;
          break;
        }
        const TensorSketch* bt = base.find(t.name);
        if (!bt || bt->value_hash != t.value_hash) differs_from_base = true;
      }
      if (any && all_equal && differs_from_base) {
        out.verbatim.push_back(std::string(block_name(b)) + "=" + ref.name);
      }
    }
  }
}

std::string strongest_blocks(const ReferenceEstimate& ref, const EstimateOptions& options) {
  std::string list;
  for (const auto& [block, e] : ref.blocks) {
    if (!significant(e, options.block_threshold, options.z)) continue;
    list += (list.empty() ? "" : ", ") + block + " " + percent(e.share);
  }
  return list;
}

std::string sentence(const ReferenceEstimate& ref, const Estimate& out,
                     const EstimateOptions& options) {
  std::string s;
  if (!ref.present) {
    return "No sign of " + ref.name + ": estimated share " + percent(ref.overall.share) + " ± " +
           percent(ref.overall.stderr) + " of the UNet, below the calibrated presence threshold. ";
  }
  s = ref.name + " is present: about " + percent(ref.overall.share) + " ± " +
      percent(ref.overall.stderr) + " of the UNet (parameter-weighted)";
  const std::string blocks = strongest_blocks(ref, options);
  if (!blocks.empty()) s += "; blocks " + blocks;
  s += ". ";
  if (!ref.size_reliable) {
    double worst = 1;
    for (const auto& [block, r2] : out.r2) worst = std::min(worst, r2);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.2f", worst);
    s += "Its presence is clear but the size of the share is unreliable: the target is not an "
         "affine "
         "combination of the references (R² down to " +
         std::string(buf) +
         "), as after a non-linear merge (TIES, DARE, trainDifference) or training after merging. ";
  }
  return s;
}

}  // namespace

void describe(const Fingerprint& target, const Fingerprint& base, std::span<const Reference> refs,
              const EstimateOptions& options, Estimate& out) {
  find_verbatim(target, base, refs, out);
  for (auto& ref : out.shares) decide(ref, out, options);
  std::string summary;
  for (const auto& ref : out.shares) {
    if (!ref.nuisance) summary += sentence(ref, out, options);
  }
  if (!out.verbatim.empty()) {
    summary += "Blocks copied verbatim:";
    for (const auto& v : out.verbatim) summary += " " + v;
    summary += ". ";
  }
  if (!summary.empty() && summary.back() == ' ') summary.pop_back();
  out.summary = summary;
}

}  // namespace pedigree::fingerprint::detail
