// The text inside an image's metadata: A1111/Forge "parameters", ComfyUI
// graphs and EXIF UserComment charsets.
#include <nlohmann/json.hpp>

#include "pedigree/pictures/image_metadata.hpp"

#include "pedigree/util/json_depth.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::pictures {
namespace {

// A line of parameters keeps its LF split off already; CR and tabs are noise.
constexpr std::string_view k_line_blanks = " \t\r";

// The line holding the settings: the last one starting with "Steps: ", or the last line.
std::string_view settings_line(std::string_view text) {
  std::string_view last;
  std::string_view steps;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(start, end - start), k_line_blanks);
    if (!line.empty()) last = line;
    if (line.starts_with("Steps: ")) steps = line;
    start = end + 1;
  }
  return steps.empty() ? last : steps;
}

// Appends the UTF-8 encoding of `cp` (U+FFFD for invalid code points).
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::string utf16_to_utf8(ByteView bytes, bool big_endian) {
  std::string out;
  auto unit = [&](std::size_t i) -> std::uint32_t {
    return big_endian ? (std::uint32_t{bytes[i]} << 8) | bytes[i + 1]
                      : (std::uint32_t{bytes[i + 1]} << 8) | bytes[i];
  };
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    std::uint32_t u = unit(i);
    if (u >= 0xd800 && u <= 0xdbff && i + 3 < bytes.size()) {
      std::uint32_t low = unit(i + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00));
        i += 2;
        continue;
      }
    }
    if (u == 0 && i + 2 >= bytes.size()) break;  // trailing NUL terminator
    append_utf8(out, u);
  }
  return out;
}

// The end (one past) of the JSON object or array opening at `open`, skipping
// strings; the end of `line` when it is unbalanced.
std::size_t matching_bracket(std::string_view line, std::size_t open) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return line.size();
}

// The model files a ComfyUI node class loads: {input name, role}. A class
// may load several (e.g. a checkpoint and a LoRA in one node pack).
struct LoaderInput {
  std::string_view input;
  std::string_view role;
};
std::vector<LoaderInput> loader_inputs(std::string_view class_type) {
  if (class_type.find("CheckpointLoader") != std::string_view::npos)
    return {{"ckpt_name", k_role_checkpoint}};
  if (class_type == "UNETLoader") return {{"unet_name", k_role_checkpoint}};
  if (class_type.find("LoraLoader") != std::string_view::npos ||
      class_type.find("LoRALoader") != std::string_view::npos)
    return {{"lora_name", k_role_lora}};
  if (class_type == "VAELoader") return {{"vae_name", k_role_vae}};
  if (class_type == "HypernetworkLoader") return {{"hypernetwork_name", k_role_hypernetwork}};
  return {};
}

// "embedding:NAME" in a prompt text (ComfyUI's embedding syntax; NAME ends at
// a space, comma, parenthesis or colon-weight).
void embeddings_in(std::string_view text, const std::string& origin,
                   std::vector<ImageModelReference>& out) {
  for (std::size_t at = text.find("embedding:"); at != std::string_view::npos;
       at = text.find("embedding:", at + 10)) {
    std::size_t start = at + 10, end = start;
    while (end < text.size() && std::string_view(" ,()[]{}:\n\t").find(text[end]) == text.npos)
      ++end;
    if (end == start) continue;
    out.push_back({"", std::string(text.substr(start, end - start)), origin,
                   std::string(k_role_embedding), ""});
  }
}

}  // namespace

