#include "pedigree/lineage/fingerprint_evidence.hpp"

#include <algorithm>

#include "pedigree/fingerprint/estimate.hpp"
#include "pedigree/lineage/fingerprint_calibration.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"
#include "pedigree/lineage/fingerprint_quality.hpp"

namespace pedigree::lineage {
namespace {

// Earliest published first; references without a date last.
bool earlier(const ReferenceModel* a, const ReferenceModel* b) {
  if (a->published.empty() != b->published.empty()) return !a->published.empty();
  return a->published < b->published;
}

const ReferenceModel* pick_nai(const std::vector<ReferenceModel>& refs) {
  const ReferenceModel* official = nullptr;
  for (const auto& r : refs) {
    if (!r.fingerprint) continue;
    if (r.role == Role::k_nai_leak) return &r;
    if (r.role == Role::k_nai_official && !official) official = &r;
  }
  return official;
}

// Coverage, alignment (with the closest base) and fit of the estimate, then its outcome.
void judge(const fingerprint::Fingerprint& target, const std::vector<const ReferenceModel*>& bases,
           const fingerprint::Estimate& est, FingerprintResult& r) {
  r.coverage = unet_coverage(target, *bases.front()->fingerprint);
  for (const auto* b : bases) {
    const Alignment a = alignment_with(target, *b->fingerprint);
    if (r.aligned_base.empty() || a.max_block_delta < r.max_block_delta) {
      r.max_block_delta = a.max_block_delta;
      r.max_block = a.block;
      r.aligned_base = b->name;
    }
  }
  r.fit_r2 = weighted_r2(target, est.r2);
  classify(r);
}

}  // namespace

FingerprintEvidence estimate_nai_share(const fingerprint::Fingerprint& target,
                                       const std::vector<ReferenceModel>& references) {
  FingerprintEvidence out;
  std::vector<const ReferenceModel*> bases;
  for (const auto& r : references)
    if (r.role == Role::k_base && r.fingerprint) bases.push_back(&r);
  std::stable_sort(bases.begin(), bases.end(), earlier);
  const ReferenceModel* nai = pick_nai(references);
  if (bases.empty() || !nai) {
    out.note = std::string("no fingerprint estimate: the ledger has no fingerprint for ") +
               (bases.empty() && !nai ? "the base (SD1.4) or the NAI reference"
                : bases.empty()       ? "the base (SD1.4) reference"
                                      : "the NAI reference") +
               "; run `pedigree check` once on the reference file itself to store its "
               "fingerprint, or pull a ledger that publishes it";
    return out;
  }
  std::vector<fingerprint::Reference> refs;
  refs.push_back({nai->name, &*nai->fingerprint, fingerprint::ShareSign::k_nonnegative, false});
  for (std::size_t i = 1; i < bases.size() && refs.size() < 4; ++i)
    refs.push_back(  // later bases (SD1.5) may enter with either sign (add-difference)
        {bases[i]->name, &*bases[i]->fingerprint, fingerprint::ShareSign::k_free, false});
  // Trusted independent fine-tunes: free regressors whose update directions are projected
  // out, so a fine-tune that only shares them with NAI (similar training data) is not
  // credited with NAI. Earliest published first, so the choice is stable.
  std::vector<const ReferenceModel*> independents;
  for (const auto& r : references)
    if (r.role == Role::k_independent && r.fingerprint) independents.push_back(&r);
  std::stable_sort(independents.begin(), independents.end(), earlier);
  // The same weights published in several files (precisions, pruned, EMA) count once:
  // the calibrated set is chosen by how many distinct nuisance directions the fit has.
  FingerprintConfiguration config;
  std::vector<const ReferenceModel*> distinct;
  for (const ReferenceModel* r : independents) {
    if (distinct.size() >= k_max_nuisance_references) break;
    const auto same = std::find_if(distinct.begin(), distinct.end(), [&](const ReferenceModel* d) {
      return relative_update_distance(*r->fingerprint, *d->fingerprint,
                                      *bases.front()->fingerprint) <
             policy::k_same_model_update_distance;
    });
    if (same != distinct.end()) {
      config.nuisance_duplicates.push_back(r->name + " (same weights as " + (*same)->name + ")");
      continue;
    }
    distinct.push_back(r);
    refs.push_back({r->name, &*r->fingerprint, fingerprint::ShareSign::k_free, true});
    config.nuisance.push_back(r->name);
  }
  const NuisanceCalibration& cal = calibration_for(config.nuisance.size());
  fingerprint::EstimateOptions options;
  options.projection_rank = cal.projection_rank;
  options.overall_threshold = cal.overall_threshold;
  options.block_threshold = cal.block_threshold;
  config.projection_rank = cal.projection_rank;
  config.thresholds = cal.name;
  config.overall_threshold = cal.overall_threshold;
  config.block_threshold = cal.block_threshold;
  out.used = {bases.front(), nai};
  for (std::size_t i = 1; i < bases.size() && i < 4; ++i) out.used.push_back(bases[i]);
  for (const ReferenceModel* r : distinct) out.used.push_back(r);
  auto est = fingerprint::estimate(target, *bases.front()->fingerprint, refs, options);
  if (!est) {
    out.note = "no fingerprint estimate: " + est.error().message();
    return out;
  }
  const auto& share = est->shares.front();
  FingerprintResult r;
  const double half = k_share_interval_z * share.overall.stderr;
  r.share.estimate = share.overall.share;
  r.share.low = std::max(0.0, share.overall.share - half);
  r.share.high = std::min(1.0, share.overall.share + half);
  r.estimator_fired = share.present;
  r.configuration = config;
  r.summary = "against " + nai->name + " over base " + bases.front()->name +
              (share.size_reliable ? "" : "; the size is unreliable (poor fit)");
  judge(target, bases, *est, r);
  out.note = "fingerprint estimate against " + nai->name + " (" +
             std::string(role_name(nai->role)) + ", " + nai->fingerprint_origin + "), base " +
             bases.front()->name + " (" + bases.front()->fingerprint_origin + "); " +
             std::to_string(config.nuisance.size()) +
             " nuisance reference(s) (trusted `independent` models" +
             (config.nuisance_duplicates.empty()
                  ? std::string()
                  : "; " + std::to_string(config.nuisance_duplicates.size()) +
                        " more left out as the same weights") +
             "), projection rank " + std::to_string(config.projection_rank) + ", thresholds " +
             config.thresholds;
  out.result = std::move(r);
  return out;
}

}  // namespace pedigree::lineage
