// sd-mecha's recipe text (the .mecha format, written into `mecha_recipe`):
//   version 0.1.0
//   model "path/a.safetensors" model_config="sd1-ldm" merge_space="weight"
//   model "path/b.safetensors" ...
//   merge "weighted_sum" &0 &1 alpha=0.3
// Each line after the first is an instruction; `&N` refers to instruction N
// (0-based, version line excluded), so references only point backwards and
// the last instruction is the result. Nothing here is executed: the text is
// tokenized and the few linear methods are evaluated as coefficients.
#include <map>

#include "pedigree/formats/recipes_detail.hpp"

namespace pedigree::formats::detail {
namespace {

constexpr std::size_t k_max_lines = 10000;

struct Instruction {
  std::string command;                  // model, merge, dict, literal
  std::vector<std::string> positional;  // raw tokens (quoted strings keep their quotes)
  std::map<std::string, std::string> named;
};

// Splits on spaces outside quotes; a backslash escapes the next character.
std::optional<std::vector<std::string>> tokenize(std::string_view line) {
  std::vector<std::string> tokens;
  std::string current;
  bool quoted = false, escape = false, has_token = false;
  for (char c : line) {
    if (escape) {
      escape = false;
    } else if (c == '\\') {
      escape = true;
      continue;
    } else if (c == '"') {
      quoted = !quoted;
      has_token = true;
    } else if (c == ' ' && !quoted) {
      if (has_token) tokens.push_back(std::move(current));
      current.clear();
      has_token = false;
      continue;
    }
    current += c;
    has_token = true;
  }
  if (quoted) return std::nullopt;
  if (has_token) tokens.push_back(std::move(current));
  return tokens;
}

bool is_quoted(std::string_view t) {
  return t.size() >= 2 && t.front() == '"' && t.back() == '"';
}
std::string unquote(std::string_view t) {
  return is_quoted(t) ? std::string(t.substr(1, t.size() - 2)) : std::string(t);
}

using Coefficients = std::map<std::size_t, double>;  // model instruction index -> coefficient

std::optional<std::size_t> reference(std::string_view token, std::size_t current) {
  if (!token.starts_with('&')) return std::nullopt;
  auto n = recipe_number(nlohmann::json(std::string(token.substr(1))));
  if (!n || *n < 0 || *n >= static_cast<double>(current) || *n != static_cast<std::size_t>(*n)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(*n);
}

// a*x + b*y over coefficient maps.
Coefficients combine(double a, const Coefficients& x, double b, const Coefficients& y) {
  Coefficients out;
  for (const auto& [k, v] : x) out[k] += a * v;
  for (const auto& [k, v] : y) out[k] += b * v;
  return out;
}

// Coefficients of merge instruction `i`, when its method is linear and its inputs are known.
std::optional<Coefficients> evaluate(const Instruction& ins, std::size_t i,
                                     const std::vector<std::optional<Coefficients>>& done) {
  if (ins.positional.empty()) return std::nullopt;
  const std::string method = unquote(ins.positional[0]);
  std::vector<const Coefficients*> inputs;
  std::vector<double> numbers;
  for (std::size_t k = 1; k < ins.positional.size(); ++k) {
    if (auto ref = reference(ins.positional[k], i)) {
      if (!done[*ref]) return std::nullopt;
      inputs.push_back(&*done[*ref]);
    } else if (auto n = recipe_number(nlohmann::json(ins.positional[k]))) {
      numbers.push_back(*n);
    } else {
      return std::nullopt;
    }
  }
  auto scalar = [&](const char* name, double fallback) -> std::optional<double> {
    auto it = ins.named.find(name);
    if (it == ins.named.end()) return numbers.empty() ? fallback : numbers.front();
    return recipe_number(nlohmann::json(it->second));
  };
  if (method == "weighted_sum" && inputs.size() == 2) {
    auto a = scalar("alpha", 0.5);
    if (!a) return std::nullopt;
    return combine(1 - *a, *inputs[0], *a, *inputs[1]);
  }
  if (method == "subtract" && inputs.size() == 2) return combine(1, *inputs[0], -1, *inputs[1]);
  if (method == "add_difference" && (inputs.size() == 2 || inputs.size() == 3)) {
    auto a = scalar("alpha", 1.0);
    if (!a) return std::nullopt;
    Coefficients delta = inputs.size() == 3 ? combine(1, *inputs[1], -1, *inputs[2]) : *inputs[1];
    return combine(1, *inputs[0], *a, delta);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Recipe> decode_mecha(std::string_view text, std::vector<RecipeProblem>& problems) {
  const std::string key = "mecha_recipe";
  std::vector<std::string_view> lines;
  while (!text.empty() && lines.size() <= k_max_lines) {
    const auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  if (lines.size() > k_max_lines) {
    problems.push_back({key, "more than " + std::to_string(k_max_lines) + " lines"});
    return std::nullopt;
  }
  if (lines.empty() || !lines[0].starts_with("version")) {
    problems.push_back({key, "line 1 is not 'version ...'"});
    return std::nullopt;
  }
  Recipe recipe;
  recipe.source = RecipeSource::k_sd_mecha;
  recipe.details["version"] =
      std::string(lines[0].substr(std::min<std::size_t>(8, lines[0].size())));

  std::vector<Instruction> program;
  for (std::size_t n = 1; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty() || line.starts_with('#')) continue;
    auto tokens = tokenize(line);
    if (!tokens || tokens->empty()) {
      problems.push_back({key, "line " + std::to_string(n + 1) + ": mismatched quotes"});
      return std::nullopt;
    }
    Instruction ins;
    ins.command = (*tokens)[0];
    for (std::size_t k = 1; k < tokens->size(); ++k) {
      const std::string& t = (*tokens)[k];
      const auto eq = t.find('=');
      if (eq != std::string::npos && !t.starts_with('"')) {
        ins.named[t.substr(0, eq)] = t.substr(eq + 1);
      } else {
        ins.positional.push_back(t);
      }
    }
    program.push_back(std::move(ins));
  }
  if (program.empty()) {
    problems.push_back({key, "no instructions"});
    return std::nullopt;
  }

  std::vector<std::optional<Coefficients>> coefficients(program.size());
  for (std::size_t i = 0; i < program.size(); ++i) {
    const Instruction& ins = program[i];
    if (ins.command == "model" && !ins.positional.empty()) {
      RecipeParent parent;
      parent.role = "model";
      parent.name = unquote(ins.positional[0]);
      recipe.parents.push_back(std::move(parent));
      coefficients[i] = Coefficients{{recipe.parents.size() - 1, 1.0}};
    } else if (ins.command == "merge") {
      coefficients[i] = evaluate(ins, i, coefficients);
    } else if (ins.command != "dict" && ins.command != "literal") {
      problems.push_back({key, "unknown command '" + ins.command.substr(0, 40) + "'"});
    }
  }
  const Instruction& root = program.back();
  if (root.command == "merge" && !root.positional.empty()) {
    recipe.method = unquote(root.positional[0]);
  }
  if (const auto& c = coefficients.back()) {
    for (const auto& [parent, weight] : *c) recipe.parents[parent].weight = weight;
  }
  return recipe;
}

}  // namespace pedigree::formats::detail
