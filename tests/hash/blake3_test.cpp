#include "pedigree/hash/blake3.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hash/testing.hpp"
#include "pedigree/hash/blake3_impl.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::hash {
namespace {

std::vector<std::uint8_t> vector_input(std::size_t n) {
  std::vector<std::uint8_t> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::uint8_t>(i % 251);
  return in;
}

nlohmann::json official_cases() {
  auto text = read_file(std::string(PEDIGREE_TEST_DATA) + "/blake3_test_vectors.json");
  EXPECT_TRUE(text);
  return nlohmann::json::parse(*text)["cases"];
}

TEST(Blake3, MatchesEveryOfficialTestVectorOneShotAndExtended) {
  const auto cases = official_cases();
  ASSERT_EQ(cases.size(), 22u);
  for (const auto& c : cases) {
    const std::size_t n = c["input_len"];
    const std::string expected = c["hash"];
    SCOPED_TRACE("input_len=" + std::to_string(n));
    const auto input = vector_input(n);
    EXPECT_EQ(blake3_hex(input), expected.substr(0, 64));
    Blake3 h;
    h.update(input);
    std::vector<std::uint8_t> extended(expected.size() / 2);
    h.finalize(extended);
    EXPECT_EQ(to_hex(extended), expected);
  }
}

TEST(Blake3, IncrementalUpdatesInAnyPieceSizeGiveTheSameDigest) {
  const auto cases = official_cases();
  for (std::size_t piece : {1ul, 7ul, 63ul, 64ul, 65ul, 1023ul, 1024ul, 1025ul, 8192ul, 9000ul}) {
    for (const auto& c : cases) {
      const std::size_t n = c["input_len"];
      const std::string expected = c["hash"];
      const auto input = vector_input(n);
      Blake3 h;
      for (std::size_t pos = 0; pos < n; pos += piece) {
        h.update(ByteView(input).subspan(pos, std::min(piece, n - pos)));
      }
      ASSERT_EQ(to_hex(h.digest()), expected.substr(0, 64)) << "piece " << piece << " len " << n;
    }
  }
}

TEST(Blake3, Avx2AndPortableChunkPathsAgreeIncludingHighCounters) {
  if (!Blake3::uses_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  const auto input = testing::pattern_bytes(8 * 1024, 42);
  for (std::uint64_t counter : {0ull, 5ull, (1ull << 32) - 3, (1ull << 40) + 1}) {
    std::array<std::uint32_t, 8> portable[8], simd[8];
    blake3_detail::hash_chunks_portable(input.data(), 8, counter, portable);
    blake3_detail::hash_8_chunks_avx2(input.data(), counter, simd);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(portable[i], simd[i]) << "lane " << i;
  }
}

TEST(Blake3, Avx2AndPortableParentNodesAgree) {
  if (!Blake3::uses_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  const auto blocks = testing::pattern_bytes(8 * 64, 7);  // eight (left CV, right CV) pairs
  std::array<std::uint32_t, 8> simd[8];
  blake3_detail::hash_8_parents_avx2(blocks.data(), simd);
  for (int i = 0; i < 8; ++i) {
    std::uint32_t out[16];
    blake3_detail::compress(blake3_detail::k_iv.data(), blocks.data() + 64 * i, 0, 64,
                            blake3_detail::k_parent, out);
    for (int w = 0; w < 8; ++w) EXPECT_EQ(simd[i][w], out[w]) << "parent " << i << " word " << w;
  }
}

// Large inputs are hashed as 64-chunk subtrees when the chunk counter allows
// and as smaller ones otherwise: every way of cutting the input into updates
// (so every subtree alignment) must give the one-shot digest.
TEST(Blake3, SubtreeSplitsAtAnyAlignmentGiveTheSameDigest) {
  const auto input = testing::pattern_bytes((3u << 20) + 123, 9);
  const auto expected = blake3(input);
  for (std::size_t piece : {std::size_t{1023}, std::size_t{7 * 1024 + 1}, std::size_t{65 * 1024},
                            std::size_t{(1u << 20) - 1}}) {
    Blake3 h;
    for (std::size_t pos = 0; pos < input.size(); pos += piece) {
      h.update(ByteView(input).subspan(pos, std::min(piece, input.size() - pos)));
    }
    EXPECT_EQ(h.digest(), expected) << "piece " << piece;
  }
}

}  // namespace
}  // namespace pedigree::hash