A1111Parameters parse_a1111_parameters(std::string_view text) {
  A1111Parameters out;
  std::string_view line = settings_line(text);
  if (line.data() >= text.data() && line.data() <= text.data() + text.size())
    out.prompt = std::string(text.substr(0, static_cast<std::size_t>(line.data() - text.data())));
  std::size_t pos = 0;
  while (pos < line.size()) {
    std::size_t colon = line.find(':', pos);
    if (colon == std::string_view::npos) break;
    std::string_view key = trim(line.substr(pos, colon - pos), k_line_blanks);
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    std::string value;
    std::size_t next = v;
    if (v < line.size() && line[v] == '"') {  // quoted value (a JSON string), backslash escapes
      for (next = v + 1; next < line.size() && line[next] != '"'; ++next) {
        if (line[next] == '\\' && next + 1 < line.size()) ++next;
        value.push_back(line[next]);
      }
      next = line.find(',', next);
    } else if (v < line.size() && (line[v] == '{' || line[v] == '[')) {
      std::size_t end = matching_bracket(line, v);
      value = std::string(line.substr(v, end - v));
      next = line.find(',', end);
    } else {
      next = line.find(',', v);
      value = std::string(trim(
          line.substr(v, next == std::string_view::npos ? line.npos : next - v), k_line_blanks));
    }
    if (key == "Model hash")
      out.model_hash = value;
    else if (key == "Model")
      out.model_name = value;
    else if (key == "VAE hash")
      out.vae_hash = value;
    else if (key == "VAE")
      out.vae_name = value;
    out.fields.emplace_back(std::string(key), std::move(value));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

Result<std::vector<ImageModelReference>> comfyui_checkpoints(std::string_view json_text,
                                                             std::string_view what) {
  if (!json_nesting_within(json_text, k_max_json_depth))
    return corruption(std::string(what) + ": JSON nested deeper than " +
                      std::to_string(k_max_json_depth));
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return corruption(std::string(what) + ": not a JSON object");
  std::vector<ImageModelReference> out;
  if (doc.contains("nodes") && doc["nodes"].is_array()) {  // UI workflow
    for (const auto& node : doc["nodes"]) {
      if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) continue;
      std::string type = node["type"].get<std::string>();
      auto inputs = loader_inputs(type);
      auto it = node.find("widgets_values");
      if (it == node.end() || !it->is_array() || it->empty()) continue;
      std::string id = node.contains("id") ? node["id"].dump() : "?";
      const std::string origin = std::string(what) + " node " + id + " " + type;
      if (!inputs.empty() && (*it)[0].is_string())
        out.push_back({"", (*it)[0].get<std::string>(), origin, std::string(inputs[0].role), ""});
      if (type.find("TextEncode") != std::string::npos)
        for (const auto& w : *it)
          if (w.is_string()) embeddings_in(w.get<std::string>(), origin, out);
    }
    return out;
  }
  for (const auto& [id, node] : doc.items()) {  // API prompt: {id: {class_type, inputs}}
    if (!node.is_object()) continue;
    auto type_it = node.find("class_type");
    auto inputs = node.find("inputs");
    if (type_it == node.end() || !type_it->is_string() || inputs == node.end() ||
        !inputs->is_object())
      continue;
    std::string type = type_it->get<std::string>();
    const std::string origin = std::string(what) + " node " + id + " " + type;
    for (const auto& loader : loader_inputs(type)) {
      auto name = inputs->find(std::string(loader.input));
      if (name == inputs->end() || !name->is_string()) continue;
      out.push_back({"", name->get<std::string>(), origin, std::string(loader.role), ""});
    }
    if (type.find("TextEncode") != std::string::npos)
      for (const auto& [key, value] : inputs->items())
        if (value.is_string()) embeddings_in(value.get<std::string>(), origin, out);
  }
  return out;
}

std::string decode_user_comment(ByteView value) {
  auto starts = [&](std::string_view prefix) {
    return value.size() >= prefix.size() &&
           as_string_view(value.subspan(0, prefix.size())) == prefix;
  };
  if (starts(std::string_view("UNICODE\0", 8))) {
    ByteView text = value.subspan(8);
    if (text.size() >= 2 && text[0] == 0xfe && text[1] == 0xff)
      return utf16_to_utf8(text.subspan(2), true);
    if (text.size() >= 2 && text[0] == 0xff && text[1] == 0xfe)
      return utf16_to_utf8(text.subspan(2), false);
    // No BOM: ASCII-heavy text has its zero bytes at even offsets in big-endian.
    std::size_t even_zero = 0, odd_zero = 0;
    for (std::size_t i = 0; i < text.size(); ++i)
      (i % 2 == 0 ? even_zero : odd_zero) += text[i] == 0;
    return utf16_to_utf8(text, even_zero >= odd_zero);
  }
  ByteView text = value.size() >= 8 ? value.subspan(8) : ByteView{};
  if (!starts(std::string_view("ASCII\0\0\0", 8)) &&
      !starts(std::string_view("\0\0\0\0\0\0\0\0", 8)))
    text = value;  // unknown charset header: keep every byte
  std::string out(as_string_view(text));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

}  // namespace pedigree::pictures
