// Block placement of canonical LDM names (supermerger / bbc-mc convention:
// time_embed belongs to IN00 and out.* to OUT11).
#include <algorithm>
#include <array>
#include <charconv>

#include "pedigree/fingerprint/fingerprint.hpp"

namespace pedigree::fingerprint {
namespace {

constexpr std::string_view k_unet_prefix = "model.diffusion_model.";

// Parses the decimal index that follows `prefix` and ends at a '.'.
std::optional<unsigned> index_after(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return std::nullopt;
  std::string_view rest = name.substr(prefix.size());
  unsigned value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end == rest.data() || end == rest.data() + rest.size() || *end != '.') {
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint8_t> unet_block(std::string_view name) {
  if (name.starts_with("model.diffusion_model.time_embed.")) return k_block_in00;
  if (name.starts_with("model.diffusion_model.middle_block.")) return k_block_m00;
  if (name.starts_with("model.diffusion_model.out.")) return k_block_out00 + 11;
  if (auto i = index_after(name, "model.diffusion_model.input_blocks."); i && *i < 12) {
    return static_cast<std::uint8_t>(k_block_in00 + *i);
  }
  if (auto i = index_after(name, "model.diffusion_model.output_blocks."); i && *i < 12) {
    return static_cast<std::uint8_t>(k_block_out00 + *i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view block_name(std::uint8_t block) {
  static constexpr std::array<std::string_view, k_block_count> k_names = {
      "BASE",  "IN00",  "IN01",  "IN02",  "IN03",  "IN04",  "IN05",  "IN06",  "IN07",  "IN08",
      "IN09",  "IN10",  "IN11",  "M00",   "OUT00", "OUT01", "OUT02", "OUT03", "OUT04", "OUT05",
      "OUT06", "OUT07", "OUT08", "OUT09", "OUT10", "OUT11", "TE",    "VAE",   "EMA"};
  return block < k_block_count ? k_names[block] : std::string_view("?");
}

std::optional<Placement> place_tensor(std::string_view name) {
  if (name.starts_with(k_unet_prefix)) {
    auto block = unet_block(name);
    if (!block) return std::nullopt;
    return Placement{Component::k_unet, *block};
  }
  if (name.starts_with("cond_stage_model."))
    return Placement{Component::k_text_encoder, k_block_te};
  if (name.starts_with("first_stage_model.")) return Placement{Component::k_vae, k_block_vae};
  if (name.starts_with("model_ema.diffusion_model")) {
    return Placement{Component::k_ema_unet, k_block_ema};
  }
  return std::nullopt;
}

std::uint64_t TensorSketch::numel() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

const TensorSketch* Fingerprint::find(std::string_view name) const {
  auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                             [](const TensorSketch& t, std::string_view n) { return t.name < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

}  // namespace pedigree::fingerprint
