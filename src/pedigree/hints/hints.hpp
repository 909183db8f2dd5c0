// Unsigned hints from community sites: what Civitai's API or a Hugging Face
// model card says about a model (its files' hashes, its base model and the
// relation to it), imported by `pedigree import civitai|hf` and kept locally
// beside a ledger, never in it (docs/formats/hints.md). A hint is nobody's
// signed statement: `check` shows it as what it is (site, when imported,
// "unsigned") and weighs it below every signed fact: it never makes a verdict
// NAI or clean; one that names a NAI model as base keeps a verdict from
// being clean (lineage/hint_evidence.hpp).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/hash/identifier.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::hints {

// One file the site lists, with the hashes it gives (lower-case hex) under
// pedigree's kind names: sha256, autov1, autov2, autov3, crc32_civitai, blake3.
struct HintFile {
  std::string name;
  std::map<std::string, std::string> hashes;
};

struct Hint {
  std::string site;                      // "civitai" or "huggingface"
  std::string imported;                  // when, UTC, "2026-12-06T20:00:00Z"
  std::string document;                  // the file imported, as given
  std::string document_sha256;           // its SHA-256
  std::string title;                     // Civitai "model.name version.name"; HF the repo
  std::string civitai_model;             // Civitai modelId ("" otherwise)
  std::string civitai_version;           // Civitai model-version id
  std::string model_type;                // Civitai model.type (Checkpoint, LORA, ...)
  std::string hf_repo;                   // "owner/name" (lower case) when known
  std::vector<std::string> base_models;  // Civitai baseModel; HF base_model (one or more repos)
  std::string relation;  // HF base_model_relation (adapter, merge, finetune, quantized) or ""
  std::string licence;   // HF license, Civitai none
  std::vector<HintFile> files;

  // What identifies the hint for replacement by a newer import of the same thing.
  std::string key() const;
};

// How a hint was matched to what `check` was given.
struct HintMatch {
  const Hint* hint = nullptr;
  std::string matched_by;  // "sha256", "autov2", "blake3", ..., "civitai-version", "hf-repo"
  std::string file;        // the hint's file that matched ("" for repo/version matches)
};

class HintStore {
public:
  // <ledger>/.git/pedigree/hints.json: local, never committed or synced.
  static std::filesystem::path path_for_ledger(const std::filesystem::path& ledger_dir);

  // Loads `path` (absent: empty). Corruption when it exists but is damaged:
  // hints are user data, so a damaged file is reported, never overwritten.
  static Result<HintStore> load(const std::filesystem::path& path);

  // Adds `hint`, replacing one with the same key(). Returns true when it replaced.
  bool add(Hint hint);
  // Writes the store atomically (temp file + rename). IOError on failure.
  Result<void> save() const;

  // Hints whose files carry the SHA-256 `sha256` (a file being checked).
  std::vector<HintMatch> for_sha256(const std::string& sha256) const;
  // Hints matching a pasted identifier: a hash of any kind against every
  // hash the hints give, an AIR by its version (or model) id, an HF repo.
  std::vector<HintMatch> for_identifier(const hash::Identifier& id) const;

  const std::vector<Hint>& hints() const { return m_hints; }
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
  std::vector<Hint> m_hints;
};

nlohmann::json to_json(const Hint& hint);
Result<Hint> hint_from_json(const nlohmann::json& json);

// Importers. Each parses the document whole before anything is recorded;
// Corruption naming the field at fault for malformed input.
//
// The JSON Civitai's public API returns for one model version
// (GET /api/v1/model-versions/{id}; docs/formats/civitai.md).
Result<Hint> parse_civitai_version(std::string_view json_text, const std::string& document);
// The YAML front matter of a Hugging Face model card (README.md;
// docs/formats/hf-model-card.md): base_model, base_model_relation, license.
Result<Hint> parse_hf_model_card(std::string_view markdown, const std::string& document);

}  // namespace pedigree::hints
