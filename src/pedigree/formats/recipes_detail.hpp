// Internal to formats/recipes: helpers shared by the recipe decoders.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/formats/recipes.hpp"

namespace pedigree::formats::detail {

// Parses untrusted JSON text: size and depth limited, never throws. On failure
// returns nullopt and appends a problem naming `key`.
std::optional<nlohmann::json> parse_recipe_json(std::string_view key, std::string_view text,
                                                std::vector<RecipeProblem>& problems);

// A number stated as a JSON number or as a decimal string; nullopt otherwise (or non-finite).
std::optional<double> recipe_number(const nlohmann::json& value);

// Shortest round-trip decimal text of `value`.
std::string format_number(double value);

// Sets parent.sha256 or parent.short_hash from a stated hash (either case, optional "0x").
// Returns false when the text is not a hash of a known length.
bool assign_hash(RecipeParent& parent, std::string_view stated);

// Decodes sd-mecha's mecha_recipe text ("version 0.1.0" then one instruction per line).
std::optional<Recipe> decode_mecha(std::string_view text, std::vector<RecipeProblem>& problems);

}  // namespace pedigree::formats::detail
