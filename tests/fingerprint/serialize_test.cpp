#include "pedigree/fingerprint/serialize.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "fingerprint/family.hpp"

namespace pedigree::fingerprint {
namespace {

Fingerprint sample() {
  testing::Family family(11);
  return testing::fingerprint_of(family, family.finetune(1, 1, false));
}

ByteView view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Recomputes the SHA-256 trailer after a deliberate edit (with OpenSSL, independently of
// serialize).
void reseal(std::string& bytes) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size() - 32, digest, &len, EVP_sha256(), nullptr);
  bytes.replace(bytes.size() - 32, 32, reinterpret_cast<const char*>(digest), 32);
}

TEST(FingerprintFile, RoundTripKeepsQuantizedCellsAndHashes) {
  Fingerprint fp = sample();
  std::string bytes = serialize(fp);
  auto back = parse(view(bytes));
  ASSERT_TRUE(back) << back.error().message();
  Fingerprint q = quantized(fp);
  ASSERT_EQ(back->tensors.size(), fp.tensors.size());
  for (std::size_t t = 0; t < fp.tensors.size(); ++t) {
    EXPECT_EQ(back->tensors[t].name, fp.tensors[t].name);
    EXPECT_EQ(back->tensors[t].shape, fp.tensors[t].shape);
    EXPECT_EQ(back->tensors[t].block, fp.tensors[t].block);
    EXPECT_EQ(back->tensors[t].value_hash, fp.tensors[t].value_hash);
    EXPECT_EQ(back->tensors[t].cells, q.tensors[t].cells);
    double max = 0;
    for (double v : fp.tensors[t].cells) max = std::max(max, std::fabs(v));
    for (std::size_t i = 0; i < fp.tensors[t].cells.size(); ++i)
      EXPECT_LE(std::fabs(back->tensors[t].cells[i] - fp.tensors[t].cells[i]),
                max / 32767 / 2 * 1.0001);
  }
  EXPECT_EQ(serialize(*back), bytes) << "re-serializing quantized cells is the identity";
}

TEST(FingerprintFile, RejectsAFlippedByteWithAChecksumError) {
  std::string bytes = serialize(sample());
  bytes[bytes.size() / 2] ^= 0x40;
  auto fp = parse(view(bytes));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(fp.error().message().find("checksum"), std::string::npos) << fp.error().message();
}

TEST(FingerprintFile, RejectsAnotherSpecVersion) {
  std::string bytes = serialize(sample());
  bytes[8] = 2;
  reseal(bytes);
  auto fp = parse(view(bytes));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_not_supported);
  EXPECT_NE(fp.error().message().find("version 2"), std::string::npos) << fp.error().message();
}

TEST(FingerprintFile, RejectsBadMagicAndTruncation) {
  std::string bytes = serialize(sample());
  std::string bad_magic = bytes;
  bad_magic[1] = 'X';
  EXPECT_NE(parse(view(bad_magic)).error().message().find("magic"), std::string::npos);
  std::string truncated = bytes.substr(0, bytes.size() - 100);
  reseal(truncated);
  auto fp = parse(view(truncated));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(fp.error().message().find("offset"), std::string::npos) << fp.error().message();
  EXPECT_FALSE(parse(view(bytes.substr(0, 20))));
}

TEST(FingerprintFile, RejectsRecordsThatContradictTheirName) {
  std::string bytes = serialize(sample());
  // First record: u16 name length at 24, the name, then the component byte.
  const std::size_t name_len =
      static_cast<std::uint8_t>(bytes[24]) | (static_cast<std::uint8_t>(bytes[25]) << 8);
  bytes[26 + name_len + 1] = 27;  // claim the VAE block
  reseal(bytes);
  auto fp = parse(view(bytes));
  ASSERT_FALSE(fp);
  EXPECT_NE(fp.error().message().find("do not match the name"), std::string::npos)
      << fp.error().message();
}

}  // namespace
}  // namespace pedigree::fingerprint
