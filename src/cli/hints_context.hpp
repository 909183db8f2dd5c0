// The unsigned hints a command shows beside a ledger (hints/hints.hpp):
// <ledger>/.git/pedigree/hints.json, written by `pedigree import`.
#pragma once

#include <filesystem>

#include "pedigree/hints/hints.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::cli {

// Loads the hints of the ledger at `ledger_dir` (none yet: an empty store).
// Corruption when the hints file is damaged (it is never overwritten then).
inline Result<hints::HintStore> load_hints(const std::filesystem::path& ledger_dir) {
  return hints::HintStore::load(hints::HintStore::path_for_ledger(ledger_dir));
}

}  // namespace pedigree::cli
