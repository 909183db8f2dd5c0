#include "pedigree/hash/model_hashes.hpp"

#include <array>
#include <utility>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hash {
namespace {

constexpr std::array<std::pair<std::string_view, unsigned>, 10> k_key_sets = {{
    {"sha256", k_set_sha256},
    {"autov2", k_set_sha256},
    {"sha256_12", k_set_sha256},
    {"autov1", k_set_autov1},
    {"autov3", k_set_autov3},
    {"crc32", k_set_crc32},
    {"crc32_civitai", k_set_crc32},
    {"blake3", k_set_blake3},
    {"weights", k_set_weights},
    {"components", k_set_weights},
}};

nlohmann::json optional_json(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

bool read_optional(const nlohmann::json& j, const char* key, std::optional<std::string>& out) {
  if (!j.contains(key)) return false;
  const auto& v = j.at(key);
  if (v.is_null()) return true;
  if (!v.is_string()) return false;
  out = v.get<std::string>();
  return true;
}

}  // namespace

Result<unsigned> parse_hash_sets(std::string_view list) {
  unsigned sets = 0;
  while (true) {
    const auto comma = list.find(',');
    const auto item = to_lower_ascii(trim(list.substr(0, comma), " \t"));
    bool known = false;
    for (const auto& [name, set] : k_key_sets) {
      if (item == name) {
        sets |= set;
        known = true;
      }
    }
    if (!known) {
      return invalid_argument("--only: unknown hash kind '" + item +
                              "' (expected sha256, autov1, autov2, autov3, sha256_12, crc32, "
                              "crc32_civitai, blake3, weights, components)");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return sets;
}

nlohmann::json to_json(const ModelHashes& h) {
  nlohmann::json j = nlohmann::json::object();
  j["file"] = h.file;
  j["size"] = h.size;
  j["format"] = optional_json(h.format);
  j["sha256"] = optional_json(h.sha256);
  j["autov1"] = optional_json(h.autov1);
  j["autov2"] = optional_json(h.autov2);
  j["autov3"] = optional_json(h.autov3);
  j["crc32"] = optional_json(h.crc32);
  j["crc32_civitai"] = optional_json(h.crc32_civitai);
  j["blake3"] = optional_json(h.blake3);
  j["weights"] = optional_json(h.weights);
  j["components"] = nlohmann::json::object();
  for (const auto& [name, value] : h.components) j["components"][name] = value;
  return j;
}

nlohmann::json to_cache_json(const ModelHashes& h) {
  auto j = to_json(h);
  j["computed"] = h.computed;
  if (h.weights_error) {
    j["weights_error"] = {{"code", error_code_name(h.weights_error->code())},
                          {"message", h.weights_error->message()}};
  }
  return j;
}

std::optional<ModelHashes> from_cache_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  ModelHashes h;
  if (!j.contains("file") || !j["file"].is_string()) return std::nullopt;
  if (!j.contains("size") || !j["size"].is_number_unsigned()) return std::nullopt;
  if (!j.contains("computed") || !j["computed"].is_number_unsigned()) return std::nullopt;
  h.file = j["file"].get<std::string>();
  h.size = j["size"].get<std::uint64_t>();
  h.computed = j["computed"].get<unsigned>() & k_set_all;
  const bool ok = read_optional(j, "format", h.format) && read_optional(j, "sha256", h.sha256) &&
                  read_optional(j, "autov1", h.autov1) && read_optional(j, "autov2", h.autov2) &&
                  read_optional(j, "autov3", h.autov3) && read_optional(j, "crc32", h.crc32) &&
                  read_optional(j, "crc32_civitai", h.crc32_civitai) &&
                  read_optional(j, "blake3", h.blake3) && read_optional(j, "weights", h.weights);
  if (!ok || !j.contains("components") || !j["components"].is_object()) return std::nullopt;
  for (const auto& [name, value] : j["components"].items()) {
    if (!value.is_string()) return std::nullopt;
    h.components[name] = value.get<std::string>();
  }
  if (j.contains("weights_error")) {
    const auto& e = j["weights_error"];
    if (!e.is_object() || !e.contains("message") || !e["message"].is_string()) return std::nullopt;
    ErrorCode code = ErrorCode::k_corruption;
    for (int c = 0; c <= static_cast<int>(ErrorCode::k_internal); ++c) {
      if (e.contains("code") && e["code"] == error_code_name(static_cast<ErrorCode>(c))) {
        code = static_cast<ErrorCode>(c);
      }
    }
    h.weights_error = Error(code, e["message"].get<std::string>());
  }
  return h;
}

}  // namespace pedigree::hash
