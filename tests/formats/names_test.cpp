#include "pedigree/formats/names.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

namespace pedigree::formats {
namespace {

Checkpoint make_checkpoint(
    Format format, std::vector<std::pair<std::string, std::vector<std::uint64_t>>> tensors) {
  Checkpoint checkpoint;
  checkpoint.format = format;
  for (auto& [name, shape] : tensors) {
    TensorInfo info;
    info.name = name;
    info.shape = shape;
    checkpoint.tensors.push_back(info);
  }
  return checkpoint;
}

Checkpoint ldm(std::vector<std::string> names) {
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> tensors;
  for (auto& n : names) tensors.push_back({n, {1}});
  return make_checkpoint(Format::k_safetensors, tensors);
}

TEST(Names, BlockNamesFollowSupermergerNumbering) {
  EXPECT_EQ(block_name(0), "BASE");
  EXPECT_EQ(block_name(1), "IN00");
  EXPECT_EQ(block_name(12), "IN11");
  EXPECT_EQ(block_name(13), "M00");
  EXPECT_EQ(block_name(14), "OUT00");
  EXPECT_EQ(block_name(25), "OUT11");
  EXPECT_EQ(block_name(26), "");
  EXPECT_EQ(block_name(-1), "");
  for (int b = 0; b < k_block_count; ++b) EXPECT_EQ(block_from_name(block_name(b)), b);
  EXPECT_FALSE(block_from_name("in00"));
  EXPECT_FALSE(block_from_name(""));
}

TEST(Names, ComponentNamesRoundTrip) {
  const std::set<std::string_view> expected = {"unet",     "text_encoder", "vae",
                                               "unet_ema", "schedule",     "other"};
  std::set<std::string_view> seen;
  for (int c = 0; c < k_component_count; ++c) {
    auto name = component_name(static_cast<Component>(c));
    seen.insert(name);
    EXPECT_EQ(component_from_name(name), static_cast<Component>(c));
  }
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(component_from_name("UNet"));
}

TEST(Names, UnetBlocksPutTimeEmbedInIn00AndOutInOut11) {
  EXPECT_EQ(unet_block("time_embed.0.weight"), 1);
  EXPECT_EQ(unet_block("label_emb.0.0.weight"), 1);
  EXPECT_EQ(unet_block("input_blocks.0.0.weight"), 1);
  EXPECT_EQ(unet_block("input_blocks.11.0.in_layers.0.bias"), 12);
  EXPECT_EQ(unet_block("middle_block.1.proj_in.weight"), 13);
  EXPECT_EQ(unet_block("output_blocks.0.0.skip_connection.weight"), 14);
  EXPECT_EQ(unet_block("output_blocks.11.1.norm.weight"), 25);
  EXPECT_EQ(unet_block("out.2.bias"), 25);
  EXPECT_FALSE(unet_block("input_blocks.12.0.weight"));
  EXPECT_FALSE(unet_block("input_blocks.x.0.weight"));
  EXPECT_FALSE(unet_block("outer.weight"));
}

// Counts from the SD1.x checkpoints themselves (docs: shared/domain.md section 4).
TEST(Names, Sd1UnetLayoutHas686TensorsAnd859520964Parameters) {
  const auto& layout = sd1_unet_layout();
  EXPECT_EQ(layout.size(), 686u);
  std::uint64_t params = 0;
  std::set<std::string> names, dotless;
  for (const auto& t : layout) {
    params +=
        std::accumulate(t.shape.begin(), t.shape.end(), std::uint64_t{1}, std::multiplies<>());
    names.insert(t.name);
    std::string d;
    for (char c : t.name) {
      if (c != '.') d += c;
    }
    dotless.insert(d);
    EXPECT_EQ(t.component, Component::k_unet);
    ASSERT_TRUE(t.block) << t.name;
  }
  EXPECT_EQ(params, 859520964u);
  EXPECT_EQ(names.size(), 686u);
  EXPECT_EQ(dotless.size(), 686u);  // EMA names can be mapped back unambiguously
  EXPECT_EQ(layout.front().name, "model.diffusion_model.time_embed.0.weight");
  EXPECT_EQ(layout.back().name, "model.diffusion_model.out.2.bias");
}

TEST(Names, StripsWrappersAndMapsOldClipPrefix) {
  auto out = canonicalize(ldm({
      "state_dict.model.diffusion_model.input_blocks.4.1.proj_in.weight",
      "module.cond_stage_model.transformer.embeddings.position_ids",
      "cond_stage_model.transformer.encoder.layers.0.mlp.fc1.weight",
      "cond_stage_model.transformer.final_layer_norm.weight",
      "cond_stage_model.transformer.text_model.final_layer_norm.bias",
      "first_stage_model.decoder.conv_in.weight",
  }));
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].name, "model.diffusion_model.input_blocks.4.1.proj_in.weight");
  EXPECT_EQ(out[0].component, Component::k_unet);
  EXPECT_EQ(out[0].block, 5);
  EXPECT_EQ(out[1].name, k_clip_position_ids);
  EXPECT_EQ(out[1].component, Component::k_text_encoder);
  EXPECT_EQ(out[1].block, k_block_base);
  EXPECT_EQ(out[2].name, "cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight");
  EXPECT_EQ(out[3].name, "cond_stage_model.transformer.text_model.final_layer_norm.weight");
  EXPECT_EQ(out[4].name, "cond_stage_model.transformer.text_model.final_layer_norm.bias");
  EXPECT_EQ(out[5].component, Component::k_vae);
  EXPECT_FALSE(out[5].block);
  EXPECT_FALSE(find_duplicate_name(out));
}

