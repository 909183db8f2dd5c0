// Every resource a picture's A1111/Forge, Civitai or SwarmUI parameters name
// (docs/formats/pictures.md). Values are text from others: JSON is parsed
// only after its nesting is bounded, and nothing here fails.
#include <nlohmann/json.hpp>

#include "pedigree/pictures/image_metadata.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/json_depth.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::pictures {
namespace {

// Resource lists are comma lists on one line: only spaces and tabs surround an item.
constexpr std::string_view k_item_blanks = " \t";

using nlohmann::json;

// A resource name compared without case, folders or extension.
std::string name_key(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name = name.substr(slash + 1);
  for (std::string_view ext : {".safetensors", ".ckpt", ".pt", ".pth", ".bin"})
    if (name.size() > ext.size() && to_lower_ascii(name.substr(name.size() - ext.size())) == ext)
      name = name.substr(0, name.size() - ext.size());
  return to_lower_ascii(name);
}

// Adds `ref` unless the same resource is already listed: the same role and
// name (filling in a hash it lacked), or the same role and hash.
void add(std::vector<ImageModelReference>& out, ImageModelReference ref) {
  if (ref.name.empty() && ref.hash.empty() && ref.air.empty()) return;
  for (auto& have : out) {
    if (have.role != ref.role) continue;
    const bool same_name = !ref.name.empty() && name_key(have.name) == name_key(ref.name);
    const bool same_hash =
        !ref.hash.empty() && to_lower_ascii(have.hash) == to_lower_ascii(ref.hash);
    if (!same_name && !same_hash) continue;
    if (have.hash.empty()) have.hash = ref.hash;
    if (have.name.empty()) have.name = ref.name;
    if (have.air.empty()) have.air = ref.air;
    if (have.origin.find(ref.origin) == std::string::npos) have.origin += ", " + ref.origin;
    return;
  }
  out.push_back(std::move(ref));
}

std::optional<json> parse_json(std::string_view text) {
  if (!json_nesting_within(text, k_max_json_depth)) return std::nullopt;
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

std::string string_of(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_number_unsigned()) return it->dump();
  return "";
}

// The role a `Hashes` key or a Civitai resource type names.
std::string role_of(std::string_view type) {
  const std::string t = to_lower_ascii(type);
  if (t == "model" || t == "checkpoint") return std::string(k_role_checkpoint);
  if (t == "vae") return std::string(k_role_vae);
  if (t == "lora" || t == "lyco" || t == "lycoris" || t == "locon" || t == "dora")
    return std::string(k_role_lora);
  if (t == "embed" || t == "embedding" || t == "textualinversion" || t == "ti")
    return std::string(k_role_embedding);
  if (t == "hypernet" || t == "hypernetwork") return std::string(k_role_hypernetwork);
  return "";
}

// `Hashes: {"model": "...", "vae": "...", "lora:NAME": "...", "embed:NAME": "..."}` (A1111 >= 1.6).
void hashes_field(const std::string& value, std::vector<ImageModelReference>& out,
                  std::vector<std::string>& warnings) {
  auto doc = parse_json(value);
  if (!doc || !doc->is_object()) {
    warnings.push_back("parameters: Hashes is not a JSON object; ignored");
    return;
  }
  for (const auto& [key, hash] : doc->items()) {
    if (!hash.is_string()) continue;
    const std::size_t colon = key.find(':');
    const std::string role = role_of(key.substr(0, colon));
    if (role.empty()) continue;
    const std::string name = colon == std::string::npos ? "" : key.substr(colon + 1);
    add(out, {hash.get<std::string>(), name, "parameters (Hashes " + key + ")", role, ""});
  }
}

// `Lora hashes: "NAME: HASH, NAME: HASH"` and `TI hashes: "NAME: HASH, ..."`.
void name_hash_list(const std::string& value, const std::string& role, const std::string& label,
                    std::vector<ImageModelReference>& out) {
  std::string_view rest = value;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma), k_item_blanks);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    add(out, {std::string(trim(item.substr(colon + 1), k_item_blanks)),
              std::string(trim(item.substr(0, colon), k_item_blanks)), "parameters (" + label + ")",
              role, ""});
  }
}

