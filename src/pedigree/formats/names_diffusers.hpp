// Internal to formats/names: the diffusers -> LDM name tables
// (docs/formats/canonical-names.md, "Diffusers names"). Not for other modules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pedigree::formats::detail {

// Facts about the whole UNet that the per-name mapping needs.
struct DiffusersUnetContext {
  // up_blocks.i has attention layers (decides where its upsampler goes); i < 8.
  bool up_block_has_attention[8] = {};
};

// Maps a diffusers UNet name (relative to unet/) to an LDM name relative to
// "model.diffusion_model."; nullopt when it matches no rule.
std::optional<std::string> diffusers_unet_to_ldm(std::string_view name,
                                                 const DiffusersUnetContext& context);

// Maps a diffusers VAE name (relative to vae/) to an LDM name relative to
// "first_stage_model."; nullopt when it matches no rule.
std::optional<std::string> diffusers_vae_to_ldm(std::string_view name);

// Parses "<i>." at the front of `text` (1-2 decimal digits); advances text past the dot.
std::optional<int> take_index(std::string_view& text);

}  // namespace pedigree::formats::detail
