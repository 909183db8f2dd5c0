// Diffusers -> LDM tensor names, written from the layouts of diffusers'
// UNet2DConditionModel / AutoencoderKL and LDM's UNetModel / AutoencoderKL
// (the correspondence is the one diffusers' conversion scripts apply).
#include <array>
#include <span>
#include <utility>

#include "pedigree/formats/names_diffusers.hpp"

namespace pedigree::formats::detail {
namespace {

bool consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

using Renames = std::span<const std::pair<std::string_view, std::string_view>>;

// Replaces the leading module name of `tail` ("conv1.weight") using `table`.
// Names with no entry are kept when keep_unknown is set, refused otherwise.
std::optional<std::string> rename_head(std::string_view tail, Renames table, bool keep_unknown) {
  for (const auto& [from, to] : table) {
    if (tail.starts_with(from)) return std::string(to) + std::string(tail.substr(from.size()));
  }
  if (keep_unknown) return std::string(tail);
  return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_unet_resnet = {{
    {"norm1.", "in_layers.0."},
    {"conv1.", "in_layers.2."},
    {"time_emb_proj.", "emb_layers.1."},
    {"norm2.", "out_layers.0."},
    {"conv2.", "out_layers.3."},
    {"conv_shortcut.", "skip_connection."},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_unet_top = {{
    {"time_embedding.linear_1.", "time_embed.0."},
    {"time_embedding.linear_2.", "time_embed.2."},
    {"add_embedding.linear_1.", "label_emb.0.0."},
    {"add_embedding.linear_2.", "label_emb.0.2."},
    {"conv_in.", "input_blocks.0.0."},
    {"conv_norm_out.", "out.0."},
    {"conv_out.", "out.2."},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 1> k_vae_resnet = {{
    {"conv_shortcut.", "nin_shortcut."},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 9> k_vae_attention = {{
    {"group_norm.", "norm."},
    {"query.", "q."},
    {"key.", "k."},
    {"value.", "v."},
    {"proj_attn.", "proj_out."},
    {"to_q.", "q."},
    {"to_k.", "k."},
    {"to_v.", "v."},
    {"to_out.0.", "proj_out."},
}};

std::string numbered(std::string_view head, int index, std::string_view rest) {
  std::string out(head);
  out += std::to_string(index);
  out += '.';
  out += rest;
  return out;
}

std::optional<std::string> unet_down(std::string_view n) {
  auto i = take_index(n);
  if (!i || *i > 3) return std::nullopt;
  if (consume(n, "downsamplers.0.conv.")) {
    return numbered("input_blocks.", 3 * (*i + 1), "0.op." + std::string(n));
  }
  const bool resnet = consume(n, "resnets.");
  if (!resnet && !consume(n, "attentions.")) return std::nullopt;
  auto j = take_index(n);
  if (!j || *j > 1) return std::nullopt;
  const int block = 3 * *i + *j + 1;
  if (!resnet) return numbered("input_blocks.", block, "1." + std::string(n));
  auto tail = rename_head(n, k_unet_resnet, false);
  if (!tail) return std::nullopt;
  return numbered("input_blocks.", block, "0." + *tail);
}

std::optional<std::string> unet_up(std::string_view n, const DiffusersUnetContext& context) {
  auto i = take_index(n);
  if (!i || *i > 3) return std::nullopt;
  if (consume(n, "upsamplers.0.")) {
    const char* slot = context.up_block_has_attention[*i] ? "2." : "1.";
    return numbered("output_blocks.", 3 * *i + 2, slot + std::string(n));
  }
  const bool resnet = consume(n, "resnets.");
  if (!resnet && !consume(n, "attentions.")) return std::nullopt;
  auto j = take_index(n);
  if (!j || *j > 2) return std::nullopt;
  const int block = 3 * *i + *j;
  if (!resnet) return numbered("output_blocks.", block, "1." + std::string(n));
  auto tail = rename_head(n, k_unet_resnet, false);
  if (!tail) return std::nullopt;
  return numbered("output_blocks.", block, "0." + *tail);
}

std::optional<std::string> unet_mid(std::string_view n) {
  if (consume(n, "attentions.0.")) return "middle_block.1." + std::string(n);
  if (!consume(n, "resnets.")) return std::nullopt;
  auto j = take_index(n);
  if (!j || *j > 1) return std::nullopt;
  auto tail = rename_head(n, k_unet_resnet, false);
  if (!tail) return std::nullopt;
  return numbered("middle_block.", 2 * *j, *tail);
}

// One side (encoder. or decoder.) of the VAE, `n` relative to it.
std::optional<std::string> vae_side(std::string_view n) {
  if (consume(n, "conv_norm_out.")) return "norm_out." + std::string(n);
  if (n.starts_with("conv_in.") || n.starts_with("conv_out.")) return std::string(n);
  if (consume(n, "mid_block.")) {
    if (consume(n, "attentions.0.")) {
      auto tail = rename_head(n, k_vae_attention, false);
      if (!tail) return std::nullopt;
      return "mid.attn_1." + *tail;
    }
    if (!consume(n, "resnets.")) return std::nullopt;
    auto j = take_index(n);
    if (!j || *j > 1) return std::nullopt;
    return numbered("mid.block_", *j + 1, *rename_head(n, k_vae_resnet, true));
  }
  const bool down = consume(n, "down_blocks.");
  if (!down && !consume(n, "up_blocks.")) return std::nullopt;
  auto i = take_index(n);
  if (!i || *i > 3) return std::nullopt;
  const int level = down ? *i : 3 - *i;  // diffusers numbers the decoder's levels in reverse
  const std::string head = (down ? "down." : "up.") + std::to_string(level) + ".";
  if (consume(n, down ? "downsamplers.0." : "upsamplers.0.")) {
    return head + (down ? "downsample." : "upsample.") + std::string(n);
  }
  if (!consume(n, "resnets.")) return std::nullopt;
  auto j = take_index(n);
  if (!j || *j > 2) return std::nullopt;
  return head + numbered("block.", *j, *rename_head(n, k_vae_resnet, true));
}

}  // namespace

std::optional<int> take_index(std::string_view& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 2 || digits >= text.size() || text[digits] != '.')
    return std::nullopt;
  int value = 0;
  for (std::size_t k = 0; k < digits; ++k) value = value * 10 + (text[k] - '0');
  text.remove_prefix(digits + 1);
  return value;
}

std::optional<std::string> diffusers_unet_to_ldm(std::string_view name,
                                                 const DiffusersUnetContext& context) {
  if (auto top = rename_head(name, k_unet_top, false)) return top;
  std::string_view n = name;
  if (consume(n, "down_blocks.")) return unet_down(n);
  if (consume(n, "up_blocks.")) return unet_up(n, context);
  if (consume(n, "mid_block.")) return unet_mid(n);
  return std::nullopt;
}

std::optional<std::string> diffusers_vae_to_ldm(std::string_view name) {
  std::string_view n = name;
  if (n.starts_with("quant_conv.") || n.starts_with("post_quant_conv.")) return std::string(n);
  const bool encoder = consume(n, "encoder.");
  if (!encoder && !consume(n, "decoder.")) return std::nullopt;
  auto side = vae_side(n);
  if (!side) return std::nullopt;
  return (encoder ? "encoder." : "decoder.") + *side;
}

}  // namespace pedigree::formats::detail