// `Civitai resources: [{"type": "checkpoint", "modelVersionId": 130072,
// "modelName": "...", "modelVersionName": "...", "hash": "...", "air": "..."}]`.
void civitai_resources(const std::string& value, std::vector<ImageModelReference>& out,
                       std::vector<std::string>& warnings) {
  auto doc = parse_json(value);
  if (!doc || !doc->is_array()) {
    warnings.push_back("parameters: Civitai resources is not a JSON list; ignored");
    return;
  }
  for (const auto& r : *doc) {
    if (!r.is_object()) continue;
    std::string role = role_of(string_of(r, "type"));
    if (role.empty()) role = std::string(k_role_checkpoint);
    std::string air = string_of(r, "air");
    const std::string version = string_of(r, "modelVersionId");
    const std::string model = string_of(r, "modelId");
    if (air.empty() && !version.empty())
      air = "urn:air:*:" + role + ":civitai:" + (model.empty() ? std::string("*") : model) + "@" +
            version;
    std::string name = string_of(r, "modelName");
    const std::string version_name = string_of(r, "modelVersionName");
    if (!version_name.empty()) name += (name.empty() ? "" : " ") + version_name;
    add(out, {string_of(r, "hash"), name, "parameters (Civitai resources)", role, air});
  }
}

// "<lora:NAME:W>", "<lyco:NAME:W>", "<hypernet:NAME:W>" in the prompt (names only).
void prompt_tags(std::string_view prompt, std::vector<ImageModelReference>& out) {
  for (std::size_t at = prompt.find('<'); at != std::string_view::npos;
       at = prompt.find('<', at + 1)) {
    const std::size_t end = prompt.find('>', at);
    if (end == std::string_view::npos) return;
    std::string_view tag = prompt.substr(at + 1, end - at - 1);
    const std::size_t colon = tag.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string role = role_of(tag.substr(0, colon));
    if (role != k_role_lora && role != k_role_hypernetwork) continue;
    std::string_view name = tag.substr(colon + 1);
    name = name.substr(0, name.find(':'));
    if (!name.empty())
      add(out, {"", std::string(name),
                "parameters (prompt <" + std::string(tag.substr(0, colon)) + ":...>)", role, ""});
  }
}

}  // namespace

std::vector<ImageModelReference> a1111_resources(const A1111Parameters& params,
                                                 std::vector<std::string>& warnings) {
  std::vector<ImageModelReference> out;
  if (!params.model_hash.empty() || !params.model_name.empty())
    add(out, {params.model_hash, params.model_name, "parameters (Model hash, Model)",
              std::string(k_role_checkpoint), ""});
  if (!params.vae_hash.empty() || !params.vae_name.empty())
    add(out, {params.vae_hash, params.vae_name, "parameters (VAE hash, VAE)",
              std::string(k_role_vae), ""});
  for (const auto& [key, value] : params.fields) {
    if (key == "Hashes")
      hashes_field(value, out, warnings);
    else if (key == "Lora hashes")
      name_hash_list(value, std::string(k_role_lora), key, out);
    else if (key == "TI hashes")
      name_hash_list(value, std::string(k_role_embedding), key, out);
    else if (key == "Civitai resources")
      civitai_resources(value, out, warnings);
  }
  prompt_tags(params.prompt, out);
  return out;
}

std::optional<std::vector<ImageModelReference>> swarmui_resources(std::string_view text) {
  std::string_view t = trim(text, k_item_blanks);
  if (!t.starts_with('{') || t.find("sui_image_params") == std::string_view::npos)
    return std::nullopt;
  auto doc = parse_json(t);
  if (!doc || !doc->is_object() || !doc->contains("sui_image_params")) return std::nullopt;
  std::vector<ImageModelReference> out;
  auto models = doc->find("sui_models");
  if (models != doc->end() && models->is_array())
    for (const auto& m : *models) {
      if (!m.is_object()) continue;
      const std::string param = string_of(m, "param");
      std::string role = role_of(param == "loras" ? "lora" : param);
      if (param == "model" || param == "refinermodel") role = std::string(k_role_checkpoint);
      if (role.empty()) continue;
      add(out, {string_of(m, "hash"), string_of(m, "name"), "SwarmUI sui_models (" + param + ")",
                role, ""});
    }
  const json& params = (*doc)["sui_image_params"];
  if (params.is_object()) {
    add(out, {"", string_of(params, "model"), "SwarmUI sui_image_params (model)",
              std::string(k_role_checkpoint), ""});
    add(out, {"", string_of(params, "vae"), "SwarmUI sui_image_params (vae)",
              std::string(k_role_vae), ""});
    if (auto loras = params.find("loras"); loras != params.end() && loras->is_array())
      for (const auto& l : *loras)
        if (l.is_string())
          add(out, {"", l.get<std::string>(), "SwarmUI sui_image_params (loras)",
                    std::string(k_role_lora), ""});
  }
  return out;
}

}  // namespace pedigree::pictures
