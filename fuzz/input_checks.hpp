// What the parsers of input from others (pictures, merge recipes, DSSE
// envelopes, ledger events and key files, .fp fingerprints, git trees, canonical JSON,
// A1111's cache.json) must
// guarantee on any bytes, checked by their fuzz targets (fuzz/fuzz_<name>.cpp)
// and by tests/fuzz/corpus_test.cpp, which runs every seed of
// fuzz/corpus/<name>/ through the same check as a plain test.
//
// Every check returns nullopt when the promises hold, else a description of
// the first broken one. Common promises: the parser returns (no crash, no
// sanitizer report, no hang); an error is one non-empty line; a success
// re-serializes to what was parsed where the format is canonical.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"

namespace pedigree::fuzz {

// The path the key check verifies a key file under (see check_key in input_checks.cpp):
// the seed's key id, so mutated keys also reach the id check.
inline constexpr std::string_view k_key_seed_path =
    "keys/ca0153d5e2b7f6ebfd68e6fff5463060b1998d46041ee44932036cc764ed94d5.json";

// Safetensors __metadata__ as "key NUL value NUL key NUL value ...": any keys,
// so the fuzzer reaches every recipe decoder (sd_merge_recipe, mecha_recipe, ...).
std::map<std::string, std::string> metadata_from_bytes(ByteView bytes);

struct FuzzInput {
  std::string_view name;  // corpus directory and target suffix
  std::optional<std::string> (*check)(ByteView bytes);
};

// Every checked input, in the order of the corpora; find_fuzz_input is null for a name
// not among them.
std::span<const FuzzInput> fuzz_inputs();
const FuzzInput* find_fuzz_input(std::string_view name);

}  // namespace pedigree::fuzz
