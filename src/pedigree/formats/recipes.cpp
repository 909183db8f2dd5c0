// Decoding of merge recipes in safetensors metadata (docs/formats/recipes.md).
#include "pedigree/formats/recipes.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "pedigree/formats/names.hpp"
#include "pedigree/formats/recipes_detail.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::formats {
namespace detail {
namespace {

// Checks depth and syntax before the DOM parse, and records where the syntax breaks.
class LimitSax {
public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(std::int64_t) { return true; }
  bool number_unsigned(std::uint64_t) { return true; }
  bool number_float(double, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(std::vector<std::uint8_t>&) { return true; }
  bool start_object(std::size_t) { return enter(); }
  bool key(std::string&) { return true; }
  bool end_object() { return leave(); }
  bool start_array(std::size_t) { return enter(); }
  bool end_array() { return leave(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    m_error = "not valid JSON at byte " + std::to_string(position);
    return false;
  }
  const std::string& error() const { return m_error; }

private:
  bool enter() {
    if (++m_depth > k_max_recipe_json_depth) {
      m_error = "JSON nested deeper than " + std::to_string(k_max_recipe_json_depth) + " levels";
      return false;
    }
    return true;
  }
  bool leave() {
    --m_depth;
    return true;
  }
  int m_depth = 0;
  std::string m_error;
};

}  // namespace

std::optional<nlohmann::json> parse_recipe_json(std::string_view key, std::string_view text,
                                                std::vector<RecipeProblem>& problems) {
  if (text.size() > k_max_recipe_value_bytes) {
    problems.push_back({std::string(key), "value of " + std::to_string(text.size()) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(k_max_recipe_value_bytes)});
    return std::nullopt;
  }
  LimitSax sax;
  const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax,
                                            nlohmann::json::input_format_t::json, false);
  if (!ok) {
    problems.push_back({std::string(key), sax.error().empty() ? "not valid JSON" : sax.error()});
    return std::nullopt;
  }
  auto value = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) {
    problems.push_back({std::string(key), "not valid JSON"});
    return std::nullopt;
  }
  return value;
}

std::optional<double> recipe_number(const nlohmann::json& value) {
  double out = 0;
  if (value.is_number()) {
    out = value.get<double>();
  } else if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    const char* begin = s.data();
    const char* end = begin + s.size();
    while (begin < end && *begin == ' ') ++begin;
    auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || ptr != end) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(out)) return std::nullopt;
  return out;
}

std::string format_number(double value) {
  std::array<char, 64> buffer{};
  auto [ptr, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return "nan";
  return std::string(buffer.data(), ptr);
}

bool assign_hash(RecipeParent& parent, std::string_view stated) {
  if (stated.starts_with("0x") || stated.starts_with("0X")) stated.remove_prefix(2);
  if (!is_hex(stated)) return false;
  if (stated.size() == 64) {
    parent.sha256 = to_lower_ascii(stated);
    return true;
  }
  if (stated.size() >= 8 && stated.size() <= 12) {
    parent.short_hash = to_lower_ascii(stated);
    return true;
  }
  return false;
}

}  // namespace detail

namespace {

using detail::assign_hash;
using detail::format_number;
using detail::recipe_number;
using nlohmann::json;

std::string as_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Copies scalar fields of `object` not in `skip` into details (arrays/objects as compact JSON).
void copy_details(const json& object, std::initializer_list<std::string_view> skip,
                  Recipe& recipe) {
  for (const auto& [k, v] : object.items()) {
    bool skipped = false;
    for (auto s : skip) skipped |= (k == s);
    if (!skipped && !v.is_null()) recipe.details[k] = as_text(v);
  }
}

// Adds a parent named by a stated hash; records a problem for a value that is not a hash.
void add_hash_parent(Recipe& recipe, const json& object, std::string_view field, std::string role,
                     std::vector<RecipeProblem>& problems, std::string_view key) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return;
  if (it->is_string() && it->get_ref<const std::string&>().empty()) return;  // supermerger: unused
  RecipeParent parent;
  parent.role = std::move(role);
  if (!it->is_string() || !assign_hash(parent, it->get_ref<const std::string&>())) {
    problems.push_back({std::string(key), std::string(field) + " is not a SHA-256 or short hash"});
    if (!it->is_string()) return;
    parent.name = it->get<std::string>();
  }
  recipe.parents.push_back(std::move(parent));
}

