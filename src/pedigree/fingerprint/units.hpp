// Undoing function-preserving edits before the sketch (issue 18).
//
// SD1.x keeps its function when the hidden units of a layer are re-ordered
// consistently, or rescaled where a normalization or a product undoes the
// scale. The share estimate is linear in the weights, so such an edit of a
// merge hides it. Here each unit of such a group gets a small signature (a
// sparse random projection of every weight slice the unit owns, one part per
// slice, each part normalized so that a scale does not change it) and a
// magnitude (what a scale changes). A target's units are matched to a base's
// by signature, and the target is sketched again in the base's frame:
// moved back to the base's order, scales undone.
//
// Groups handled:
//  - GEGLU feed-forward hidden units (`ff.net.0.proj` value and gate rows,
//    `ff.net.2` columns): any permutation, and a positive scale of the value
//    row undone by the inverse scale of the `ff.net.2` column.
//  - ResBlock inner channels (`in_layers.2` conv1 rows, `emb_layers.1` rows,
//    `out_layers.0` GroupNorm parameters, `out_layers.3` conv2 input
//    channels): any permutation, and a positive scale of conv1 and the
//    embedding rows, which the GroupNorm after them undoes.
//  - Attention (`attn1`, `attn2`): the rows of to_q and to_k together (heads
//    and the dimensions inside a head re-ordered, q scaled by a and k by 1/a),
//    and the rows of to_v with the columns of to_out.0 (likewise).
// Not handled (such targets keep an alignment reason): the residual stream's
// own channel order, and sign flips.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

// GEGLU hidden units; ResBlock inner channels; attention query/key dimensions
// (a row of to_q with the same row of to_k: heads and the dimensions inside
// a head re-ordered alike, q scaled by a and k by 1/a keep every logit);
// attention value/output dimensions (a row of to_v with that column of
// to_out.0, likewise).
enum class UnitGroupKind : std::uint8_t {
  k_geglu = 1,
  k_resblock = 2,
  k_attention_qk = 3,
  k_attention_vo = 4,
};

// Dimensions of one part of a unit's signature (one weight slice it owns).
inline constexpr std::uint32_t k_unit_part_dims = 16;

struct UnitGroup {
  UnitGroupKind kind = UnitGroupKind::k_geglu;
  std::string
      prefix;  // canonical, e.g. "model.diffusion_model.middle_block.1.transformer_blocks.0.ff."
  std::uint32_t units = 0;
  std::uint32_t parts = 0;  // signature parts per unit (slices found in the file)
  // units x parts x k_unit_part_dims, int8 of each part's unit vector times 127.
  std::vector<std::int8_t> signature;
  // Per unit: GEGLU |value row| / |ff.net.2 column|; ResBlock |conv1 row|.
  std::vector<float> magnitude;
};

// The unit signatures of one model.
struct UnitSignatures {
  std::vector<UnitGroup> groups;
};

// Reads the tensors of every group `checkpoint` holds (canonical names) and
// signs their units. Errors: the readers' (IOError, Corruption); a group
// whose tensors disagree on their unit count is left out, not an error.
// Groups are signed on up to `threads` threads (0: the machine's, at most 4).
Result<UnitSignatures> unit_signatures(const formats::Checkpoint& checkpoint, unsigned threads = 0);

// The .units file (docs/formats/units-v1.md): magic, groups, SHA-256 trailer.
std::string serialize_units(const UnitSignatures& signatures);
// Bounds-checked: Corruption for a bad magic, trailer, count or size.
Result<UnitSignatures> parse_units(ByteView bytes);
// The groups split over several .units files of at most about `max_bytes`
// each (a group larger than that gets a file of its own), for ledger events
// of bounded size. Reading them all and merging their groups gives back the
// whole (merge_units).
std::vector<std::string> serialize_units_split(const UnitSignatures& signatures,
                                               std::size_t max_bytes);
// Adds `more`'s groups to `into`, skipping prefixes `into` already has.
void merge_units(UnitSignatures& into, UnitSignatures more);

// How a target's units map onto a base's, group by group.
struct UnitGroupAlignment {
  UnitGroupKind kind = UnitGroupKind::k_geglu;
  std::string prefix;
  std::vector<std::uint32_t> base_unit;  // target unit j is base unit base_unit[j]
  // Target unit j's scaled slices are this times the base frame's (its inverse slices divided
  // by it); negative when the unit is its base unit negated (a sign flip: both slices of a
  // GEGLU value/down or attention pair negated together, which changes no output).
  std::vector<float> scale;
  std::uint32_t moved = 0;      // units not in their base position
  std::uint32_t rescaled = 0;   // units whose scale (other than a sign) was undone
  std::uint32_t flipped = 0;    // units whose sign was undone
  std::uint32_t ambiguous = 0;  // units without a clear match (left where they are)
  float weakest_match = 1;      // lowest cosine of a matched unit
};

struct UnitAlignment {
  std::vector<UnitGroupAlignment> groups;
  std::uint64_t units = 0, moved = 0, rescaled = 0, flipped = 0, ambiguous = 0;
  std::uint32_t groups_missing = 0;  // base groups the target does not have (or sizes differ)
  float weakest_match =
      1;  // lowest signature cosine of a clearly matched moved unit (1: none moved)
  // Units without a clear match a confident alignment tolerates, per 1,000 units. Such a
  // unit keeps its place (right when its group was not re-ordered: its own update moved it
  // away from its base unit, as a strongly trained cross-attention row can) or takes a free
  // one; so few cannot move a share measurably, and unrelated weights leave most units
  // without a match.
  static constexpr std::uint64_t k_ambiguous_per_mille = 1;
  // No group missing and at most k_ambiguous_per_mille of the units without a clear match.
  bool confident() const {
    return groups_missing == 0 && ambiguous * 1000 <= units * k_ambiguous_per_mille;
  }
  // Nothing to undo.
  bool identity() const { return moved == 0 && rescaled == 0 && flipped == 0; }
  // One line: "moved 1,280 of 2,304 units, undid 48 scales; every unit matched clearly".
  std::string describe() const;
};

// Matches `target`'s units to `base`'s, group by group (same prefix, kind,
// unit and part counts), groups on up to `threads` threads (0: at most 4).
UnitAlignment align_units(const UnitSignatures& base, const UnitSignatures& target,
                          unsigned threads = 0);

// The fingerprint of `checkpoint` with `alignment` applied: the groups'
// tensors read again, moved and rescaled into the base's frame and sketched
// again (with `unaligned`'s sketch sizes, on up to `threads` threads); every
// other tensor keeps its sketch from `unaligned`, the checkpoint's own
// fingerprint. InvalidArgument when `unaligned` lacks a moved tensor.
Result<Fingerprint> aligned_fingerprint(const formats::Checkpoint& checkpoint,
                                        const UnitAlignment& alignment,
                                        const Fingerprint& unaligned, unsigned threads = 0);

}  // namespace pedigree::fingerprint
