// Declared ancestry: walks lineage edges from a target to its roots.
//
// Only trusted edges count toward paths, shares and completeness; untrusted
// and revoked edges are collected so reports can show them. The walk is
// cycle-safe (an edge that closes a cycle is refused and reported), bounded
// (paths are listed up to k_max_paths), and NAI references are treated as
// roots (their share is 1 by definition).
//
// Shares are computed per merge block (BASE, IN00-IN11, M00, OUT00-OUT11, the
// 26 blocks of block-weighted merges) and summed with signs: an add-difference
// term that subtracts NAI cancels one that adds it. The scalar shares are the
// per-block shares weighted by the SD1 UNet parameter count of each block.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/lineage/facts.hpp"

namespace pedigree::lineage {

inline constexpr std::size_t k_max_paths = 64;

// Blocks of a block-weighted merge, in the order of lineage `block_weights`:
// BASE, IN00-IN11, M00, OUT00-OUT11 (docs/formats/recipes.md).
inline constexpr std::size_t k_merge_blocks = 26;
using BlockValues = std::array<double, k_merge_blocks>;

// Parameters of the SD1 UNet in each merge block (BASE holds time_embed and
// out); they sum to 859,520,964, the published UNet size.
extern const std::array<double, k_merge_blocks> k_sd1_unet_block_params;

// The mean of per-block values weighted by k_sd1_unet_block_params.
double parameter_weighted(const BlockValues& per_block);

// One hop of a path: the artifact reached and the edge that reached it.
struct PathStep {
  std::string sha256;
  std::string name;
  std::string relation;               // empty for the first step (the target)
  std::optional<double> weight;       // coefficient of this parent in its child
                                      // (parameter-weighted mean when block-weighted)
  std::optional<BlockValues> blocks;  // per-block coefficients when the event gave them
  EventStatus status = EventStatus::k_trusted;
  std::string event_id;
};

// A path from the target (steps.front()) to a NAI reference (steps.back()).
struct NaiPath {
  std::vector<PathStep> steps;
  // Product of the weights along the path, block by block, then
  // parameter-weighted; nullopt when a weight is undeclared.
  std::optional<double> product;
  Role root_role = Role::k_nai_leak;
};

// Two or more trusted lineage events give different parents for one artifact.
struct LineageConflict {
  std::string sha256;
  std::vector<std::string> event_ids;
};

struct Ancestry {
  std::vector<NaiPath> paths;          // trusted paths to NAI
  std::vector<NaiPath> ignored_paths;  // paths to NAI that need an untrusted/revoked edge
  // Trusted chains to NAI whose product is negative: a term an add-difference
  // subtracts. Not a path to NAI on its own; it counts in the signed share.
  std::vector<NaiPath> subtracted_paths;
  bool paths_truncated = false;  // more than k_max_paths existed
  // Effective declared NAI share: signed sum over paths and subtracted terms,
  // per block, parameter-weighted (conflicting recipes give a range). nullopt
  // when a weight on a NAI path is undeclared.
  std::optional<double> share_low;
  std::optional<double> share_high;
  bool complete = true;                          // every trusted root is a base or NAI reference
  std::vector<std::string> unknown_roots;        // ancestors with no trusted parents and no role
  std::vector<std::vector<std::string>> cycles;  // each: the artifacts of a refused cycle
  std::vector<LineageConflict> conflicts;
  std::vector<const Edge*> ignored_edges;  // untrusted or revoked edges met on the way
  bool reaches_leak = false;               // a trusted path ends at a nai-leak reference
  bool reaches_official = false;           // ... at a nai-official reference
  std::size_t ancestors = 0;               // distinct trusted ancestors visited
  bool has_trusted_parents = false;        // the target itself has a trusted lineage event

  bool nai_declared() const { return !paths.empty(); }
};

// Walks the ancestry of `target` (a SHA-256) through `facts`.
Ancestry trace_ancestry(const FactBase& facts, const std::string& target);

// Coefficient of a parent: its weight, the parameter-weighted mean of its 26
// block weights, or 1 for relations that carry all of the parent (finetune,
// conversion, same-weights, lora-bake) when undeclared.
std::optional<double> effective_weight(const Edge& edge);

// Per-block coefficients of a parent: its 26 block weights, or its effective
// weight in every block; nullopt when undeclared.
std::optional<BlockValues> block_coefficients(const Edge& edge);

}  // namespace pedigree::lineage
