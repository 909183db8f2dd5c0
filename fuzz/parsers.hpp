// The parsers pedigree fuzzes, and what a successful parse must guarantee.
//
// Each entry names a corpus directory fuzz/corpus/<name>/ and a libFuzzer
// target fuzz_<name> (fuzz/fuzz_<name>.cpp). tests/fuzz/corpus_test.cpp runs
// every corpus file of every entry through its parser in the normal test
// suite. To add a parser: one line in k_fuzz_parsers, a three-line
// fuzz/fuzz_<name>.cpp, and seed files in fuzz/corpus/<name>/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/safetensors.hpp"
#include "pedigree/formats/tensor_data.hpp"
#include "pedigree/formats/torch_legacy.hpp"
#include "pedigree/formats/torch_zip.hpp"

namespace pedigree::fuzz {

struct FuzzParser {
  std::string_view name;  // corpus directory and target suffix
  Result<formats::Checkpoint> (*parse)(ByteView file);
};

inline constexpr FuzzParser k_fuzz_parsers[] = {
    {"safetensors", &formats::parse_safetensors},
    {"checkpoint", &formats::parse_checkpoint},  // detection + whichever reader fits
    {"torch_zip", &formats::parse_torch_zip},
    {"torch_legacy", &formats::parse_torch_legacy},
};

// Corpora of parsers that do not return a Checkpoint (the zip container and the
// pickle machine): tests/formats/torch_corpus_test.cpp runs them with the checks
// of fuzz/torch_checks.hpp.
inline constexpr std::string_view k_corpora_with_own_runner[] = {"zip", "pickle"};

inline bool corpus_has_own_runner(std::string_view name) {
  for (auto n : k_corpora_with_own_runner) {
    if (n == name) return true;
  }
  return false;
}

inline const FuzzParser* find_fuzz_parser(std::string_view name) {
  for (const auto& p : k_fuzz_parsers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Checks the promises of a parse of `file` (single-source formats): an error
// has a one-line message; every tensor of a success lies inside the file and
// its elements can be gathered from the file's bytes. Returns a description
// of the first broken promise, or nullopt.
inline std::optional<std::string> check_parse(ByteView file,
                                              const Result<formats::Checkpoint>& parsed) {
  if (!parsed) {
    const std::string& message = parsed.error().message();
    if (message.empty()) return "empty error message";
    if (message.find('\n') != std::string::npos) return "multi-line error: " + message;
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  for (const auto& t : parsed->tensors) {
    if (t.source != 0) return "tensor '" + t.name + "' names source " + std::to_string(t.source);
    if (t.storage_begin > t.storage_end || t.storage_end > file.size()) {
      return "tensor '" + t.name + "' storage lies outside the file";
    }
    auto range = formats::tensor_byte_range(t);
    if (!range) return "tensor '" + t.name + "': " + range.error().message();
    if (range->end > file.size()) return "tensor '" + t.name + "' bytes lie outside the file";
    if (t.nbytes() > (64u << 20)) continue;  // the file itself bounds real sizes
    out.resize(t.nbytes());
    if (auto ok = formats::gather_elements(t, file, 0, out); !ok) {
      return "tensor '" + t.name + "' cannot be gathered: " + ok.error().message();
    }
  }
  return std::nullopt;
}

}  // namespace pedigree::fuzz
