// The JSON form of an InspectReport (docs/json/inspect.md, schema pedigree.inspect/1).
#include "pedigree/formats/inspect.hpp"

#include <cmath>

namespace pedigree::formats {
namespace {

using nlohmann::json;

json parent_json(const RecipeParent& p) {
  json out = {{"role", p.role}};
  out["name"] = p.name.empty() ? json(nullptr) : json(p.name);
  out["sha256"] = p.sha256.empty() ? json(nullptr) : json(p.sha256);
  out["short_hash"] = p.short_hash.empty() ? json(nullptr) : json(p.short_hash);
  out["weight"] = p.weight ? json(*p.weight) : json(nullptr);
  out["block_weights"] = p.block_weights.empty() ? json(nullptr) : json(p.block_weights);
  return out;
}

json recipes_json(const RecipeReport& report) {
  json recipes = json::array();
  for (const auto& r : report.recipes) {
    json parents = json::array();
    for (const auto& p : r.parents) parents.push_back(parent_json(p));
    recipes.push_back(
        {{"source", recipe_source_name(r.source)},
         {"claim", true},
         {"subject_sha256", r.subject_sha256.empty() ? json(nullptr) : json(r.subject_sha256)},
         {"method", r.method.empty() ? json(nullptr) : json(r.method)},
         {"parents", parents},
         {"details", r.details}});
  }
  return recipes;
}

json position_ids_json(const PositionIds& p) {
  json out = {{"state", position_ids_state_name(p.state)}};
  if (p.state == PositionIdsState::k_missing) return out;
  out["name"] = p.name;
  out["dtype"] = p.dtype;
  out["count"] = p.count;
  out["wrong"] = p.wrong;
  out["max_deviation"] = std::isfinite(p.max_deviation) ? json(p.max_deviation) : json(nullptr);
  out["first_wrong_index"] = p.first_wrong_index ? json(*p.first_wrong_index) : json(nullptr);
  out["first_wrong_value"] = p.first_wrong_value && std::isfinite(*p.first_wrong_value)
                                 ? json(*p.first_wrong_value)
                                 : json(nullptr);
  return out;
}

}  // namespace

json inspect_to_json(const InspectReport& r) {
  json sources = json::array();
  for (std::size_t i = 0; i < r.sources.size(); ++i) {
    sources.push_back({{"path", r.sources[i].string()},
                       {"size", i < r.source_sizes.size() ? r.source_sizes[i] : 0}});
  }
  json components = json::object();
  for (int c = 0; c < k_component_count; ++c) {
    const ComponentStats& s = r.components[static_cast<std::size_t>(c)];
    components[std::string(component_name(static_cast<Component>(c)))] = {
        {"tensors", s.tensors},
        {"parameters", s.parameters},
        {"bytes", s.bytes},
        {"dtypes", s.dtypes}};
  }
  json problems = json::array();
  for (const auto& p : r.recipes.problems)
    problems.push_back({{"key", p.key}, {"message", p.message}});
  json pickle = nullptr;
  if (r.is_torch) {
    json globals = json::array();
    bool all_allowed = true;
    for (const auto& g : r.globals) {
      globals.push_back({{"module", g.module}, {"name", g.name}, {"allowed", g.allowed}});
      all_allowed &= g.allowed;
    }
    pickle = {{"globals", globals}, {"all_allowed", all_allowed}};
  }
  return {
      {"schema", "pedigree.inspect/1"},
      {"path", r.path.string()},
      {"format", format_name(r.format)},
      {"size", r.size},
      {"sources", sources},
      {"architecture", architecture_name(r.architecture)},
      {"tensors", r.tensors},
      {"parameters", r.parameters},
      {"components", components},
      {"dtypes", r.dtypes},
      {"ema", {{"present", r.ema_tensors > 0}, {"tensors", r.ema_tensors}}},
      {"clip",
       {{"old_nai_prefix", r.old_clip_prefix},
        {"position_ids", position_ids_json(r.position_ids)}}},
      {"metadata", r.metadata},
      {"recipes", recipes_json(r.recipes)},
      {"recipe_problems", problems},
      {"pickle", pickle},
      {"scalars", r.scalars},
      {"warnings", r.warnings},
  };
}

}  // namespace pedigree::formats
