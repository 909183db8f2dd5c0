// Block placement of canonical LDM names: UNet blocks as formats/names.hpp
// numbers them (supermerger / bbc-mc: time_embed in IN00, out.* in OUT11).
#include <algorithm>
#include <array>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/formats/names.hpp"

namespace pedigree::fingerprint {

std::string_view block_name(std::uint8_t block) {
  static constexpr std::array<std::string_view, k_block_count> k_names = {
      "BASE",  "IN00",  "IN01",  "IN02",  "IN03",  "IN04",  "IN05",  "IN06",  "IN07",  "IN08",
      "IN09",  "IN10",  "IN11",  "M00",   "OUT00", "OUT01", "OUT02", "OUT03", "OUT04", "OUT05",
      "OUT06", "OUT07", "OUT08", "OUT09", "OUT10", "OUT11", "TE",    "VAE",   "EMA"};
  return block < k_block_count ? k_names[block] : std::string_view("?");
}

std::optional<Placement> place_tensor(std::string_view name) {
  if (name.starts_with(formats::k_unet_prefix)) {
    auto block = formats::unet_block(name.substr(formats::k_unet_prefix.size()));
    if (!block || *block < k_block_in00 || *block >= k_block_te) return std::nullopt;
    return Placement{Component::k_unet, static_cast<std::uint8_t>(*block)};
  }
  if (name.starts_with("cond_stage_model."))
    return Placement{Component::k_text_encoder, k_block_te};
  if (name.starts_with("first_stage_model.")) return Placement{Component::k_vae, k_block_vae};
  if (name.starts_with("model_ema.diffusion_model")) {
    return Placement{Component::k_unet_ema, k_block_ema};
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
