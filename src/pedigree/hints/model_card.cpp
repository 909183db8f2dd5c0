// The YAML front matter of a Hugging Face model card (huggingface.co/docs/
// hub/model-cards, "Specifying a base model"): README.md opens with a line
// `---`, YAML, and a line `---`. Only the block-style subset model cards use
// is read (docs/formats/hf-model-card.md): top-level `key: scalar`, `key:
// [a, b]`, `key:` followed by indented `- item` lines; other keys and their
// indented blocks are skipped unread. Anything outside that subset at the top
// level is an error naming the line, never guessed at.
#include <optional>
#include <vector>

#include "pedigree/hints/hints.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hints {
namespace {

// What a line of YAML front matter may carry around a value.
constexpr std::string_view k_yaml_blanks = " \t\r";

struct Line {
  std::size_t number;
  std::string text;
};

// One scalar: 'single' (with '' for a quote), "double" (with \" and \\), or
// plain up to a ` #` comment. nullopt for an unterminated quote.
std::optional<std::string> scalar(const std::string& raw) {
  std::string s(trim(raw, k_yaml_blanks));
  if (s.empty()) return s;
  if (s[0] == '\'' || s[0] == '"') {
    const char q = s[0];
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (s[i] == q) {
        if (q == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        std::string rest(trim(std::string_view(s).substr(i + 1), k_yaml_blanks));
        if (!rest.empty() && rest[0] != '#') return std::nullopt;  // text after the quote
        return out;
      }
      if (q == '"' && s[i] == '\\' && i + 1 < s.size()) {
        out += s[++i];
        continue;
      }
      out += s[i];
    }
    return std::nullopt;
  }
  if (auto hash = s.find(" #"); hash != std::string::npos)
    s = std::string(trim(std::string_view(s).substr(0, hash), k_yaml_blanks));
  return s;
}

// `[a, "b", c]`: scalars separated by commas (no nesting).
std::optional<std::vector<std::string>> flow_list(const std::string& s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return std::nullopt;
  std::vector<std::string> out;
  std::string inner = s.substr(1, s.size() - 2), item;
  char quote = 0;
  for (char c : inner) {
    if (quote) {
      if (c == quote) quote = 0;
      item += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      item += c;
    } else if (c == ',') {
      auto v = scalar(item);
      if (!v) return std::nullopt;
      if (!v->empty()) out.push_back(*v);
      item.clear();
    } else if (c == '[' || c == ']' || c == '{' || c == '}') {
      return std::nullopt;
    } else {
      item += c;
    }
  }
  if (quote) return std::nullopt;
  auto v = scalar(item);
  if (!v) return std::nullopt;
  if (!v->empty()) out.push_back(*v);
  return out;
}

std::vector<Line> front_matter_lines(std::string_view text, bool& closed) {
  std::vector<Line> lines;
  std::size_t pos = 0, number = 0;
  closed = false;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++number;
    pos = end + 1;
    if (number == 1) continue;  // the opening ---
    if (line == "---" || line == "...") {
      closed = true;
      break;
    }
    lines.push_back({number, line});
    if (end == text.size()) break;
  }
  return lines;
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 200) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

Result<Hint> parse_hf_model_card(std::string_view text, const std::string& document) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (!(text.starts_with("---\n") || text.starts_with("---\r\n")))
    return corruption(document + ": no YAML front matter (the card must open with a line ---)");
  bool closed = false;
  auto lines = front_matter_lines(text, closed);
  if (!closed) return corruption(document + ": the YAML front matter has no closing --- line");
  Hint h;
  h.site = "huggingface";
  h.document = document;
  std::string list_key;  // the key whose `- item` lines follow
  bool have_base = false;
  for (const auto& [number, raw] : lines) {
    const std::string where = document + ": line " + std::to_string(number);
    const std::string t(trim(raw, k_yaml_blanks));
    if (t.empty() || t[0] == '#') continue;
    // A block list's items may sit at the key's own indentation (`tags:` then `- x`).
    const bool item_at_key_level = !list_key.empty() && (t.starts_with("- ") || t == "-");
    if (raw[0] == ' ' || raw[0] == '\t' || item_at_key_level) {
      if (raw.find_first_not_of(' ') != std::string::npos &&
          raw[raw.find_first_not_of(' ')] == '\t')
        return corruption(where + ": a tab in indentation (YAML allows spaces only)");
      if (list_key == "base_model") {
        if (!t.starts_with("- ") && t != "-")
          return corruption(where + ": base_model: expected a list item `- owner/name`");
        auto v = scalar(t.substr(1));
        if (!v || !valid_name(*v)) return corruption(where + ": base_model: not a model id");
        h.base_models.push_back(*v);
      }
      continue;  // the indented block of a key pedigree does not read
    }
    if (t.starts_with("- ")) return corruption(where + ": a list item outside any key");
    const auto colon = t.find(':');
    if (colon == std::string::npos || colon == 0)
      return corruption(where + ": expected `key: value`");
    const std::string key(trim(std::string_view(t).substr(0, colon), k_yaml_blanks));
    const std::string value(trim(std::string_view(t).substr(colon + 1), k_yaml_blanks));
    list_key = value.empty() ? key : "";
    if (key == "base_model") {
      if (have_base) return corruption(where + ": base_model given twice");
      have_base = true;
      if (value.empty()) continue;  // a block list follows
      if (value[0] == '[') {
        auto list = flow_list(value);
        if (!list) return corruption(where + ": base_model: malformed [list]");
        for (const auto& v : *list)
          if (!valid_name(v)) return corruption(where + ": base_model: not a model id");
        h.base_models = *list;
      } else {
        auto v = scalar(value);
        if (!v || !valid_name(*v)) return corruption(where + ": base_model: not a model id");
        h.base_models.push_back(*v);
      }
    } else if (key == "base_model_relation") {
      auto v = scalar(value);
      if (!v || (*v != "adapter" && *v != "merge" && *v != "finetune" && *v != "quantized"))
        return corruption(where +
                          ": base_model_relation must be adapter, merge, finetune or quantized");
      h.relation = *v;
    } else if (key == "license") {
      auto v = scalar(value);
      if (!v) return corruption(where + ": license: unterminated quote");
      h.licence = v->substr(0, 200);
    } else if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      if (!scalar(value)) return corruption(where + ": unterminated quote");
    }
  }
  if (have_base && h.base_models.empty()) return corruption(document + ": base_model is empty");
  if (!h.relation.empty() && h.base_models.empty())
    return corruption(document + ": base_model_relation without base_model");
  return h;
}

}  // namespace pedigree::hints
