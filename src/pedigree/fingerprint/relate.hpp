// Which models of a set are merges of which, from their fingerprints alone
// (`pedigree relate DIR`): the model tree a moderator needs for a folder of
// uploads that declare nothing.
//
// Every model's UNet update from the common base (its sketch minus the base's)
// is explained, block by block, as a nonnegative combination of the other
// models' updates, parents chosen greedily by how much of the update they
// explain. Sketches are linear, so a merge is explained (almost) entirely by
// its parents, while a parent is not explained by its children: undoing a
// merge needs a negative weight. A model its candidates do not explain is a
// root (a fine-tune of the base, or a merge whose parents are not in the set).
// Shares of the parents found come from fingerprint::estimate (flat fit, per
// block, jackknife standard errors). docs/fingerprint.md "Relating a folder".
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pedigree/fingerprint/estimate.hpp"
#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

struct RelateModel {
  std::string id;  // what the caller names it by (a path, a reference's name)
  const Fingerprint* fp = nullptr;
  bool candidate_only = false;  // a parent candidate never explained itself (a known reference)
};

struct RelateOptions {
  unsigned max_parents = 4;       // direct parents looked for per model
  double min_gain = 0.02;         // a parent must explain this fraction of the update more
  double explained_floor = 0.95;  // a merge only when its parents explain this much
  double min_share = 0.02;        // an edge's overall share at least this ...
  double z = 4.0;                 // ... and this many standard errors above zero
  double max_share = 1.05;        // no parent is taken more than whole (else it extrapolates)
  // Two updates closer than this (squared, relative to the smaller) are the same weights:
  // bf16 rounding is ~6% of a fine-tune's update, and a merge this close to one parent
  // holds < 7% of anything else.
  double same_weights = 0.005;
  double base_like = 1e-4;           // update below this fraction of the median: the base itself
  double fine_tune_share = 0.9;      // a model held this whole by an unexplained one: its parent
  double extrapolation_weight = 10;  // order: explained minus this times (free - bounded)
  unsigned screen = 8;               // candidates evaluated exactly per step (best by correlation)
  unsigned starts = 6;  // greedy searches, from each of the best-correlated first parents
};

// How a child came from a parent: merged (its parents explain it), or trained from it
// (it holds the parent whole, plus an update of its own that nothing in the set explains).
enum class RelateKind { k_merge, k_fine_tune };

struct RelateEdge {
  std::size_t child = 0, parent = 0;  // indexes into the input
  RelateKind kind = RelateKind::k_merge;
  ShareEstimate share;                // parameter-weighted over the UNet blocks
  std::optional<std::string> blocks;  // "IN00..M00=0.31 ..." when the shares differ by block
  bool size_reliable = true;
};

struct RelateNode {
  double update_norm = 0;              // |target - base| over the sketched UNet matrices
  double explained = 0;                // fraction of the update its parents explain (0 for a root)
  bool base = false;                   // the base itself (no update)
  std::optional<std::size_t> same_as;  // another input with the same weights (earlier one)
};

struct Relation {
  std::vector<RelateNode> nodes;  // as the input
  std::vector<RelateEdge> edges;  // child -> parent, in input order of the child
  std::size_t tensors_used = 0;
};

// Relates `models` (at most 500) to each other over `base`. InvalidArgument when
// a fingerprint lacks the base's sketch size or no UNet matrix is common to all.
Result<Relation> relate(std::span<const RelateModel> models, const Fingerprint& base,
                        const RelateOptions& options = {});

}  // namespace pedigree::fingerprint
