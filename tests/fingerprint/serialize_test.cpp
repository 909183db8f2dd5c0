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
  bytes[8] = 3;
  reseal(bytes);
  auto fp = parse(view(bytes));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_not_supported);
  EXPECT_NE(fp.error().message().find("version 3"), std::string::npos) << fp.error().message();
}

std::uint32_t le32_at(const std::string& bytes, std::size_t offset) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(bytes[offset + i]);
  return v;
}

TEST(FingerprintFile, Version2HeaderCarriesEachComponentsSketchSize) {
  SketchParams params;
  params.of(Component::k_vae) = {12, 20};  // every component distinct, so a mix-up shows
  testing::Family family(11);
  Fingerprint fp =
      testing::fingerprint_of(family, family.finetune(1, 1, false), formats::DType::k_f16, params);
  std::string bytes = serialize(fp);
  EXPECT_EQ(le32_at(bytes, 8), 2u);
  for (std::size_t c = 0; c < k_component_count; ++c) {
    EXPECT_EQ(le32_at(bytes, 12 + 8 * c), params.sizes[c].matrix_side) << c;
    EXPECT_EQ(le32_at(bytes, 16 + 8 * c), params.sizes[c].flat_buckets) << c;
  }
  auto back = parse(view(bytes));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->spec_version, 2u);
  EXPECT_EQ(back->params, params);
  for (const auto& t : back->tensors) {
    const SketchSize& size = params.of(t.component);
    EXPECT_LE(t.rows, t.matrix ? size.matrix_side : 1u) << t.name;
    EXPECT_LE(t.cols, t.matrix ? size.matrix_side : size.flat_buckets) << t.name;
  }
}

TEST(FingerprintFile, ReadsAndRewritesVersion1ByteForByte) {
  testing::Family family(11);
  Fingerprint fp = testing::fingerprint_of(family, family.finetune(1, 1, false),
                                           formats::DType::k_f16, SketchParams::uniform({16, 32}));
  fp.spec_version = 1;
  std::string bytes = serialize(fp);
  EXPECT_EQ(le32_at(bytes, 8), 1u);
  EXPECT_EQ(le32_at(bytes, 12), 16u);
  EXPECT_EQ(le32_at(bytes, 16), 32u);
  EXPECT_EQ(le32_at(bytes, 20), fp.tensors.size()) << "v1: the tensor count follows one size";
  auto back = parse(view(bytes));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->spec_version, 1u);
  EXPECT_EQ(back->params, SketchParams::uniform({16, 32}));
  EXPECT_EQ(serialize(*back), bytes);
}

TEST(FingerprintFile, RejectsAnOutOfRangeSizeNamingItsOffset) {
  std::string bytes = serialize(sample());
  for (int i = 0; i < 4; ++i) bytes[36 + i] = 0;  // the EMA UNet's matrix side
  reseal(bytes);
  auto fp = parse(view(bytes));
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(fp.error().message().find("offset 36"), std::string::npos) << fp.error().message();
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
