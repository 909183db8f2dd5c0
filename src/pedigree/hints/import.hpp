// `pedigree import civitai|hf`: parse a site's document whole, then record
// it as an unsigned hint in the ledger's local hints file (hints.hpp).
// Nothing is written unless the whole document parsed.
#pragma once

#include <filesystem>
#include <string>

#include "pedigree/hints/hints.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::hints {

struct ImportResult {
  Hint hint;
  bool replaced = false;        // an earlier import of the same version/repo was replaced
  std::filesystem::path store;  // the hints file written
};

// Imports Civitai's model-version JSON from `file`. Errors: NotFound / IOError
// reading it, Corruption for malformed JSON or fields (nothing written).
Result<ImportResult> import_civitai(const std::filesystem::path& ledger_dir,
                                    const std::filesystem::path& file);

// Imports a Hugging Face model card: `path` is its README.md, or a
// downloaded repository folder holding README.md, whose model files
// (*.safetensors, *.ckpt at its top level) are hashed (SHA-256) so that
// `check FILE` finds the hint. `repo` ("owner/name", may be empty) names the
// repository, which a card does not say itself; InvalidArgument when neither
// a repository nor a model file ties the card to anything.
Result<ImportResult> import_hf(const std::filesystem::path& ledger_dir,
                               const std::filesystem::path& path, const std::string& repo);

}  // namespace pedigree::hints
