// Merge recipes that tools write into safetensors __metadata__, decoded into
// parents with hashes and weights. Every recipe is a *claim*: anyone can write
// any metadata, so a recipe is evidence to show, never proof of lineage.
//
// Decoded: A1111 sd_merge_recipe / sd_merge_models, supermerger (the same
// keys, type "sd-webui-supermerger"), sd-mecha mecha_recipe, ModelSpec
// modelspec.*, kohya ss_new_sd_model_hash / ss_sd_model_hash. The decoding
// rules are in docs/formats/recipes.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pedigree::formats {

enum class RecipeSource : std::uint8_t {
  k_a1111,         // sd_merge_recipe with type "webui" (A1111's checkpoint merger)
  k_a1111_models,  // sd_merge_models: every ancestor A1111/supermerger knew of (flattened)
  k_supermerger,   // sd_merge_recipe with type "sd-webui-supermerger"
  k_sd_mecha,      // mecha_recipe
  k_modelspec,     // modelspec.* (Stability AI's ModelSpec)
  k_kohya,         // ss_* keys of kohya-ss sd-scripts (LoRA / fine-tune base model)
};

// "a1111", "a1111-models", "supermerger", "sd-mecha", "modelspec", "kohya".
std::string_view recipe_source_name(RecipeSource source);

// One parent a recipe names. Fields are empty / nullopt when not stated.
struct RecipeParent {
  std::string role;        // "primary", "secondary", "tertiary", "model_a".."model_c", "base",
                           // "ancestor", "merged_from", "model"
  std::string name;        // name or path as stated (untrusted text)
  std::string sha256;      // 64 lower-case hex, only when the stated value is well-formed
  std::string short_hash;  // a shorter hash as stated (AutoV1 "legacy_hash", 8-12 hex), lower case
  // The parent's coefficient in the result when the method is linear and the weights are
  // stated: weighted sum (1-a)A + aB gives A 1-a, B a; add difference A + a(B-C) gives
  // A 1, B a, C -a. nullopt otherwise.
  std::optional<double> weight;
  // Per-block coefficients (26 entries, BASE..OUT11) for block-weighted merges; else empty.
  std::vector<double> block_weights;
};

struct Recipe {
  RecipeSource source = RecipeSource::k_a1111;
  // The model this recipe made: empty for the file itself; the SHA-256 of an ancestor for a
  // recipe nested in sd_merge_models (how that ancestor was merged).
  std::string subject_sha256;
  std::string method;  // as stated: "Weighted sum", "Add difference", "weighted_sum", ...
  std::vector<RecipeParent> parents;
  // Other stated fields, rendered as text (e.g. "calcmode", "multiplier", "architecture").
  std::map<std::string, std::string> details;
};

// A metadata value that could not be decoded (bad JSON, wrong type, too large,
// too deep). Reported beside the recipes; never fatal.
struct RecipeProblem {
  std::string key;      // the metadata key at fault
  std::string message;  // what is wrong, e.g. "not valid JSON at byte 17"
};

struct RecipeReport {
  std::vector<Recipe> recipes;
  std::vector<RecipeProblem> problems;
};

// Limits on hostile metadata: a larger value or deeper JSON is reported as a problem.
inline constexpr std::size_t k_max_recipe_value_bytes = 16u << 20;
inline constexpr int k_max_recipe_json_depth = 64;
inline constexpr std::size_t k_max_recipe_parents = 10000;

// Decodes every recipe found in `metadata` (a safetensors __metadata__ map).
// Never fails: malformed values become problems. Recipes come out in a fixed
// order: sd_merge_recipe, sd_merge_models, mecha_recipe, modelspec, kohya.
RecipeReport decode_recipes(const std::map<std::string, std::string>& metadata);

}  // namespace pedigree::formats