TEST(Names, ReportsTwoSpellingsOfOneTensorAsDuplicate) {
  auto out = canonicalize(ldm({"cond_stage_model.transformer.final_layer_norm.weight",
                               "cond_stage_model.transformer.text_model.final_layer_norm.weight"}));
  EXPECT_EQ(find_duplicate_name(out),
            "cond_stage_model.transformer.text_model.final_layer_norm.weight");
}

TEST(Names, RecoversDotsOfEmaKeysIncludingAmbiguousLookingOnes) {
  // input_blocks.1.1... and input_blocks.11... both start "input_blocks11" once dots are gone.
  auto out = canonicalize(ldm({
      "model.diffusion_model.input_blocks.1.1.norm.weight",
      "model_ema.diffusion_modelinput_blocks11normweight",
      "model_ema.diffusion_modelinput_blocks110in_layers0weight",
      "model_ema.diffusion_modeltime_embed0bias",
      "model_ema.diffusion_modelnot_a_known_tensor",
      "model_ema.decay",
      "model_ema.num_updates",
  }));
  EXPECT_EQ(out[1].name, "model_ema.diffusion_model.input_blocks.1.1.norm.weight");
  EXPECT_EQ(out[1].component, Component::k_unet_ema);
  EXPECT_EQ(out[1].block, 2);
  EXPECT_EQ(out[2].name, "model_ema.diffusion_model.input_blocks.11.0.in_layers.0.weight");
  EXPECT_EQ(out[2].block, 12);
  EXPECT_EQ(out[3].name, "model_ema.diffusion_model.time_embed.0.bias");
  EXPECT_EQ(out[4].name, "model_ema.diffusion_modelnot_a_known_tensor");
  EXPECT_EQ(out[4].component, Component::k_unet_ema);
  EXPECT_FALSE(out[4].block);
  EXPECT_EQ(out[5].component, Component::k_other);
  EXPECT_EQ(out[6].component, Component::k_other);
}

TEST(Names, EmaDotsComeFromUnetKeysPresentWhenNotSd1) {
  // An SDXL-only name (not in the SD1.x layout) is recovered from the UNet keys of the file.
  auto out = canonicalize(ldm({"model.diffusion_model.label_emb.0.0.weight",
                               "model_ema.diffusion_modellabel_emb00weight"}));
  EXPECT_EQ(out[1].name, "model_ema.diffusion_model.label_emb.0.0.weight");
}

TEST(Names, ClassifiesScheduleSd2SdxlAndLoraKeys) {
  auto out = canonicalize(ldm({
      "betas",
      "alphas_cumprod",
      "posterior_mean_coef2",
      "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight",
      "conditioner.embedders.1.model.ln_final.weight",
      "conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
      "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight",
      "betas_extra",
  }));
  EXPECT_EQ(out[0].component, Component::k_schedule);
  EXPECT_EQ(out[1].component, Component::k_schedule);
  EXPECT_EQ(out[2].component, Component::k_schedule);
  EXPECT_EQ(out[3].component, Component::k_text_encoder);
  EXPECT_EQ(out[4].component, Component::k_text_encoder);
  EXPECT_EQ(out[5].component, Component::k_text_encoder);
  EXPECT_EQ(out[6].component, Component::k_other);
  EXPECT_EQ(out[7].component, Component::k_other);
}

