// Civitai's model-version JSON (GET /api/v1/model-versions/{id}), as
// documented at developer.civitai.com/site/reference/model-versions:
// id, modelId, name, baseModel, model {name, type}, files [{name, hashes
// {AutoV1, AutoV2, AutoV3, SHA256, CRC32, BLAKE3}}]. docs/formats/civitai.md.
#include <array>

#include "pedigree/hints/hints.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/json_depth.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hints {
namespace {

struct HashField {
  const char* civitai;  // the key in files[].hashes
  const char* kind;     // pedigree's name for it
  std::size_t min_len, max_len;
};

// Civitai shows AutoV3 by its first 12 hex; other kinds have one length.
constexpr std::array<HashField, 6> k_hash_fields = {{
    {"SHA256", "sha256", 64, 64},
    {"AutoV1", "autov1", 8, 8},
    {"AutoV2", "autov2", 10, 10},
    {"AutoV3", "autov3", 12, 64},
    {"CRC32", "crc32_civitai", 8, 8},
    {"BLAKE3", "blake3", 64, 64},
}};

bool all_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return !s.empty();
}

// An id Civitai gives as a JSON integer (a string of digits is accepted too).
Result<std::string> id_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return corruption(where + ": no \"" + key + "\"");
  if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos)
      return s;
  }
  return corruption(where + ": \"" + key + "\" is not a positive integer id");
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, 512) : "";
}

Result<HintFile> parse_file(const nlohmann::json& f, const std::string& where) {
  if (!f.is_object()) return corruption(where + ": not an object");
  HintFile out;
  out.name = string_field(f, "name");
  auto hashes = f.find("hashes");
  if (hashes == f.end() || hashes->is_null()) return out;
  if (!hashes->is_object()) return corruption(where + ".hashes: not an object");
  for (const auto& field : k_hash_fields) {
    auto it = hashes->find(field.civitai);
    if (it == hashes->end() || it->is_null()) continue;
    if (!it->is_string()) return corruption(where + ".hashes." + field.civitai + ": not a string");
    std::string value = it->get<std::string>();
    if (!all_hex(value) || value.size() < field.min_len || value.size() > field.max_len)
      return corruption(where + ".hashes." + field.civitai + ": \"" + value.substr(0, 80) +
                        "\" is not a hash of that kind");
    out.hashes[field.kind] = to_lower_ascii(value);
  }
  return out;
}

}  // namespace

Result<Hint> parse_civitai_version(std::string_view text, const std::string& document) {
  if (!json_nesting_within(text, 64)) return corruption(document + ": JSON nested too deeply");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return corruption(document + ": not JSON");
  if (!j.is_object()) return corruption(document + ": not a JSON object (a model version)");
  Hint h;
  h.site = "civitai";
  h.document = document;
  PD_ASSIGN_OR_RETURN(h.civitai_version, id_field(j, "id", document));
  PD_ASSIGN_OR_RETURN(h.civitai_model, id_field(j, "modelId", document));
  auto base = j.find("baseModel");
  if (base != j.end() && !base->is_null()) {
    if (!base->is_string()) return corruption(document + ": \"baseModel\" is not a string");
    if (!base->get<std::string>().empty()) h.base_models.push_back(base->get<std::string>());
  }
  std::string model_name;
  if (auto m = j.find("model"); m != j.end() && m->is_object()) {
    model_name = string_field(*m, "name");
    h.model_type = string_field(*m, "type");
  }
  h.title =
      model_name.empty() ? string_field(j, "name") : model_name + " " + string_field(j, "name");
  auto files = j.find("files");
  if (files == j.end() || !files->is_array())
    return corruption(document + ": \"files\" is missing or not an array");
  for (std::size_t i = 0; i < files->size(); ++i) {
    PD_ASSIGN_OR_RETURN(auto f,
                        parse_file((*files)[i], document + ": files[" + std::to_string(i) + "]"));
    h.files.push_back(std::move(f));
  }
  return h;
}

}  // namespace pedigree::hints
