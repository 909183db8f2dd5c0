// Every threshold that turns a fingerprint estimate into one of three outcomes
// (present, absent, inconclusive), in one place. The initial values below were
// chosen from principle, NOT tuned on any test family; the calibration
// benchmark (tools/bench-*, docs/benchmarks.md) is where they get re-fitted,
// on calibration families only, and reported on held-out ones.
//
//   present       the estimator's calibrated presence rule (fingerprint::EstimateOptions)
//   absent        ALL of: coverage >= k_min_unet_coverage,
//                         alignment <= k_max_block_relative_delta,
//                         fit R^2 >= k_min_fit_r2,
//                         share not significantly above 0 (low end of the interval is 0),
//                         upper end of the interval < k_detection_limit
//   inconclusive  otherwise (the verdict does not count it toward "clean")
#pragma once

namespace pedigree::lineage::policy {

// Interval reported around the share estimate: this many jackknife standard
// errors each side (two: ~95% under a normal approximation). "Absent" reads its
// upper end, and a lower end above 0 marks a share significantly above 0.
inline constexpr double k_share_interval_z = 2.0;

// Fraction of the base reference's UNet parameters (the canonical SD1.x UNet
// when the base is SD1.4) the target's fingerprint must cover, tensor by
// tensor with the base's shape. 99%: the brief's floor; an NAI share hidden
// in the uncovered 1% is below any detection limit in the UNet's terms, and a
// dropped dtype or a renamed block (several % each) fails it.
inline constexpr double k_min_unet_coverage = 0.99;

// Alignment with an SD1.x base: in every UNet block, |target - base| / |base|
// (Frobenius norms over the block's sketches, which preserve norms in
// expectation) must stay at or below this, for at least one base reference.
// Real fine-tunes of SD1.x move their weights by a few percent of the weight
// norm; permuting hidden units (|PW - W| ~ sqrt(2)|W| for the permuted
// tensors), rescaling a layer before a normalization by c (|c-1| |W|),
// random or unrelated weights (>= |W|) move a block by the order of its own
// norm (0.7 and more even when a third of the block is touched). 0.5 sits
// an order of magnitude above fine-tunes and below those edits.
inline constexpr double k_max_block_relative_delta = 0.5;
// Re-alignment is also tried when a ResBlock conv1 or embedding-projection norm differs from
// the base's by more than this fraction (lineage/realign.cpp): a rescale before a GroupNorm
// changes no output and can stay inside the bound above while it distorts the share. Not a
// verdict threshold: it only decides when the re-alignment pass is paid for.
inline constexpr double k_norm_rescale_trigger = 0.03;

// The fit must explain the part of the target's update it claims to: the
// parameter-weighted R^2 of the per-block fits. An affine merge of the
// references has R^2 near 1; a fine-tune independent of every reference has a
// low R^2 by construction (its own update is the residual), so the floor only
// refuses fits that explain nothing at all. Chosen as 0: a placeholder the
// calibration re-fits (R^2 alone does not separate clean fine-tunes from
// edited NAI merges; the alignment bound does).
inline constexpr double k_min_fit_r2 = 0.0;

// Detection limit of the NAI share (fraction of the UNet, parameter-weighted):
// "absent" rules out a share at or above it. 3%: chosen from principle when the
// presence threshold was 2.7% (a share the presence rule could not flag is never
// ruled out above what it can see). The calibrated overall thresholds are now
// 3.19-6.99% by configuration (fingerprint_calibration.hpp), all above it: a share
// between the limit and the configuration's threshold is neither flagged nor ruled
// out (inconclusive, reason "interval"), which errs toward `unknown`, never toward
// a clean verdict.
inline constexpr double k_detection_limit = 0.03;

// Two trusted `independent` references whose UNet updates from the base differ
// by less than this fraction of the smaller update are one model for the
// nuisance configuration (the same weights in fp16 and fp32, pruned or with
// EMA, as Waifu Diffusion 1.3's four files are): they add no new direction, so
// counting them apart would pick thresholds calibrated for more nuisance
// directions than the fit has. Rounding to fp16 moves a weight by ~3e-4 of its
// size and to bf16 by ~1e-3, i.e. a few % of a fine-tune's update (itself a
// few % of the weights); two distinct fine-tunes differ by the order of their
// updates (0.5-1.4 on the synthetic families even when they share training
// data). 0.2 sits between, chosen from principle, not on any family.
inline constexpr double k_same_model_update_distance = 0.2;

// The VAE (lineage/vae_evidence.hpp). The leaked NAI VAE (animevae.pt) is a
// fine-tune of SD's kl-f8 VAE; a checkpoint's VAE is a merge of it when its
// update from the base VAE contains a share of the leaked VAE's update.
// Merges that mix VAEs use weights like 0.3-0.7, and a VAE share matters for
// the pictures only well above a few %: a share is "present" from 10% (and
// k_vae_presence_z standard errors above 0), and "ruled out" when the
// interval's upper end is below 10%. Chosen from principle, not on any family.
inline constexpr double k_vae_presence_share = 0.10;
inline constexpr double k_vae_presence_z = 4.0;
inline constexpr double k_vae_detection_limit = 0.10;
// "Ruled out" also needs the fit to see the whole VAE (coverage of the base
// VAE's parameters) and a VAE aligned with the base's (a permuted, rescaled or
// unrelated VAE moves by the order of its norm; see k_max_block_relative_delta).
inline constexpr double k_min_vae_coverage = 0.99;
// A VAE whose every tensor's sketch is within this fraction of the base VAE's
// sketch norm (and covers it) is the base's VAE stored in another precision:
// bf16 rounds each weight by at most 2^-9 of its size (fp16 and fp32 by less),
// and the count sketch keeps the norm of an error in expectation, so a
// re-saved copy differs by <= 2^-9 of the norm; 2^-8 leaves a factor 2. A
// leaked-VAE share hiding below it is below the file's own rounding.
inline constexpr double k_vae_precision_tolerance = 1.0 / 256;
inline constexpr double k_max_vae_relative_delta = 0.5;

}  // namespace pedigree::lineage::policy
