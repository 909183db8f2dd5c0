#include "pedigree/hash/hash_kind.hpp"

#include <gtest/gtest.h>

namespace pedigree::hash {
namespace {

std::vector<std::string> kinds_of(std::string_view text) {
  auto r = classify_hash(text);
  EXPECT_TRUE(r) << text;
  std::vector<std::string> out;
  if (r) {
    for (auto k : r->kinds) out.emplace_back(hash_kind_name(k));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(HashKind, BareHexIsClassifiedByLength) {
  EXPECT_EQ(kinds_of("925997e9"), (V{"autov1", "crc32", "crc32_civitai"}));
  EXPECT_EQ(kinds_of("6ce0161689"), (V{"autov2"}));
  EXPECT_EQ(kinds_of("6CE0161689B3"), (V{"sha256_12", "autov3_12"}));
  EXPECT_EQ(kinds_of(std::string(64, 'a')),
            (V{"sha256", "autov3", "blake3", "weights", "component"}));
}

TEST(HashKind, PrefixesOfAnyCaseNarrowTheCandidates) {
  EXPECT_EQ(kinds_of("  AutoV1: 925997E9 \n"), (V{"autov1"}));
  EXPECT_EQ(kinds_of("autov2:6ce0161689"), (V{"autov2"}));
  EXPECT_EQ(kinds_of("SHA256: 6ce0161689"), (V{"autov2"}));
  EXPECT_EQ(kinds_of("sha256:" + std::string(64, 'F')), (V{"sha256"}));
  EXPECT_EQ(kinds_of("CRC32: 74B5AE44"), (V{"crc32", "crc32_civitai"}));
  EXPECT_EQ(kinds_of("AUTOV3: 6CE0161689B3"), (V{"autov3_12"}));
  EXPECT_EQ(kinds_of("BLAKE3=" + std::string(64, '0')), (V{"blake3"}));
  EXPECT_EQ(kinds_of("Model hash: 925997e9"), (V{"autov1"}));
  EXPECT_EQ(kinds_of("0x" + std::string(64, 'b')), (V{"autov3"}));
}

TEST(HashKind, NormalizesToLowerCaseHexAndFlagsAutoV1AsWeak) {
  auto r = classify_hash(" AutoV1:925997E9 ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hex, "925997e9");
  EXPECT_TRUE(r->weak());
  EXPECT_FALSE(classify_hash("6ce0161689")->weak());
}

TEST(HashKind, RejectsWhatCannotBeAHash) {
  for (const std::string& bad :
       std::vector<std::string>{"", "xyz", "12345", "925997e", "925997e9z", "AutoV1: 6ce0161689",
                                "blake3: 925997e9", "sha256:", "0x1234"}) {
    auto r = classify_hash(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::k_invalid_argument);
  }
}

}  // namespace
}  // namespace pedigree::hash
