#include "pedigree/hints/hints.hpp"

#include <algorithm>
#include <system_error>

#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hints {
namespace {

namespace fs = std::filesystem;

constexpr int k_store_format = 1;
constexpr std::uint64_t k_max_store = 64ull << 20;

// Civitai writes CRC32 with its four bytes reversed (domain.md §2).
std::string reverse_bytes(const std::string& hex8) {
  if (hex8.size() != 8) return "";
  return hex8.substr(6, 2) + hex8.substr(4, 2) + hex8.substr(2, 2) + hex8.substr(0, 2);
}

std::string value_of(const HintFile& f, const char* kind) {
  auto it = f.hashes.find(kind);
  return it == f.hashes.end() ? std::string() : it->second;
}

// Whether `hex` (a pasted hash of kind `kind`) names file `f`; the kind name that matched.
std::string file_matches(const HintFile& f, hash::HashKind kind, const std::string& hex) {
  const std::string sha = value_of(f, "sha256"), v3 = value_of(f, "autov3");
  switch (kind) {
    case hash::HashKind::k_sha256: return !sha.empty() && sha == hex ? "sha256" : "";
    case hash::HashKind::k_autov2:
      return (!sha.empty() && sha.starts_with(hex)) || value_of(f, "autov2") == hex ? "autov2" : "";
    case hash::HashKind::k_sha256_12:
      return !sha.empty() && sha.starts_with(hex) ? "sha256_12" : "";
    case hash::HashKind::k_autov1: return value_of(f, "autov1") == hex ? "autov1" : "";
    case hash::HashKind::k_autov3:
    case hash::HashKind::k_autov3_12:
      return !v3.empty() && (v3.starts_with(hex) || hex.starts_with(v3)) ? "autov3" : "";
    case hash::HashKind::k_crc32:
      return reverse_bytes(value_of(f, "crc32_civitai")) == hex && !hex.empty() ? "crc32" : "";
    case hash::HashKind::k_crc32_civitai:
      return value_of(f, "crc32_civitai") == hex ? "crc32_civitai" : "";
    case hash::HashKind::k_blake3: return value_of(f, "blake3") == hex ? "blake3" : "";
    case hash::HashKind::k_weights:
    case hash::HashKind::k_component: break;
  }
  return "";
}

}  // namespace

std::string Hint::key() const {
  if (site == "civitai") return "civitai:" + civitai_version;
  if (!hf_repo.empty()) return "huggingface:" + hf_repo;
  std::string k = "huggingface-files:";
  for (const auto& f : files) k += value_of(f, "sha256") + ",";
  return k;
}

fs::path HintStore::path_for_ledger(const fs::path& ledger_dir) {
  return ledger_dir / ".git" / "pedigree" / "hints.json";
}

nlohmann::json to_json(const Hint& h) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : h.files) files.push_back({{"name", f.name}, {"hashes", f.hashes}});
  return {{"site", h.site},
          {"unsigned", true},
          {"imported", h.imported},
          {"document", h.document},
          {"document_sha256", h.document_sha256},
          {"title", h.title},
          {"civitai_model", h.civitai_model},
          {"civitai_version", h.civitai_version},
          {"model_type", h.model_type},
          {"hf_repo", h.hf_repo},
          {"base_models", h.base_models},
          {"relation", h.relation},
          {"licence", h.licence},
          {"files", files}};
}

Result<Hint> hint_from_json(const nlohmann::json& j) {
  try {
    Hint h;
    j.at("site").get_to(h.site);
    j.at("imported").get_to(h.imported);
    j.at("document").get_to(h.document);
    j.at("document_sha256").get_to(h.document_sha256);
    j.at("title").get_to(h.title);
    j.at("civitai_model").get_to(h.civitai_model);
    j.at("civitai_version").get_to(h.civitai_version);
    j.at("model_type").get_to(h.model_type);
    j.at("hf_repo").get_to(h.hf_repo);
    j.at("base_models").get_to(h.base_models);
    j.at("relation").get_to(h.relation);
    j.at("licence").get_to(h.licence);
    for (const auto& f : j.at("files"))
      h.files.push_back({f.at("name").get<std::string>(),
                         f.at("hashes").get<std::map<std::string, std::string>>()});
    if (h.site != "civitai" && h.site != "huggingface")
      return corruption("hint: unknown site \"" + h.site + "\"");
    return h;
  } catch (const nlohmann::json::exception& e) {
    return corruption(std::string("hint: ") + e.what());
  }
}

Result<HintStore> HintStore::load(const fs::path& path) {
  HintStore store;
  store.m_path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) return store;
  PD_ASSIGN_OR_RETURN(auto text, read_file(path, k_max_store));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || json.value("format", 0) != k_store_format ||
      !json.contains("hints") || !json["hints"].is_array())
    return corruption(path.string() + ": not a pedigree hints file (format 1)");
  for (const auto& h : json["hints"]) {
    auto hint = hint_from_json(h);
    if (!hint) return corruption(path.string() + ": " + hint.error().message());
    store.m_hints.push_back(std::move(*hint));
  }
  return store;
}

bool HintStore::add(Hint hint) {
  for (auto& h : m_hints)
    if (h.key() == hint.key()) {
      h = std::move(hint);
      return true;
    }
  m_hints.push_back(std::move(hint));
  return false;
}

Result<void> HintStore::save() const {
  std::error_code ec;
  fs::create_directories(m_path.parent_path(), ec);
  if (ec) return io_error(m_path.parent_path().string() + ": cannot create: " + ec.message());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : m_hints) list.push_back(to_json(h));
  nlohmann::json out = {{"format", k_store_format}, {"hints", list}};
  return write_file_atomic(m_path,
                           out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::vector<HintMatch> HintStore::for_sha256(const std::string& sha256) const {
  std::vector<HintMatch> out;
  if (sha256.empty()) return out;
  for (const auto& h : m_hints)
    for (const auto& f : h.files)
      if (value_of(f, "sha256") == sha256) {
        out.push_back({&h, "sha256", f.name});
        break;
      }
  return out;
}

std::vector<HintMatch> HintStore::for_identifier(const hash::Identifier& id) const {
  std::vector<HintMatch> out;
  for (const auto& h : m_hints) {
    if (id.kind == hash::IdentifierKind::k_hash) {
      bool found = false;
      for (const auto& f : h.files) {
        for (auto kind : id.hash.kinds) {
          std::string by = file_matches(f, kind, id.hash.hex);
          if (by.empty()) continue;
          out.push_back({&h, by, f.name});
          found = true;
          break;
        }
        if (found) break;
      }
    } else if (id.kind == hash::IdentifierKind::k_air && h.site == "civitai") {
      if (!id.air.version.empty() && id.air.version == h.civitai_version)
        out.push_back({&h, "civitai-version", ""});
      else if (id.air.version.empty() && id.air.id == h.civitai_model)
        out.push_back({&h, "civitai-model", ""});
    } else if (id.kind == hash::IdentifierKind::k_hf_repo && !h.hf_repo.empty()) {
      if (to_lower_ascii(id.hf.repo) == h.hf_repo) out.push_back({&h, "hf-repo", ""});
    }
  }
  return out;
}

}  // namespace pedigree::hints
