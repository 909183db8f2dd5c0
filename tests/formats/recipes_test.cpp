#include "pedigree/formats/recipes.hpp"
#include "support/reference_hashes.hpp"

#include <gtest/gtest.h>

#include <random>

namespace pedigree::formats {
namespace {

const std::string k_a = std::string(64, 'a');
const std::string k_b = std::string(64, 'b');
const std::string k_c = std::string(64, 'c');
// OrangeMixs' NAI full (animefull-final-pruned) SHA-256, from shared/domain.md.
using testing::k_nai_leak_sha256;

bool has_problem(const RecipeReport& r, std::string_view key, std::string_view text) {
  for (const auto& p : r.problems) {
    if (p.key == key && p.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Recipes, DecodesA1111AddDifferenceWithSignedWeights) {
  // Shaped like A1111's modules/extras.py run_modelmerger output.
  const std::string recipe = R"({"type": "webui", "primary_model_hash": ")" + k_a +
                             R"(", "secondary_model_hash": ")" + k_nai_leak_sha256 +
                             R"(", "tertiary_model_hash": ")" + k_c +
                             R"(", "interp_method": "Add difference", "multiplier": 0.3,
      "save_as_half": true, "custom_name": "mix", "config_source": 0, "bake_in_vae": "None",
      "discard_weights": "", "is_inpainting": false, "is_instruct_pix2pix": false})";
  auto report = decode_recipes({{"sd_merge_recipe", recipe}});
  ASSERT_EQ(report.recipes.size(), 1u);
  EXPECT_TRUE(report.problems.empty());
  const Recipe& r = report.recipes[0];
  EXPECT_EQ(r.source, RecipeSource::k_a1111);
  EXPECT_EQ(r.method, "Add difference");
  ASSERT_EQ(r.parents.size(), 3u);
  EXPECT_EQ(r.parents[0].role, "primary");
  EXPECT_EQ(r.parents[0].sha256, k_a);
  EXPECT_EQ(r.parents[1].sha256, k_nai_leak_sha256);
  EXPECT_DOUBLE_EQ(*r.parents[0].weight, 1.0);
  EXPECT_DOUBLE_EQ(*r.parents[1].weight, 0.3);
  EXPECT_DOUBLE_EQ(*r.parents[2].weight, -0.3);
  EXPECT_EQ(r.details.at("multiplier"), "0.3");
  EXPECT_EQ(r.details.at("custom_name"), "mix");
}

TEST(Recipes, DecodesA1111WeightedSumAndUpperCaseHashes) {
  std::string upper = k_nai_leak_sha256;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto report = decode_recipes(
      {{"sd_merge_recipe",
        R"({"type":"webui","primary_model_hash":")" + k_a + R"(","secondary_model_hash":")" +
            upper +
            R"(","tertiary_model_hash":null,"interp_method":"Weighted sum","multiplier":"0.25"})"}});
  ASSERT_EQ(report.recipes.size(), 1u);
  const Recipe& r = report.recipes[0];
  ASSERT_EQ(r.parents.size(), 2u);
  EXPECT_EQ(r.parents[1].sha256, k_nai_leak_sha256);
  EXPECT_DOUBLE_EQ(*r.parents[0].weight, 0.75);
  EXPECT_DOUBLE_EQ(*r.parents[1].weight, 0.25);
}

TEST(Recipes, DecodesSdMergeModelsAndNestedRecipes) {
  const std::string models =
      R"({")" + k_a +
      R"(": {"name": "AOM2_sfw.safetensors", "legacy_hash": "1A2B3C4D",
       "sd_merge_recipe": {"type": "webui", "primary_model_hash": ")" +
      k_b + R"(", "secondary_model_hash": ")" + k_nai_leak_sha256 +
      R"(", "interp_method": "Weighted sum", "multiplier": 0.5}},
     ")" +
      k_nai_leak_sha256 + R"(": {"name": "animefull-final-pruned.ckpt", "legacy_hash": "925997e9",
       "sd_merge_recipe": null}})";
  auto report = decode_recipes({{"sd_merge_models", models}});
  EXPECT_TRUE(report.problems.empty());
  ASSERT_EQ(report.recipes.size(), 2u);
  const Recipe& all = report.recipes[0];
  EXPECT_EQ(all.source, RecipeSource::k_a1111_models);
  ASSERT_EQ(all.parents.size(), 2u);
  // Parents come in key (hash) order.
  EXPECT_EQ(all.parents[0].sha256, k_nai_leak_sha256);
  EXPECT_EQ(all.parents[0].short_hash, "925997e9");
  EXPECT_EQ(all.parents[1].name, "AOM2_sfw.safetensors");
  EXPECT_EQ(all.parents[1].short_hash, "1a2b3c4d");
  const Recipe& nested = report.recipes[1];
  EXPECT_EQ(nested.subject_sha256, k_a);
  EXPECT_EQ(nested.parents[1].sha256, k_nai_leak_sha256);
  EXPECT_DOUBLE_EQ(*nested.parents[1].weight, 0.5);
}

