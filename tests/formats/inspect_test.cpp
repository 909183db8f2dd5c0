#include "pedigree/formats/inspect.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "pedigree/formats/checkpoint.hpp"
#include "support/reference_hashes.hpp"

namespace pedigree::formats {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Fixtures and the counts Python computed when writing them (tools/make-names-fixtures).
const fs::path k_data = fs::path(PEDIGREE_TEST_DATA) / "names";
using testing::k_nai_leak_sha256;

json expected() {
  std::ifstream in(k_data / "expected.json");
  return json::parse(in);
}

const ComponentStats& stats(const InspectReport& r, Component c) {
  return r.components[static_cast<std::size_t>(c)];
}

TEST(Inspect, Sd1FileCountsMatchWhatTheGeneratorWrote) {
  const json want = expected()["sd1_ldm"];
  auto r = inspect_path(k_data / "sd1_ldm.safetensors");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->format, Format::k_safetensors);
  EXPECT_EQ(r->size, want["size"].get<std::uint64_t>());
  EXPECT_EQ(r->tensors, want["tensors"].get<std::uint64_t>());
  for (auto [c, key] :
       {std::pair{Component::k_unet, "unet"}, std::pair{Component::k_text_encoder, "text_encoder"},
        std::pair{Component::k_vae, "vae"}}) {
    EXPECT_EQ(stats(*r, c).tensors, want[key][0].get<std::uint64_t>()) << key;
    EXPECT_EQ(stats(*r, c).parameters, want[key][1].get<std::uint64_t>()) << key;
  }
  EXPECT_EQ(stats(*r, Component::k_text_encoder).dtypes.at("I64"), 1u);
  EXPECT_EQ(r->architecture, Architecture::k_sd1);
  EXPECT_EQ(r->ema_tensors, 0u);
  EXPECT_FALSE(r->old_clip_prefix);
  EXPECT_EQ(r->position_ids.state, PositionIdsState::k_intact);
  EXPECT_EQ(r->position_ids.count, 77u);
  EXPECT_EQ(r->position_ids.dtype, "I64");
  ASSERT_EQ(r->recipes.recipes.size(), 2u);
  EXPECT_EQ(r->recipes.recipes[0].source, RecipeSource::k_supermerger);
  EXPECT_EQ(r->recipes.recipes[0].parents[1].sha256, k_nai_leak_sha256);
  EXPECT_EQ(r->recipes.recipes[1].source, RecipeSource::k_modelspec);
  EXPECT_FALSE(r->is_torch);
  EXPECT_TRUE(r->warnings.empty());
}

TEST(Inspect, NaiStyleFileShowsOldPrefixEmaAndNonIntegerPositionIds) {
  const json want = expected()["nai_style"];
  auto r = inspect_path(k_data / "nai_style.safetensors");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->tensors, want["tensors"].get<std::uint64_t>());
  EXPECT_TRUE(r->old_clip_prefix);
  EXPECT_EQ(r->ema_tensors, want["unet_ema"][0].get<std::uint64_t>());
  EXPECT_EQ(stats(*r, Component::k_unet_ema).parameters, want["unet_ema"][1].get<std::uint64_t>());
  EXPECT_EQ(stats(*r, Component::k_schedule).tensors, 2u);
  EXPECT_EQ(stats(*r, Component::k_other).tensors, 2u);  // model_ema.decay, num_updates
  EXPECT_EQ(r->architecture, Architecture::k_sd1);
  EXPECT_EQ(r->position_ids.state, PositionIdsState::k_non_integer);
  EXPECT_EQ(r->position_ids.dtype, "F32");
  EXPECT_EQ(r->position_ids.wrong, 1u);
  EXPECT_EQ(r->position_ids.first_wrong_index, 76u);
  EXPECT_EQ(r->position_ids.first_wrong_value, want["position_ids_76"].get<double>());
  EXPECT_TRUE(r->warnings.empty());
}

TEST(Inspect, TorchCheckpointListsPickleGlobalsAndScalars) {
  auto r = inspect_path(k_data / "nai_style.ckpt");
  if (!r && r.error().code() == ErrorCode::k_not_supported) {
    GTEST_SKIP() << "torch zip reader not in this build: " << r.error().message();
  }
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->format, Format::k_torch_zip);
  EXPECT_TRUE(r->is_torch);
  EXPECT_FALSE(r->globals.empty());
  for (const auto& g : r->globals) EXPECT_TRUE(g.allowed) << g.module << "." << g.name;
  EXPECT_TRUE(r->old_clip_prefix);
  EXPECT_EQ(r->position_ids.state, PositionIdsState::k_non_integer);
  EXPECT_EQ(r->ema_tensors, 8u);
}