TEST(Names, BareVaeMovesUnderFirstStageModel) {
  auto out = canonicalize(ldm(
      {"encoder.conv_in.weight", "decoder.mid.attn_1.q.weight", "quant_conv.bias", "loss.logvar"}));
  EXPECT_EQ(out[0].name, "first_stage_model.encoder.conv_in.weight");
  EXPECT_EQ(out[0].component, Component::k_vae);
  EXPECT_EQ(out[1].name, "first_stage_model.decoder.mid.attn_1.q.weight");
  EXPECT_EQ(out[2].name, "first_stage_model.quant_conv.bias");
  EXPECT_EQ(out[3].name, "loss.logvar");
  EXPECT_EQ(out[3].component, Component::k_other);

  // Beside a UNet, encoder.* is not a VAE.
  auto mixed = canonicalize(ldm({"model.diffusion_model.out.0.bias", "encoder.conv_in.weight"}));
  EXPECT_EQ(mixed[1].name, "encoder.conv_in.weight");
  EXPECT_EQ(mixed[1].component, Component::k_other);
}

// Pairs from the LDM <-> diffusers correspondence of diffusers'
// scripts/convert_diffusers_to_original_stable_diffusion.py (SD1.x).
TEST(Names, MapsDiffusersUnetNamesToLdm) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"time_embedding.linear_1.weight", "time_embed.0.weight"},
      {"time_embedding.linear_2.bias", "time_embed.2.bias"},
      {"conv_in.weight", "input_blocks.0.0.weight"},
      {"conv_norm_out.bias", "out.0.bias"},
      {"conv_out.weight", "out.2.weight"},
      {"down_blocks.0.resnets.0.norm1.weight", "input_blocks.1.0.in_layers.0.weight"},
      {"down_blocks.0.resnets.1.conv1.bias", "input_blocks.2.0.in_layers.2.bias"},
      {"down_blocks.1.resnets.0.conv_shortcut.weight", "input_blocks.4.0.skip_connection.weight"},
      {"down_blocks.1.resnets.0.time_emb_proj.weight", "input_blocks.4.0.emb_layers.1.weight"},
      {"down_blocks.2.attentions.1.transformer_blocks.0.attn2.to_k.weight",
       "input_blocks.8.1.transformer_blocks.0.attn2.to_k.weight"},
      {"down_blocks.0.downsamplers.0.conv.weight", "input_blocks.3.0.op.weight"},
      {"down_blocks.2.downsamplers.0.conv.bias", "input_blocks.9.0.op.bias"},
      {"down_blocks.3.resnets.1.norm2.weight", "input_blocks.11.0.out_layers.0.weight"},
      {"down_blocks.3.resnets.1.conv2.weight", "input_blocks.11.0.out_layers.3.weight"},
      {"mid_block.resnets.0.norm1.bias", "middle_block.0.in_layers.0.bias"},
      {"mid_block.attentions.0.proj_out.weight", "middle_block.1.proj_out.weight"},
      {"mid_block.resnets.1.conv2.bias", "middle_block.2.out_layers.3.bias"},
      {"up_blocks.0.resnets.2.conv_shortcut.weight", "output_blocks.2.0.skip_connection.weight"},
      {"up_blocks.0.upsamplers.0.conv.weight", "output_blocks.2.1.conv.weight"},
      {"up_blocks.1.attentions.0.norm.weight", "output_blocks.3.1.norm.weight"},
      {"up_blocks.1.upsamplers.0.conv.bias", "output_blocks.5.2.conv.bias"},
      {"up_blocks.2.upsamplers.0.conv.weight", "output_blocks.8.2.conv.weight"},
      {"up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.weight",
       "output_blocks.11.1.transformer_blocks.0.ff.net.0.proj.weight"},
  };
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> tensors;
  for (const auto& [d, l] : pairs) tensors.push_back({"unet/" + d, {1}});
  // The upsampler's slot depends on whether its up block has attention layers.
  tensors.push_back({"unet/up_blocks.1.attentions.0.proj_in.weight", {1}});
  tensors.push_back({"unet/up_blocks.2.attentions.0.proj_in.weight", {1}});
  tensors.push_back({"unet/some_new_module.weight", {1}});
  auto out = canonicalize(make_checkpoint(Format::k_diffusers, tensors));
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(out[i].name, "model.diffusion_model." + pairs[i].second) << pairs[i].first;
    EXPECT_EQ(out[i].component, Component::k_unet);
    EXPECT_EQ(out[i].block, unet_block(pairs[i].second));
  }
  EXPECT_EQ(out.back().name, "unet/some_new_module.weight");
  EXPECT_EQ(out.back().component, Component::k_unet);
  EXPECT_FALSE(out.back().block);
}

