// Runs every seed of the torch readers' fuzz corpora (fuzz/corpus/<name>/)
// through the checks their libFuzzer targets apply, as a plain test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../../fuzz/torch_checks.hpp"

namespace pedigree::fuzz {
namespace {

class TorchFuzzCorpus : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchFuzzCorpus, EverySeedKeepsTheParserPromises) {
  const std::filesystem::path dir =
      std::filesystem::path(PEDIGREE_SOURCE_DIR) / "fuzz/corpus" / GetParam();
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
    auto broken = check_torch_input(GetParam(), bytes);
    EXPECT_FALSE(broken) << entry.path() << ": " << *broken;
    ++seeds;
  }
  EXPECT_GE(seeds, 3);
}

INSTANTIATE_TEST_SUITE_P(Corpora, TorchFuzzCorpus,
                         ::testing::Values("zip", "pickle", "torch_zip", "torch_legacy"));

}  // namespace
}  // namespace pedigree::fuzz
