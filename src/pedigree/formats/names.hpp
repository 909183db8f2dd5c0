// Canonical tensor names: one spelling (the LDM layout of Stable Diffusion)
// for every way checkpoints name the same tensor, plus the component (UNet,
// text encoder, VAE, EMA UNet, schedule buffers, other) and the merge block
// (MBW, 26 blocks) of each tensor.
//
// The mapping is specified in docs/formats/canonical-names.md. Weights hashes
// and fingerprints hash these names and shapes, so any change to the mapping
// is a format change: update the document and bump the consumers' versions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/formats/tensor.hpp"

namespace pedigree::formats {

// What part of a Stable Diffusion model a tensor belongs to.
enum class Component : std::uint8_t {
  k_unet,          // model.diffusion_model.*
  k_text_encoder,  // cond_stage_model.* (SD1/SD2), conditioner.embedders.* (SDXL)
  k_vae,           // first_stage_model.*
  k_unet_ema,      // model_ema.diffusion_model.* (EMA copy of the UNet)
  k_schedule,      // diffusion schedule buffers (betas, alphas_cumprod, ...)
  k_other,         // anything else (EMA bookkeeping, LoRA weights, unknown keys)
};
inline constexpr int k_component_count = 6;

// "unet", "text_encoder", "vae", "unet_ema", "schedule", "other".
std::string_view component_name(Component component);
// Inverse of component_name; nullopt for any other spelling.
std::optional<Component> component_from_name(std::string_view name);

// Merge blocks as block-weighted merges (supermerger, bbc-mc) number them:
// 0 BASE (the text encoder), 1..12 IN00..IN11, 13 M00, 14..25 OUT00..OUT11.
inline constexpr int k_block_count = 26;
inline constexpr int k_block_base = 0;
inline constexpr int k_block_in00 = 1;
inline constexpr int k_block_m00 = 13;
inline constexpr int k_block_out00 = 14;

// "BASE", "IN00".."IN11", "M00", "OUT00".."OUT11"; "" when block is outside 0..25.
std::string_view block_name(int block);
// Inverse of block_name (exact, upper-case spelling); nullopt otherwise.
std::optional<int> block_from_name(std::string_view name);

// Block of a UNet tensor given its name relative to "model.diffusion_model."
// (e.g. "input_blocks.4.1.proj_in.weight" -> 5). time_embed.* and label_emb.*
// are IN00, out.* is OUT11. nullopt for names outside the LDM UNet layout.
std::optional<int> unet_block(std::string_view unet_relative_name);

// LDM prefixes of the canonical layout.
inline constexpr std::string_view k_unet_prefix = "model.diffusion_model.";
inline constexpr std::string_view k_unet_ema_prefix = "model_ema.diffusion_model.";
inline constexpr std::string_view k_clip_prefix = "cond_stage_model.transformer.text_model.";
inline constexpr std::string_view k_vae_prefix = "first_stage_model.";
// The canonical name of SD1.x's CLIP position_ids buffer (int64 [1,77]).
inline constexpr std::string_view k_clip_position_ids =
    "cond_stage_model.transformer.text_model.embeddings.position_ids";

// One tensor under its canonical name.
struct CanonicalTensor {
  std::string name;  // canonical (LDM) name
  Component component = Component::k_other;
  std::optional<int> block;          // MBW block (UNet, EMA UNet, text encoder); else nullopt
  std::vector<std::uint64_t> shape;  // canonical (LDM) shape; same element count as stored
};

// Canonical names, components, blocks and shapes of every tensor of
// `checkpoint`, index-aligned with checkpoint.tensors (result[i] describes
// checkpoint.tensors[i]). Never fails: a name it cannot map keeps its stored
// spelling and gets the component its prefix implies (often k_other).
// Canonical names are unique when the stored names are spellings of distinct
// tensors; a file holding two spellings of one tensor (say the old and new
// CLIP prefixes) yields duplicates, which find_duplicate_name reports.
std::vector<CanonicalTensor> canonicalize(const Checkpoint& checkpoint);

// The first canonical name that occurs twice in `tensors`, or nullopt.
std::optional<std::string> find_duplicate_name(std::span<const CanonicalTensor> tensors);

// The 686 UNet tensors of SD1.x (v1-inference.yaml: 320 channels, mult
// 1,2,4,4, 2 res blocks, attention at 4,2,1, context 768), generated from the
// architecture, in LDM order, with full canonical names, blocks and shapes.
// 859,520,964 parameters. Built once; the reference stays valid forever.
const std::vector<CanonicalTensor>& sd1_unet_layout();

}  // namespace pedigree::formats
