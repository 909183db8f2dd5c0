#include "pedigree/util/bytes.hpp"

#include <gtest/gtest.h>

#include "pedigree/util/hex.hpp"

namespace pedigree {
namespace {

TEST(ByteReader, ReadsLittleEndianAndRefusesPastTheEnd) {
  const std::uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  ByteReader reader(data, 100);
  EXPECT_EQ(*reader.read_le16("a"), 0x0201);
  EXPECT_EQ(*reader.read_le32("b"), 0x06050403u);
  auto too_far = reader.read_le64("field");
  ASSERT_FALSE(too_far);
  EXPECT_EQ(too_far.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(too_far.error().message().find("field"), std::string::npos);
  EXPECT_NE(too_far.error().message().find("offset 106"), std::string::npos);
  EXPECT_EQ(reader.position(), 6u);  // a failed read consumes nothing
}

TEST(ByteReader, SeekBeyondEndFails) {
  const std::uint8_t data[4] = {};
  ByteReader reader(data);
  EXPECT_TRUE(reader.seek(4, "x"));
  EXPECT_FALSE(reader.seek(5, "x"));
}

TEST(Utf8, AcceptsValidAndRejectsMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xE3\x81\x82\xF0\x9F\x98\x80"));  // あ, emoji
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xE3\x81"));                      // truncated
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));              // > U+10FFFF
}

TEST(Hex, RoundTripsAndLowerCases) {
  const std::uint8_t data[] = {0x00, 0xAB, 0xFF};
  EXPECT_EQ(to_hex(data), "00abff");
  auto decoded = from_hex("00ABff");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, std::vector<std::uint8_t>({0x00, 0xAB, 0xFF}));
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_TRUE(is_hex("DeadBeef"));
  EXPECT_FALSE(is_hex(""));
}

}  // namespace
}  // namespace pedigree