TEST(Inspect, LoraWithKohyaBaseHash) {
  auto r = inspect_path(k_data / "lora_tiny.safetensors");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->architecture, Architecture::k_lora);
  EXPECT_EQ(r->position_ids.state, PositionIdsState::k_missing);
  ASSERT_EQ(r->recipes.recipes.size(), 1u);
  EXPECT_EQ(r->recipes.recipes[0].source, RecipeSource::k_kohya);
  EXPECT_EQ(r->recipes.recipes[0].parents[0].sha256, k_nai_leak_sha256);
}

TEST(Inspect, DiffusersFolder) {
  auto r = inspect_path(k_data / "sd1_diffusers");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->format, Format::k_diffusers);
  EXPECT_EQ(r->sources.size(), 3u);
  EXPECT_EQ(r->tensors, expected()["sd1_diffusers"]["tensors"].get<std::uint64_t>());
  EXPECT_EQ(r->architecture, Architecture::k_sd1);
  EXPECT_EQ(r->position_ids.state, PositionIdsState::k_intact);
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
}

std::vector<CanonicalTensor> tensors(
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> list) {
  Checkpoint c;
  for (auto& [name, shape] : list) {
    TensorInfo t;
    t.name = name;
    t.shape = shape;
    c.tensors.push_back(t);
  }
  return canonicalize(c);
}

TEST(Inspect, GuessesArchitectureFromNamesAndShapes) {
  const std::string conv_in = "model.diffusion_model.input_blocks.0.0.weight";
  const std::string proj_in = "model.diffusion_model.input_blocks.1.1.proj_in.weight";
  EXPECT_EQ(guess_architecture(tensors({{conv_in, {320, 4, 3, 3}}, {proj_in, {320, 320, 1, 1}}})),
            Architecture::k_sd1);
  EXPECT_EQ(guess_architecture(tensors({{conv_in, {320, 9, 3, 3}}})),
            Architecture::k_sd1_inpainting);
  EXPECT_EQ(guess_architecture(tensors({{conv_in, {320, 4, 3, 3}}, {proj_in, {320, 320}}})),
            Architecture::k_sd2);
  EXPECT_EQ(guess_architecture(tensors(
                {{conv_in, {320, 4, 3, 3}}, {"cond_stage_model.model.ln_final.weight", {1024}}})),
            Architecture::k_sd2);
  EXPECT_EQ(
      guess_architecture(tensors({{conv_in, {320, 4, 3, 3}},
                                  {"model.diffusion_model.label_emb.0.0.weight", {1280, 2816}}})),
      Architecture::k_sdxl);
  EXPECT_EQ(guess_architecture(tensors({{"encoder.conv_in.weight", {128, 3, 3, 3}}})),
            Architecture::k_vae);
  EXPECT_EQ(guess_architecture(tensors({{"lora_unet_x.lora_up.weight", {4, 4}}})),
            Architecture::k_lora);
  EXPECT_EQ(guess_architecture(tensors({{"fc.weight", {4, 4}}})), Architecture::k_unknown);
  EXPECT_EQ(guess_architecture(tensors({{conv_in, {320, 8, 3, 3}}})), Architecture::k_unknown);
}

TEST(Inspect, JsonCarriesTheDocumentedFields) {
  auto r = inspect_path(k_data / "sd1_ldm.safetensors");
  ASSERT_TRUE(r);
  const json j = inspect_to_json(*r);
  EXPECT_EQ(j["schema"], "pedigree.inspect/1");
  EXPECT_EQ(j["format"], "safetensors");
  EXPECT_EQ(j["architecture"], "sd1");
  EXPECT_EQ(j["components"]["unet"]["tensors"], 686);
  EXPECT_EQ(j["components"]["unet_ema"]["tensors"], 0);
  EXPECT_EQ(j["ema"]["present"], false);
  EXPECT_EQ(j["clip"]["old_nai_prefix"], false);
  EXPECT_EQ(j["clip"]["position_ids"]["state"], "intact");
  EXPECT_EQ(j["recipes"][0]["source"], "supermerger");
  EXPECT_EQ(j["recipes"][0]["claim"], true);
  EXPECT_EQ(j["recipes"][0]["parents"][1]["block_weights"].size(), 26u);
  EXPECT_TRUE(j["pickle"].is_null());
  EXPECT_EQ(j["metadata"]["modelspec.title"], "tiny mbw mix");
}

}  // namespace
}  // namespace pedigree::formats