// Parses supermerger's 26 block weights: a JSON array or a comma-separated string.
std::optional<std::vector<double>> block_list(const json& value) {
  std::vector<double> out;
  if (value.is_array()) {
    for (const auto& v : value) {
      auto n = recipe_number(v);
      if (!n) return std::nullopt;
      out.push_back(*n);
    }
  } else if (value.is_string()) {
    std::string_view s = value.get_ref<const std::string&>();
    while (!s.empty()) {
      const auto comma = s.find(',');
      auto n = recipe_number(json(std::string(s.substr(0, comma))));
      if (!n) return std::nullopt;
      out.push_back(*n);
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  } else {
    return std::nullopt;
  }
  if (out.size() != static_cast<std::size_t>(k_block_count)) return std::nullopt;
  return out;
}

// Coefficients of A, B, C for a method with weights a (alpha) and b (beta); empty if not linear.
std::vector<double> coefficients(std::string_view method, double a, double b) {
  if (method == "Weighted sum" || method == "Weight sum") return {1 - a, a};
  if (method == "Add difference") return {1, a, -a};
  if (method == "Triple sum") return {1 - a - b, a, b};
  if (method == "sum Twice") return {(1 - a) * (1 - b), a * (1 - b), b};
  if (method == "No interpolation") return {1};
  return {};
}

void set_weights(Recipe& recipe, const std::vector<double>& c) {
  for (std::size_t i = 0; i < recipe.parents.size() && i < c.size(); ++i) {
    recipe.parents[i].weight = c[i];
  }
}

Recipe decode_a1111(const json& r, std::vector<RecipeProblem>& problems, std::string_view key) {
  Recipe recipe;
  recipe.source = RecipeSource::k_a1111;
  if (auto m = r.find("interp_method"); m != r.end() && m->is_string()) recipe.method = *m;
  add_hash_parent(recipe, r, "primary_model_hash", "primary", problems, key);
  add_hash_parent(recipe, r, "secondary_model_hash", "secondary", problems, key);
  add_hash_parent(recipe, r, "tertiary_model_hash", "tertiary", problems, key);
  auto multiplier = r.contains("multiplier") ? recipe_number(r["multiplier"]) : std::nullopt;
  if (multiplier) set_weights(recipe, coefficients(recipe.method, *multiplier, 0));
  copy_details(r,
               {"type", "interp_method", "primary_model_hash", "secondary_model_hash",
                "tertiary_model_hash"},
               recipe);
  return recipe;
}

Recipe decode_supermerger(const json& r, std::vector<RecipeProblem>& problems,
                          std::string_view key) {
  Recipe recipe;
  recipe.source = RecipeSource::k_supermerger;
  if (auto m = r.find("mode"); m != r.end() && m->is_string()) {
    const auto& mode = m->get_ref<const std::string&>();
    recipe.method = mode.substr(0, mode.find(':'));
  }
  add_hash_parent(recipe, r, "model_a", "model_a", problems, key);
  add_hash_parent(recipe, r, "model_b", "model_b", problems, key);
  add_hash_parent(recipe, r, "model_c", "model_c", problems, key);
  const auto calcmode = r.contains("calcmode") ? as_text(r["calcmode"]) : std::string("normal");
  auto elemental = r.find("elemental_merge");
  const bool linear = calcmode == "normal" && !(elemental != r.end() && elemental->is_string() &&
                                                !elemental->get_ref<const std::string&>().empty());
  auto mbw_field = r.find("mbw");
  const bool mbw = mbw_field != r.end() && mbw_field->is_boolean() && mbw_field->get<bool>();
  if (linear && mbw) {
    auto alpha = r.contains("weights_alpha") ? block_list(r["weights_alpha"]) : std::nullopt;
    auto beta = r.contains("weights_beta") ? block_list(r["weights_beta"]) : std::nullopt;
    if (!alpha) {
      problems.push_back({std::string(key), "weights_alpha is not a list of 26 numbers"});
    } else {
      for (int blk = 0; blk < k_block_count; ++blk) {
        auto c = coefficients(recipe.method, (*alpha)[blk], beta ? (*beta)[blk] : 0.0);
        for (std::size_t i = 0; i < recipe.parents.size() && i < c.size(); ++i) {
          recipe.parents[i].block_weights.push_back(c[i]);
        }
      }
    }
  } else if (linear) {
    auto a = r.contains("base_alpha") ? recipe_number(r["base_alpha"]) : std::nullopt;
    auto b = r.contains("base_beta") ? recipe_number(r["base_beta"]) : std::nullopt;
    if (a) set_weights(recipe, coefficients(recipe.method, *a, b.value_or(0)));
  }
  copy_details(r, {"type", "mode", "model_a", "model_b", "model_c"}, recipe);
  recipe.details["calcmode"] = calcmode;
  return recipe;
}

// sd_merge_recipe: one object whose "type" says which tool wrote it.
void decode_merge_recipe(std::string_view key, const json& r, std::string subject,
                         RecipeReport& report) {
  if (!r.is_object()) {
    report.problems.push_back({std::string(key), "not a JSON object"});
    return;
  }
  const std::string type = r.contains("type") ? as_text(r["type"]) : "";
  Recipe recipe;
  if (type == "sd-webui-supermerger") {
    recipe = decode_supermerger(r, report.problems, key);
  } else {
    if (type != "webui") {
      report.problems.push_back(
          {std::string(key), "unknown recipe type '" + type + "', read as A1111 fields"});
    }
    recipe = decode_a1111(r, report.problems, key);
  }
  recipe.subject_sha256 = std::move(subject);
  report.recipes.push_back(std::move(recipe));
}

void decode_merge_models(std::string_view key, const json& models, RecipeReport& report) {
  if (!models.is_object()) {
    report.problems.push_back({std::string(key), "not a JSON object"});
    return;
  }
  Recipe recipe;
  recipe.source = RecipeSource::k_a1111_models;
  std::vector<std::pair<std::string, const json*>> nested;
  for (const auto& [hash, entry] : models.items()) {
    if (recipe.parents.size() >= k_max_recipe_parents) {
      report.problems.push_back(
          {std::string(key),
           "more than " + std::to_string(k_max_recipe_parents) + " models; the rest are ignored"});
      break;
    }
    RecipeParent parent;
    parent.role = "ancestor";
    if (!assign_hash(parent, hash)) {
      report.problems.push_back(
          {std::string(key), "key '" + hash.substr(0, 80) + "' is not a SHA-256"});
      continue;
    }
    if (entry.is_object()) {
      if (auto n = entry.find("name"); n != entry.end() && n->is_string()) parent.name = *n;
      if (auto h = entry.find("legacy_hash"); h != entry.end() && h->is_string()) {
        RecipeParent tmp;
        if (assign_hash(tmp, h->get_ref<const std::string&>())) parent.short_hash = tmp.short_hash;
      }
      if (auto r = entry.find("sd_merge_recipe"); r != entry.end() && !r->is_null()) {
        nested.emplace_back(parent.sha256, &*r);
      }
    }
    recipe.parents.push_back(std::move(parent));
  }
  report.recipes.push_back(std::move(recipe));
  // How each ancestor was itself merged (A1111 nests these as objects, or as JSON text).
  for (const auto& [subject, r] : nested) {
    const std::string where = std::string(key) + "[" + subject + "].sd_merge_recipe";
    if (r->is_string()) {
      auto parsed =
          detail::parse_recipe_json(where, r->get_ref<const std::string&>(), report.problems);
      if (parsed) decode_merge_recipe(where, *parsed, subject, report);
    } else {
      decode_merge_recipe(where, *r, subject, report);
    }
  }
}

void decode_modelspec(const std::map<std::string, std::string>& metadata, RecipeReport& report) {
  constexpr std::string_view k_prefix = "modelspec.";
  Recipe recipe;
  recipe.source = RecipeSource::k_modelspec;
  bool any = false;
  for (auto it = metadata.lower_bound(std::string(k_prefix));
       it != metadata.end() && it->first.starts_with(k_prefix); ++it) {
    any = true;
    const std::string field = it->first.substr(k_prefix.size());
    if (field == "merged_from") {
      std::string_view list = it->second;
      while (!list.empty() && recipe.parents.size() < k_max_recipe_parents) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (item.starts_with(' ')) item.remove_prefix(1);
        while (item.ends_with(' ')) item.remove_suffix(1);
        if (!item.empty()) {
          RecipeParent parent;
          parent.role = "merged_from";
          if (!assign_hash(parent, item)) parent.name = std::string(item);
          recipe.parents.push_back(std::move(parent));
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (it->second.size() <= 4096) {
      recipe.details[field] = it->second;
    } else {
      recipe.details[field] = "(" + std::to_string(it->second.size()) + " bytes, not shown)";
    }
  }
  if (any) report.recipes.push_back(std::move(recipe));
}

void decode_kohya(const std::map<std::string, std::string>& metadata, RecipeReport& report) {
  auto get = [&](const char* k) -> const std::string* {
    auto it = metadata.find(k);
    return it == metadata.end() ? nullptr : &it->second;
  };
  const std::string* full = get("ss_new_sd_model_hash");
  const std::string* legacy = get("ss_sd_model_hash");
  if (!full && !legacy) return;
  Recipe recipe;
  recipe.source = RecipeSource::k_kohya;
  recipe.method = "training";
  RecipeParent parent;
  parent.role = "base";
  if (full && !assign_hash(parent, *full)) {
    report.problems.push_back({"ss_new_sd_model_hash", "not a SHA-256"});
  }
  RecipeParent tmp;
  if (legacy && assign_hash(tmp, *legacy) && !tmp.short_hash.empty()) {
    parent.short_hash = tmp.short_hash;
  } else if (legacy) {
    report.problems.push_back({"ss_sd_model_hash", "not a legacy (AutoV1) hash"});
  }
  if (const std::string* name = get("ss_sd_model_name")) parent.name = *name;
  recipe.parents.push_back(std::move(parent));
  for (const char* k : {"ss_network_module", "ss_training_started_at", "ss_output_name",
                        "ss_base_model_version", "ss_v2"}) {
    if (const std::string* v = get(k); v && v->size() <= 4096) recipe.details[k] = *v;
  }
  report.recipes.push_back(std::move(recipe));
}

}  // namespace

std::string_view recipe_source_name(RecipeSource source) {
  switch (source) {
    case RecipeSource::k_a1111: return "a1111";
    case RecipeSource::k_a1111_models: return "a1111-models";
    case RecipeSource::k_supermerger: return "supermerger";
    case RecipeSource::k_sd_mecha: return "sd-mecha";
    case RecipeSource::k_modelspec: return "modelspec";
    case RecipeSource::k_kohya: return "kohya";
  }
  return "unknown";
}

RecipeReport decode_recipes(const std::map<std::string, std::string>& metadata) {
  RecipeReport report;
  if (auto it = metadata.find("sd_merge_recipe"); it != metadata.end()) {
    auto r = detail::parse_recipe_json(it->first, it->second, report.problems);
    if (r) decode_merge_recipe(it->first, *r, "", report);
  }
  if (auto it = metadata.find("sd_merge_models"); it != metadata.end()) {
    auto m = detail::parse_recipe_json(it->first, it->second, report.problems);
    if (m) decode_merge_models(it->first, *m, report);
  }
  if (auto it = metadata.find("mecha_recipe"); it != metadata.end()) {
    if (it->second.size() > k_max_recipe_value_bytes) {
      report.problems.push_back({it->first, "value exceeds the size limit"});
    } else if (auto r = detail::decode_mecha(it->second, report.problems)) {
      report.recipes.push_back(std::move(*r));
    }
  }
  decode_modelspec(metadata, report);
  decode_kohya(metadata, report);
  return report;
}

}  // namespace pedigree::formats
