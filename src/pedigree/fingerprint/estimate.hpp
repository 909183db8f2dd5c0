// The share estimator: how much of each reference model a target contains,
// per UNet block, from fingerprints alone.
//
// Model: target - base = sum_k share_k * (ref_k - base) + residual, fitted per
// MBW block by bounded least squares over the sketch cells of the block's
// tensors. Nuisance references (known independent fine-tunes) enter the fit as
// free regressors, and before fitting every matrix sketch is projected off the
// low-rank row and column subspace their updates span (the update directions
// similar training data pushes every fine-tune towards), so a model that only
// shares those directions with a reference is not credited with it.
// The method and its calibration: docs/fingerprint.md.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

// How a reference's share is constrained in the fit.
enum class ShareSign { k_nonnegative, k_free };

// A reference model. `fp` must outlive the estimate call.
struct Reference {
  std::string name;
  const Fingerprint* fp = nullptr;
  ShareSign sign = ShareSign::k_nonnegative;
  bool nuisance = false;  // known independent model: regressor and projection source
};

struct EstimateOptions {
  unsigned projection_rank = 6;  // nuisance subspace removed per side (0 = flat fit)
  bool subspace_from_all =
      true;  // subspace from nuisance, references and target (else nuisance only)
  unsigned jackknife_groups = 16;  // jackknife groups per block (standard errors)
  unsigned min_tensor_groups =
      6;  // blocks with this many tensors jackknife over tensors, else cells
  // Vectors (biases, norm scales) have no rank structure, so nothing separates the update
  // direction every fine-tune on similar data shares from the rest: in them a NAI-free anime
  // fine-tune correlates with NAI however many nuisance references there are. Left out of the
  // fit by default; they hold < 1% of the UNet's parameters and still weigh their block, so the
  // block's share (from its matrices) stands for them. Verbatim copies and coverage still read
  // them.
  bool fit_vectors = false;
  double overall_threshold = 0.027;  // presence: overall share at least this (calibrated) ...
  double block_threshold = 0.16;     // ... or one block's share at least this ...
  double z = 4.0;                    // ... and that many standard errors above zero;
  double block_overall_z = 1.0;      // a block alone also needs the overall share this many
                                     // standard errors above zero (or a verbatim block)
  double reliable_r2 = 0.90;  // below this R^2 in a block with the reference, size is unreliable
};

struct ShareEstimate {
  double share = 0;
  double stderr = 0;
};

struct ReferenceEstimate {
  std::string name;
  bool nuisance = false;
  // Parameter-weighted over the UNet blocks, from per-block fits with every share free-signed
  // (so a reference that is absent averages to 0 instead of a positive clamping bias).
  ShareEstimate overall;
  std::map<std::string, ShareEstimate> blocks;  // by block name, UNet blocks with tensors
  // The same blocks fitted with every share free-signed: what the presence rule reads (a
  // share bounded at 0 is biased upwards where the reference is absent, and its jackknife
  // understates the spread, so a bounded block of a NAI-free model can look significant).
  std::map<std::string, ShareEstimate> blocks_free;
  bool present = false;       // passes the presence rule above
  bool size_reliable = true;  // false when the fit is poor where it is present
};

struct Estimate {
  std::vector<ReferenceEstimate> shares;  // in the order the references were given
  std::map<std::string, double> r2;       // per UNet block
  // Jackknife groups per UNet block: a block's standard error from n groups has n - 1
  // degrees of freedom, so its z is read against Student's t (report.cpp), not the normal.
  std::map<std::string, unsigned> block_groups;
  std::vector<std::string>
      verbatim;         // "IN04=nai": every tensor of the block equals the reference's
  std::string summary;  // plain language
  std::size_t tensors_used = 0;
};

// Estimates the shares of `refs` in `target` relative to `base`. InvalidArgument
// when the fingerprints use different sketch parameters, no UNet tensor is
// common to all of them, or more than 16 references are given.
Result<Estimate> estimate(const Fingerprint& target, const Fingerprint& base,
                          std::span<const Reference> refs, const EstimateOptions& options = {});

}  // namespace pedigree::fingerprint
