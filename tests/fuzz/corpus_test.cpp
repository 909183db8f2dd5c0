// Runs every fuzz corpus file (fuzz/corpus/<parser>/*) through its parser as a
// plain test, with the same checks as the libFuzzer targets (fuzz/parsers.hpp):
// every input returns (a value or a clean one-line error) and every tensor of
// a successful parse can be read from the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "fuzz/parsers.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::fuzz {
namespace {

const std::filesystem::path k_corpus_root =
    std::filesystem::path(PEDIGREE_SOURCE_DIR) / "fuzz/corpus";

TEST(FuzzCorpus, EveryCorpusDirectoryHasARegisteredParser) {
  ASSERT_TRUE(std::filesystem::is_directory(k_corpus_root));
  int directories = 0;
  for (const auto& entry : std::filesystem::directory_iterator(k_corpus_root)) {
    if (!entry.is_directory()) continue;
    ++directories;
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(find_fuzz_parser(name) != nullptr || corpus_has_own_runner(name))
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

}  // namespace
}  // namespace pedigree::fuzz
