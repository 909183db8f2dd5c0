// The SD1.x UNet tensor list, generated from the architecture of
// ldm.modules.diffusionmodules.openaimodel.UNetModel as configured by
// v1-inference.yaml (see docs/formats/canonical-names.md, "SD1.x UNet layout").
#include <string>
#include <vector>

#include "pedigree/formats/names.hpp"

namespace pedigree::formats {
namespace {

constexpr std::uint64_t k_time_dim = 1280;  // 4 * model_channels
constexpr std::uint64_t k_context_dim = 768;

class LayoutBuilder {
public:
  explicit LayoutBuilder(std::vector<CanonicalTensor>& out) : m_out(out) {}

  void add(const std::string& name, std::vector<std::uint64_t> shape) {
    m_out.push_back(CanonicalTensor{std::string(k_unet_prefix) + name, Component::k_unet,
                                    unet_block(name), std::move(shape)});
  }
  void weight_bias(const std::string& prefix, std::vector<std::uint64_t> weight_shape) {
    const std::uint64_t out_dim = weight_shape.front();
    add(prefix + ".weight", std::move(weight_shape));
    add(prefix + ".bias", {out_dim});
  }
  void norm(const std::string& prefix, std::uint64_t channels) {
    add(prefix + ".weight", {channels});
    add(prefix + ".bias", {channels});
  }
  // ResBlock(in_ch -> out_ch) with a time embedding projection.
  void res_block(const std::string& p, std::uint64_t in_ch, std::uint64_t out_ch) {
    norm(p + ".in_layers.0", in_ch);
    weight_bias(p + ".in_layers.2", {out_ch, in_ch, 3, 3});
    weight_bias(p + ".emb_layers.1", {out_ch, k_time_dim});
    norm(p + ".out_layers.0", out_ch);
    weight_bias(p + ".out_layers.3", {out_ch, out_ch, 3, 3});
    if (in_ch != out_ch) weight_bias(p + ".skip_connection", {out_ch, in_ch, 1, 1});
  }
  // SpatialTransformer(ch) with one BasicTransformerBlock, conv 1x1 projections.
  void transformer(const std::string& p, std::uint64_t ch) {
    norm(p + ".norm", ch);
    weight_bias(p + ".proj_in", {ch, ch, 1, 1});
    const std::string b = p + ".transformer_blocks.0";
    add(b + ".attn1.to_q.weight", {ch, ch});
    add(b + ".attn1.to_k.weight", {ch, ch});
    add(b + ".attn1.to_v.weight", {ch, ch});
    weight_bias(b + ".attn1.to_out.0", {ch, ch});
    weight_bias(b + ".ff.net.0.proj", {ch * 8, ch});  // GEGLU: 2 x (4 ch)
    weight_bias(b + ".ff.net.2", {ch, ch * 4});
    add(b + ".attn2.to_q.weight", {ch, ch});
    add(b + ".attn2.to_k.weight", {ch, k_context_dim});
    add(b + ".attn2.to_v.weight", {ch, k_context_dim});
    weight_bias(b + ".attn2.to_out.0", {ch, ch});
    norm(b + ".norm1", ch);
    norm(b + ".norm2", ch);
    norm(b + ".norm3", ch);
    weight_bias(p + ".proj_out", {ch, ch, 1, 1});
  }

private:
  std::vector<CanonicalTensor>& m_out;
};

std::vector<CanonicalTensor> build_sd1_unet() {
  constexpr std::uint64_t k_model_channels = 320;
  constexpr std::uint64_t k_mult[4] = {1, 2, 4, 4};
  std::vector<CanonicalTensor> out;
  LayoutBuilder b(out);
  b.weight_bias("time_embed.0", {k_time_dim, k_model_channels});
  b.weight_bias("time_embed.2", {k_time_dim, k_time_dim});
  b.weight_bias("input_blocks.0.0", {k_model_channels, 4, 3, 3});

  // Encoder: 2 res blocks per level, attention on levels 0-2, downsample after levels 0-2.
  std::vector<std::uint64_t> skip_channels = {k_model_channels};
  std::uint64_t ch = k_model_channels;
  int index = 1;
  for (int level = 0; level < 4; ++level) {
    for (int j = 0; j < 2; ++j, ++index) {
      const std::string p = "input_blocks." + std::to_string(index);
      const std::uint64_t out_ch = k_model_channels * k_mult[level];
      b.res_block(p + ".0", ch, out_ch);
      ch = out_ch;
      if (level < 3) b.transformer(p + ".1", ch);
      skip_channels.push_back(ch);
    }
    if (level < 3) {
      b.weight_bias("input_blocks." + std::to_string(index) + ".0.op", {ch, ch, 3, 3});
      skip_channels.push_back(ch);
      ++index;
    }
  }

  b.res_block("middle_block.0", ch, ch);
  b.transformer("middle_block.1", ch);
  b.res_block("middle_block.2", ch, ch);

  // Decoder: 3 res blocks per level (each eats one skip), attention on levels 1-3 (from the
  // deepest), upsample after all but the last level.
  index = 0;
  for (int level = 3; level >= 0; --level) {
    for (int j = 0; j < 3; ++j, ++index) {
      const std::string p = "output_blocks." + std::to_string(index);
      const std::uint64_t out_ch = k_model_channels * k_mult[level];
      const std::uint64_t skip = skip_channels.back();
      skip_channels.pop_back();
      b.res_block(p + ".0", ch + skip, out_ch);
      ch = out_ch;
      int next = 1;
      if (level < 3) b.transformer(p + "." + std::to_string(next++), ch);
      if (level > 0 && j == 2)
        b.weight_bias(p + "." + std::to_string(next) + ".conv", {ch, ch, 3, 3});
    }
  }

  b.norm("out.0", ch);
  b.weight_bias("out.2", {4, ch, 3, 3});
  return out;
}

}  // namespace

const std::vector<CanonicalTensor>& sd1_unet_layout() {
  static const std::vector<CanonicalTensor> k_layout = build_sd1_unet();
  return k_layout;
}

}  // namespace pedigree::formats
