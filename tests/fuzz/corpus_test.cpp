// Runs every fuzz corpus file (fuzz/corpus/<parser>/*) through its parser as a
// plain test, with the same checks as the libFuzzer targets (fuzz/parsers.hpp,
// fuzz/input_checks.hpp): every input returns (a value or a clean one-line
// error), every tensor of a successful parse can be read from the file, and
// every accepted envelope, event, tree or canonical JSON re-serializes to its bytes.
#include <gtest/gtest.h>

#include <filesystem>

#include "fuzz/input_checks.hpp"
#include "fuzz/parsers.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/dsse.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/folder/a1111_cache.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/hash/identifier.hpp"
#include "pedigree/hints/hints.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/ledger_json.hpp"
#include "pedigree/pictures/image_metadata.hpp"
#include "pedigree/sync/tree_check.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::fuzz {
namespace {

bool read_image_ok(ByteView bytes) {
  auto meta = pictures::read_image_metadata(bytes, "seed");
  return meta && !meta->models.empty();
}

const std::filesystem::path k_corpus_root =
    std::filesystem::path(PEDIGREE_SOURCE_DIR) / "fuzz/corpus";

TEST(FuzzCorpus, EveryCorpusDirectoryHasARegisteredParser) {
  ASSERT_TRUE(std::filesystem::is_directory(k_corpus_root));
  int directories = 0;
  for (const auto& entry : std::filesystem::directory_iterator(k_corpus_root)) {
    if (!entry.is_directory()) continue;
    ++directories;
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(find_fuzz_parser(name) != nullptr || find_fuzz_input(name) != nullptr ||
                corpus_has_own_runner(name))
        << entry.path() << " has no entry in fuzz/parsers.hpp";
  }
  EXPECT_GE(directories, 1);
}

TEST(FuzzCorpus, EveryInputOfEveryParserReturnsCleanly) {
  for (const auto& parser : k_fuzz_parsers) {
    auto dir = k_corpus_root / parser.name;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " missing (seed corpus)";
    int inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      ++inputs;
      auto bytes = read_file(entry.path());
      ASSERT_TRUE(bytes) << bytes.error().message();
      ByteView file(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
      auto broken = check_parse(file, parser.parse(file));
      EXPECT_FALSE(broken) << parser.name << " on " << entry.path().filename() << ": " << *broken;
    }
    EXPECT_GE(inputs, 1) << dir;
  }
}

TEST(FuzzCorpus, EveryInputFromOthersPassesItsCheck) {
  for (const auto& input : fuzz_inputs()) {
    auto dir = k_corpus_root / input.name;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " missing (seed corpus)";
    auto target = std::filesystem::path(PEDIGREE_SOURCE_DIR) / "fuzz" /
                  ("fuzz_" + std::string(input.name) + ".cpp");
    EXPECT_TRUE(std::filesystem::is_regular_file(target)) << target << " missing (fuzz target)";
    int inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      ++inputs;
      auto bytes = read_file(entry.path());
      ASSERT_TRUE(bytes) << bytes.error().message();
      auto broken = input.check(
          ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
      EXPECT_FALSE(broken) << input.name << " on " << entry.path().filename() << ": " << *broken;
    }
    EXPECT_GE(inputs, 1) << dir;
  }
}

// The seeds are real inputs, not only ones that fail early: each kind has at
// least one seed its parser accepts, so fuzzing starts from deep paths.
TEST(FuzzCorpus, EveryInputFromOthersHasAnAcceptedSeed) {
  const auto accepted = [](std::string_view name, ByteView bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (name == "image") return read_image_ok(bytes);
    if (name == "dsse") return crypto::parse_envelope(text, "seed", 1u << 20).has_value();
    if (name == "event") return ledger::parse_statement(text, "seed").has_value();
    if (name == "key") return ledger::verify_key_file(k_key_seed_path, text).has_value();
    if (name == "ledger_json") return ledger::parse_ledger_json(text, "seed").has_value();
    if (name == "fp") return fingerprint::parse(bytes).has_value();
    if (name == "units") {
      auto units = fingerprint::parse_units(bytes);
      return units.has_value() && !units->groups.empty();
    }
    if (name == "tree") {
      std::vector<sync::RawTreeEntry> entries;
      return !sync::parse_canonical_tree(std::as_bytes(bytes), entries) && !entries.empty();
    }
    if (name == "canonical_json")
      return crypto::parse_canonical_json(text, "seed", 1u << 20).has_value();
    if (name == "recipes")
      return !formats::decode_recipes(metadata_from_bytes(bytes)).recipes.empty();
    if (name == "identifier") return hash::classify_identifier(text).has_value();
    if (name == "civitai") return hints::parse_civitai_version(text, "seed").has_value();
    if (name == "hf_card") return hints::parse_hf_model_card(text, "seed").has_value();
    if (name == "a1111_cache") {
      auto cache = folder::A1111Cache::parse(text, "/install", "seed");
      return cache.has_value() && cache->size() > 0;
    }
    if (name == "image_text")
      return !pictures::parse_a1111_parameters(text).model_hash.empty() ||
             (pictures::comfyui_checkpoints(text, "seed").has_value() &&
              !pictures::comfyui_checkpoints(text, "seed")->empty());
    return false;
  };
  for (const auto& input : fuzz_inputs()) {
    bool any = false;
    for (const auto& entry : std::filesystem::directory_iterator(k_corpus_root / input.name)) {
      auto bytes = read_file(entry.path());
      ASSERT_TRUE(bytes) << bytes.error().message();
      any = any ||
            accepted(input.name,
                     ByteView(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
    }
    EXPECT_TRUE(any) << input.name << ": no seed is accepted by its parser";
  }
}

}  // namespace
}  // namespace pedigree::fuzz