TEST(Names, MapsDiffusersVaeNamesAndShapesToLdm) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"encoder.conv_in.weight", "encoder.conv_in.weight"},
      {"encoder.down_blocks.0.resnets.1.norm1.weight", "encoder.down.0.block.1.norm1.weight"},
      {"encoder.down_blocks.1.resnets.0.conv_shortcut.weight",
       "encoder.down.1.block.0.nin_shortcut.weight"},
      {"encoder.down_blocks.2.downsamplers.0.conv.weight", "encoder.down.2.downsample.conv.weight"},
      {"encoder.mid_block.resnets.0.conv1.bias", "encoder.mid.block_1.conv1.bias"},
      {"encoder.mid_block.attentions.0.group_norm.weight", "encoder.mid.attn_1.norm.weight"},
      {"encoder.mid_block.attentions.0.to_q.weight", "encoder.mid.attn_1.q.weight"},
      {"encoder.mid_block.attentions.0.key.weight", "encoder.mid.attn_1.k.weight"},
      {"encoder.mid_block.attentions.0.to_out.0.bias", "encoder.mid.attn_1.proj_out.bias"},
      {"encoder.conv_norm_out.weight", "encoder.norm_out.weight"},
      {"decoder.up_blocks.0.resnets.2.conv2.weight", "decoder.up.3.block.2.conv2.weight"},
      {"decoder.up_blocks.0.upsamplers.0.conv.bias", "decoder.up.3.upsample.conv.bias"},
      {"decoder.up_blocks.3.resnets.0.conv_shortcut.bias",
       "decoder.up.0.block.0.nin_shortcut.bias"},
      {"decoder.mid_block.resnets.1.norm2.weight", "decoder.mid.block_2.norm2.weight"},
      {"decoder.mid_block.attentions.0.proj_attn.weight", "decoder.mid.attn_1.proj_out.weight"},
      {"quant_conv.weight", "quant_conv.weight"},
      {"post_quant_conv.bias", "post_quant_conv.bias"},
  };
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> tensors;
  for (const auto& [d, l] : pairs) tensors.push_back({"vae/" + d, {512, 512}});
  auto out = canonicalize(make_checkpoint(Format::k_diffusers, tensors));
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(out[i].name, "first_stage_model." + pairs[i].second) << pairs[i].first;
    EXPECT_EQ(out[i].component, Component::k_vae);
  }
  // Linear attention weights become 1x1 convolutions; nothing else changes shape.
  EXPECT_EQ(out[6].shape, (std::vector<std::uint64_t>{512, 512, 1, 1}));
  EXPECT_EQ(out[7].shape, (std::vector<std::uint64_t>{512, 512, 1, 1}));
  EXPECT_EQ(out[14].shape, (std::vector<std::uint64_t>{512, 512, 1, 1}));
  EXPECT_EQ(out[8].shape, (std::vector<std::uint64_t>{512, 512}));  // a bias named oddly stays
  EXPECT_EQ(out[0].shape, (std::vector<std::uint64_t>{512, 512}));
}

TEST(Names, MapsDiffusersTextEncodersBySd1OrSdxlLayout) {
  auto sd1 = canonicalize(make_checkpoint(
      Format::k_diffusers, {{"text_encoder/text_model.embeddings.position_ids", {1, 77}}}));
  EXPECT_EQ(sd1[0].name, k_clip_position_ids);
  EXPECT_EQ(sd1[0].component, Component::k_text_encoder);
  EXPECT_EQ(sd1[0].block, k_block_base);

  auto xl = canonicalize(make_checkpoint(
      Format::k_diffusers, {{"text_encoder/text_model.final_layer_norm.weight", {768}},
                            {"text_encoder_2/text_model.final_layer_norm.weight", {1280}},
                            {"unet/add_embedding.linear_1.weight", {1280, 2816}},
                            {"unet/up_blocks.0.attentions.0.norm.weight", {1280}},
                            {"unet/up_blocks.0.upsamplers.0.conv.weight", {1280, 1280, 3, 3}},
                            {"scheduler/whatever", {1}}}));
  EXPECT_EQ(xl[0].name, "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight");
  EXPECT_EQ(xl[1].name, "text_encoder_2/text_model.final_layer_norm.weight");
  EXPECT_EQ(xl[1].component, Component::k_text_encoder);
  EXPECT_EQ(xl[2].name, "model.diffusion_model.label_emb.0.0.weight");
  // SDXL's up_blocks.0 has attention, so its upsampler is the third module.
  EXPECT_EQ(xl[4].name, "model.diffusion_model.output_blocks.2.2.conv.weight");
  EXPECT_EQ(xl[5].component, Component::k_other);
}

TEST(Names, DiffusersRulesApplyOnlyToDiffusersFolders) {
  auto out = canonicalize(ldm({"unet/conv_in.weight"}));
  EXPECT_EQ(out[0].name, "unet/conv_in.weight");
  EXPECT_EQ(out[0].component, Component::k_other);
}

}  // namespace
}  // namespace pedigree::formats
