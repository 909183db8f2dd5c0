#include "pedigree/formats/torch_legacy.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/torch_fixtures.hpp"

namespace pedigree::formats {
namespace {

using testing::torch_fixture;

class TorchLegacyGood : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchLegacyGood, EveryValueEqualsWhatTorchWrote) {
  auto bytes = torch_fixture(std::string(GetParam()) + ".ckpt");
  ASSERT_TRUE(looks_like_torch_legacy(bytes));
  auto parsed = parse_torch_legacy(bytes);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->format, Format::k_torch_legacy);
  testing::expect_matches_torch(GetParam(), bytes, *parsed);
  for (const auto& g : parsed->globals) EXPECT_TRUE(g.allowed) << g.module << "." << g.name;
  for (const auto& t : parsed->tensors) EXPECT_FALSE(t.big_endian);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchLegacyGood,
                         ::testing::Values("good_legacy_dtypes", "good_legacy_views",
                                           "good_legacy_nested", "good_legacy_lightning"));

TEST(TorchLegacy, ZipFilesAndOtherBytesAreNotLegacy) {
  EXPECT_FALSE(looks_like_torch_legacy(torch_fixture("good_zip_dtypes.ckpt")));
  auto bytes = torch_fixture("bad_not_checkpoint.ckpt");
  EXPECT_FALSE(looks_like_torch_legacy(bytes));
  auto parsed = parse_torch_legacy(bytes);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::k_corruption);
}

TEST(TorchLegacy, TruncationAtEveryLengthIsRefusedCleanly) {
  auto bytes = torch_fixture("good_legacy_views.ckpt");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto parsed = parse_torch_legacy(ByteView(bytes.data(), n));
    ASSERT_FALSE(parsed) << n;
    EXPECT_EQ(parsed.error().code(), ErrorCode::k_corruption) << n;
  }
}

TEST(TorchLegacy, RefusesAnElementCountThatDisagreesWithTheObject) {
  auto bytes = torch_fixture("good_legacy_views.ckpt");
  // The first storage's count (48 floats) is the u64 after the key-list pickle: "e.\x30\0...".
  const std::uint8_t pattern[] = {'e', '.', 48, 0, 0, 0, 0, 0, 0, 0};
  auto it = std::search(bytes.begin(), bytes.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(it, bytes.end());
  *(it + 2) = 47;
  auto parsed = parse_torch_legacy(bytes);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("holds 47 elements"), std::string::npos)
      << parsed.error().message();
}

TEST(TorchLegacy, RefusesAnotherProtocolVersion) {
  auto bytes = torch_fixture("good_legacy_views.ckpt");
  // Pickle 2 is PROTO 2, BININT2 1001 (0x03e9), STOP, right after the 15-byte magic pickle.
  ASSERT_EQ(bytes[17], 'M');
  bytes[18] = 0xea;
  auto parsed = parse_torch_legacy(bytes);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::k_not_supported) << parsed.error().message();
}

TEST(TorchLegacy, BigEndianSysInfoMarksTensorsBigEndian) {
  // Flip little_endian to False (NEWTRUE -> NEWFALSE) and byte-swap each storage count.
  auto bytes = torch_fixture("good_legacy_views.ckpt");
  const std::string key = "little_endian";
  auto it = std::search(bytes.begin(), bytes.end(), key.begin(), key.end());
  ASSERT_NE(it, bytes.end());
  auto flag = std::find(it, bytes.end(), 0x88);
  ASSERT_NE(flag, bytes.end());
  *flag = 0x89;
  auto little = parse_torch_legacy(torch_fixture("good_legacy_views.ckpt"));
  ASSERT_TRUE(little);
  std::set<std::uint64_t> count_offsets;
  for (const auto& t : little->tensors) count_offsets.insert(t.storage_begin - 8);
  for (auto off : count_offsets) std::reverse(bytes.begin() + off, bytes.begin() + off + 8);
  auto big = parse_torch_legacy(bytes);
  ASSERT_TRUE(big) << big.error().message();
  ASSERT_EQ(big->tensors.size(), little->tensors.size());
  for (const auto& t : big->tensors) EXPECT_TRUE(t.big_endian);
}

}  // namespace
}  // namespace pedigree::formats