TEST(Recipes, DecodesSupermergerBlockWeights) {
  // 26 alphas: BASE 0, IN00..IN11 = 1, M00 = 0.5, OUT00..OUT11 = 0.25; as a comma string.
  std::string alphas = "0";
  for (int i = 0; i < 12; ++i) alphas += ",1";
  alphas += ",0.5";
  for (int i = 0; i < 12; ++i) alphas += ",0.25";
  const std::string recipe = R"({"type": "sd-webui-supermerger", "weights_alpha": ")" + alphas +
                             R"(", "weights_beta": null, "model_a": ")" + k_a +
                             R"(", "model_b": ")" + k_nai_leak_sha256 +
                             R"(", "model_c": "", "base_alpha": 0.5, "base_beta": 0.25,
      "mode": "Weight sum", "mbw": true, "elemental_merge": "", "calcmode": "normal"})";
  auto report = decode_recipes({{"sd_merge_recipe", recipe}});
  ASSERT_EQ(report.recipes.size(), 1u);
  const Recipe& r = report.recipes[0];
  EXPECT_EQ(r.source, RecipeSource::k_supermerger);
  EXPECT_EQ(r.method, "Weight sum");
  ASSERT_EQ(r.parents.size(), 2u);  // supermerger writes "" for an unused model_c
  EXPECT_FALSE(r.parents[0].weight);
  ASSERT_EQ(r.parents[1].block_weights.size(), 26u);
  EXPECT_DOUBLE_EQ(r.parents[1].block_weights[0], 0.0);
  EXPECT_DOUBLE_EQ(r.parents[1].block_weights[5], 1.0);
  EXPECT_DOUBLE_EQ(r.parents[1].block_weights[13], 0.5);
  EXPECT_DOUBLE_EQ(r.parents[0].block_weights[25], 0.75);
  EXPECT_EQ(r.details.at("calcmode"), "normal");
}

TEST(Recipes, SupermergerNonLinearCalcmodeHasNoWeights) {
  auto report = decode_recipes(
      {{"sd_merge_recipe",
        R"({"type":"sd-webui-supermerger","model_a":")" + k_a + R"(","model_b":")" + k_b +
            R"(","mode":"Add difference:A+(B-C)*alpha","mbw":false,"base_alpha":0.5,"calcmode":"trainDifference"})"}});
  ASSERT_EQ(report.recipes.size(), 1u);
  EXPECT_EQ(report.recipes[0].method, "Add difference");
  EXPECT_FALSE(report.recipes[0].parents[1].weight);
  EXPECT_EQ(report.recipes[0].details.at("calcmode"), "trainDifference");
}

