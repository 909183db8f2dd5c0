#include "pedigree/lineage/vae_evidence.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"

namespace pedigree::lineage {
namespace {

using fingerprint::Component;
using fingerprint::TensorSketch;

constexpr std::size_t k_groups = 16;            // jackknife groups
constexpr std::size_t k_min_tensor_groups = 6;  // fewer VAE tensors: group hashed cells

struct Sums {
  double xy = 0, xx = 0, yy = 0;
};

bool has_vae(const fingerprint::Fingerprint& fp) {
  return std::any_of(fp.tensors.begin(), fp.tensors.end(),
                     [](const TensorSketch& t) { return t.component == Component::k_vae; });
}

bool same_layout(const TensorSketch& a, const TensorSketch& b) {
  return a.shape == b.shape && a.cells.size() == b.cells.size();
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%%", 100.0 * v);
  return buf;
}

// Earliest published first; without a date last (the common base is the oldest).
const ReferenceModel* pick_base(const std::vector<ReferenceModel>& refs) {
  const ReferenceModel* best = nullptr;
  for (const auto& r : refs) {
    if (r.role != Role::k_base || !r.fingerprint || !has_vae(*r.fingerprint)) continue;
    if (!best ||
        (!r.published.empty() && (best->published.empty() || r.published < best->published)))
      best = &r;
  }
  return best;
}

// Whether the target's VAE is `base`'s stored in another precision: every VAE
// tensor of the base present with its layout and, over them, |t - b| within
// the rounding tolerance of |b| (policy::k_vae_precision_tolerance).
bool same_vae_up_to_precision(const fingerprint::Fingerprint& target,
                              const fingerprint::Fingerprint& base) {
  double diff2 = 0, norm2 = 0;
  bool any = false;
  for (const auto& bt : base.tensors) {
    if (bt.component != Component::k_vae) continue;
    const TensorSketch* t = target.find(bt.name);
    if (!t || !same_layout(*t, bt)) return false;
    any = true;
    for (std::size_t i = 0; i < bt.cells.size(); ++i) {
      const double d = t->cells[i] - bt.cells[i];
      diff2 += d * d;
      norm2 += bt.cells[i] * bt.cells[i];
    }
  }
  return any && norm2 > 0 &&
         std::sqrt(diff2) <= policy::k_vae_precision_tolerance * std::sqrt(norm2);
}

}  // namespace

VaeEvidence estimate_nai_vae_share(const fingerprint::Fingerprint& target,
                                   const std::vector<ReferenceModel>& references) {
  VaeEvidence out;
  if (!has_vae(target)) {
    out.note = "no VAE estimate: the target has no VAE";
    return out;
  }
  for (const auto& r : references) {
    if (r.role != Role::k_base || !r.fingerprint || !has_vae(*r.fingerprint)) continue;
    if (!same_vae_up_to_precision(target, *r.fingerprint)) continue;
    VaeShareResult same;
    same.base = r.name;
    same.base_in_other_precision = same.rules_out = true;
    same.coverage = 1;
    out.note = "the VAE is " + r.name + "'s within rounding (fingerprint)";
    out.result = std::move(same);
    return out;
  }
  const ReferenceModel* nai_vae = nullptr;
  for (const auto& r : references)
    if (r.role == Role::k_nai_vae && r.fingerprint && has_vae(*r.fingerprint)) nai_vae = &r;
  const ReferenceModel* base = pick_base(references);
  if (!nai_vae || !base) {
    out.note = std::string("no VAE estimate: the ledger has no fingerprint of ") +
               (!nai_vae ? "the leaked NAI VAE (a trusted nai-vae reference)"
                         : "a base reference with a VAE") +
               "; check the reference file once, or pull a ledger that publishes it";
    return out;
  }
  const fingerprint::Fingerprint& b = *base->fingerprint;
  const fingerprint::Fingerprint& n = *nai_vae->fingerprint;
  std::size_t vae_tensors = 0;
  for (const auto& t : target.tensors) vae_tensors += t.component == Component::k_vae;
  const bool by_tensor = vae_tensors >= k_min_tensor_groups;
  std::vector<Sums> groups(k_groups);
  double covered = 0, base_params = 0, delta2 = 0, base2 = 0;
  std::size_t used = 0, ordinal = 0;
  for (const auto& bt : b.tensors)
    if (bt.component == Component::k_vae) base_params += static_cast<double>(bt.numel());
  for (const auto& t : target.tensors) {
    if (t.component != Component::k_vae) continue;
    const TensorSketch* bt = b.find(t.name);
    const TensorSketch* nt = n.find(t.name);
    if (!bt || !nt || !same_layout(t, *bt) || !same_layout(t, *nt)) continue;
    const std::uint64_t seed = fingerprint::detail::name_seed(t.name);
    const std::size_t group = ordinal++ % k_groups;
    for (std::size_t i = 0; i < t.cells.size(); ++i) {
      const double x = nt->cells[i] - bt->cells[i], y = t.cells[i] - bt->cells[i];
      Sums& g = groups[by_tensor ? group : fingerprint::detail::mix64(seed + i) % k_groups];
      g.xy += x * y;
      g.xx += x * x;
      g.yy += y * y;
      delta2 += y * y;
      base2 += bt->cells[i] * bt->cells[i];
    }
    covered += static_cast<double>(t.numel());
    ++used;
  }
  Sums all;
  for (const auto& g : groups) {
    all.xy += g.xy;
    all.xx += g.xx;
    all.yy += g.yy;
  }
  if (used == 0 || !(all.xx > 0)) {
    out.note = used == 0 ? "no VAE estimate: no VAE tensor is common to the target, " + base->name +
                               " and " + nai_vae->name
                         : "no VAE estimate: " + nai_vae->name + "'s VAE equals " + base->name +
                               "'s in the sketch";
    return out;
  }
  VaeShareResult r;
  const double share = all.xy / all.xx;
  std::vector<double> replicates;
  for (const auto& g : groups) {
    const double xx = all.xx - g.xx;
    if (xx > 0) replicates.push_back((all.xy - g.xy) / xx);
  }
  double mean = 0, ss = 0;
  for (double v : replicates) mean += v / static_cast<double>(replicates.size());
  for (double v : replicates) ss += (v - mean) * (v - mean);
  const double m = static_cast<double>(replicates.size());
  r.stderr = m > 1 ? std::sqrt(ss * (m - 1) / m) : INFINITY;
  const double half = policy::k_share_interval_z * r.stderr;
  r.share = {share, std::max(0.0, share - half), std::min(1.0, share + half)};
  r.nai_vae = nai_vae->name;
  r.base = base->name;
  r.tensors = used;
  r.coverage = base_params > 0 ? covered / base_params : 0;
  r.relative_delta = base2 > 0 ? std::sqrt(delta2 / base2) : INFINITY;
  r.present = share >= policy::k_vae_presence_share && share > policy::k_vae_presence_z * r.stderr;
  if (!r.present) {
    if (!(r.coverage >= policy::k_min_vae_coverage))
      r.why_not = "the fit sees " + percent(r.coverage) + " of " + base->name +
                  "'s VAE parameters (needs " + percent(policy::k_min_vae_coverage) + ")";
    else if (!(r.relative_delta <= policy::k_max_vae_relative_delta))
      r.why_not = "the VAE is not aligned with " + base->name + "'s (it differs by " +
                  percent(r.relative_delta) +
                  " of its norm): permuted, rescaled or unrelated "
                  "weights hide a share";
    else if (!(r.share.high < policy::k_vae_detection_limit))
      r.why_not = "the interval's upper end " + percent(r.share.high) +
                  " does not rule out the leaked VAE at " + percent(policy::k_vae_detection_limit);
    r.rules_out = r.why_not.empty();
  }
  out.note = "VAE estimate against " + nai_vae->name + " (nai-vae) over " + base->name + ", " +
             std::to_string(used) + " VAE tensors";
  out.result = std::move(r);
  return out;
}

}  // namespace pedigree::lineage