TEST(Recipes, DecodesSdMechaTextWithLinearWeights) {
  const std::string text =
      "version 0.1.0\n"
      "model \"models/sd14.safetensors\" model_config=\"sd1-ldm\" merge_space=\"weight\"\n"
      "model \"models/nai \\\"full\\\".ckpt\" model_config=\"sd1-ldm\" merge_space=\"weight\"\n"
      "model \"models/anything.safetensors\" model_config=\"sd1-ldm\" merge_space=\"weight\"\n"
      "merge \"subtract\" &1 &0\n"
      "merge \"add_difference\" &2 &3 alpha=0.4\n";
  auto report = decode_recipes({{"mecha_recipe", text}});
  ASSERT_EQ(report.recipes.size(), 1u)
      << (report.problems.empty() ? "" : report.problems[0].message);
  const Recipe& r = report.recipes[0];
  EXPECT_EQ(r.source, RecipeSource::k_sd_mecha);
  EXPECT_EQ(r.method, "add_difference");
  EXPECT_EQ(r.details.at("version"), "0.1.0");
  ASSERT_EQ(r.parents.size(), 3u);
  EXPECT_EQ(r.parents[1].name, "models/nai \"full\".ckpt");
  EXPECT_DOUBLE_EQ(*r.parents[0].weight, -0.4);
  EXPECT_DOUBLE_EQ(*r.parents[1].weight, 0.4);
  EXPECT_DOUBLE_EQ(*r.parents[2].weight, 1.0);
}

TEST(Recipes, SdMechaRefusesForwardReferencesAndBadHeaders) {
  auto forward = decode_recipes({{"mecha_recipe",
                                  "version 0.1.0\nmodel \"a\"\nmodel \"b\"\nmerge \"weighted_sum\" "
                                  "&0 &7 alpha=0.5\n"}});
  ASSERT_EQ(forward.recipes.size(), 1u);
  EXPECT_FALSE(forward.recipes[0].parents[0].weight);
  auto bad = decode_recipes({{"mecha_recipe", "model \"a\"\n"}});
  EXPECT_TRUE(bad.recipes.empty());
  EXPECT_TRUE(has_problem(bad, "mecha_recipe", "version"));
  auto quotes = decode_recipes({{"mecha_recipe", "version 0.1.0\nmodel \"a\n"}});
  EXPECT_TRUE(has_problem(quotes, "mecha_recipe", "quotes"));
}

TEST(Recipes, DecodesModelSpecAndKohya) {
  auto report = decode_recipes({
      {"modelspec.architecture", "stable-diffusion-v1"},
      {"modelspec.title", "My Mix"},
      {"modelspec.merged_from", "Anything V3, NAI full ,  "},
      {"modelspec.hash_sha256", "0x" + k_b},
      {"ss_new_sd_model_hash", k_nai_leak_sha256},
      {"ss_sd_model_hash", "925997e9"},
      {"ss_sd_model_name", "animefull-final-pruned.ckpt"},
      {"ss_network_module", "networks.lora"},
  });
  ASSERT_EQ(report.recipes.size(), 2u);
  const Recipe& spec = report.recipes[0];
  EXPECT_EQ(spec.source, RecipeSource::k_modelspec);
  ASSERT_EQ(spec.parents.size(), 2u);
  EXPECT_EQ(spec.parents[0].name, "Anything V3");
  EXPECT_EQ(spec.parents[1].name, "NAI full");
  EXPECT_EQ(spec.details.at("architecture"), "stable-diffusion-v1");
  EXPECT_EQ(spec.details.at("hash_sha256"), "0x" + k_b);
  const Recipe& kohya = report.recipes[1];
  EXPECT_EQ(kohya.source, RecipeSource::k_kohya);
  ASSERT_EQ(kohya.parents.size(), 1u);
  EXPECT_EQ(kohya.parents[0].role, "base");
  EXPECT_EQ(kohya.parents[0].sha256, k_nai_leak_sha256);
  EXPECT_EQ(kohya.parents[0].short_hash, "925997e9");
  EXPECT_EQ(kohya.parents[0].name, "animefull-final-pruned.ckpt");
}

TEST(Recipes, ReportsHostileValuesWithoutFailing) {
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  auto report = decode_recipes({
      {"sd_merge_recipe", "{\"type\": \"webui\", \"primary_model_hash\": 12,"},
      {"sd_merge_models", deep},
      {"mecha_recipe", std::string(k_max_recipe_value_bytes + 1, 'x')},
      {"ss_new_sd_model_hash", "../../etc/passwd"},
  });
  EXPECT_TRUE(has_problem(report, "sd_merge_recipe", "not valid JSON at byte"));
  EXPECT_TRUE(has_problem(report, "sd_merge_models", "deeper than 64"));
  EXPECT_TRUE(has_problem(report, "mecha_recipe", "size limit"));
  EXPECT_TRUE(has_problem(report, "ss_new_sd_model_hash", "not a SHA-256"));

  auto types = decode_recipes(
      {{"sd_merge_recipe",
        R"({"type":"webui","primary_model_hash":12,"multiplier":"x","interp_method":[1]})"},
       {"sd_merge_models", R"([1,2,3])"}});
  EXPECT_TRUE(has_problem(types, "sd_merge_recipe", "primary_model_hash is not"));
  EXPECT_TRUE(has_problem(types, "sd_merge_models", "not a JSON object"));
  ASSERT_EQ(types.recipes.size(), 1u);
  EXPECT_TRUE(types.recipes[0].parents.empty());
}

// A small deterministic fuzz: mutated real-shaped recipes never crash the decoder, and whatever
// it returns keeps its invariants (hashes well-formed, block lists complete).
TEST(Recipes, MutatedRecipesKeepInvariants) {
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"sd_merge_recipe", R"({"type":"webui","primary_model_hash":")" + k_a +
                              R"(","secondary_model_hash":")" + k_b +
                              R"(","interp_method":"Add difference","multiplier":0.3})"},
      {"sd_merge_recipe",
       R"({"type":"sd-webui-supermerger","model_a":")" + k_a + R"(","model_b":")" + k_b +
           R"(","mode":"Weight sum","mbw":true,"weights_alpha":"0,1,1,1,1,1,1,1,1,1,1,1,1,0.5,1,1,1,1,1,1,1,1,1,1,1,1","calcmode":"normal"})"},
      {"sd_merge_models",
       R"({")" + k_a +
           R"(":{"name":"x","legacy_hash":"1234abcd","sd_merge_recipe":"{\"type\":\"webui\",\"primary_model_hash\":\")" +
           k_b + R"(\"}"}})"},
      {"mecha_recipe",
       "version 0.1.0\nmodel \"a\"\nmodel \"b\"\nmerge \"weighted_sum\" &0 &1 alpha=0.5\n"},
  };
  std::mt19937 rng(20221006);
  const std::string alphabet = "{}[]\",:.&=\\ 0123456789abcdefx-eE\n";
  int decoded = 0;
  for (int round = 0; round < 3000; ++round) {
    auto [key, text] = seeds[round % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    auto report = decode_recipes({{key, text}});
    decoded += report.recipes.empty() ? 0 : 1;
    for (const auto& r : report.recipes) {
      for (const auto& p : r.parents) {
        EXPECT_TRUE(p.sha256.empty() ||
                    (p.sha256.size() == 64 &&
                     p.sha256.find_first_not_of("0123456789abcdef") == std::string::npos))
            << p.sha256;
        EXPECT_TRUE(p.block_weights.empty() || p.block_weights.size() == 26u);
      }
    }
  }
  EXPECT_GT(decoded, 0);  // some mutations stay decodable
}

TEST(Recipes, NoMetadataMeansNoRecipes) {
  auto report = decode_recipes({{"format", "pt"}});
  EXPECT_TRUE(report.recipes.empty());
  EXPECT_TRUE(report.problems.empty());
}

}  // namespace
}  // namespace pedigree::formats
