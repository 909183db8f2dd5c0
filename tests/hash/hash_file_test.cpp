#include "pedigree/hash/hash_file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "hash/safetensors_writer.hpp"
#include "hash/testing.hpp"

namespace pedigree::hash {
namespace {

using namespace pedigree::testing;

std::string python(const std::string& script, const std::filesystem::path& file) {
  return command_output("/usr/bin/python3 -c " + shell_quote(script) + " " +
                        shell_quote(file.string()));
}

// sha256, autov1 (A1111 model_hash), autov3 (kohya addnet hash), crc32 and its
// Civitai form, computed by Python's hashlib and zlib.
const char* k_reference_script = R"(
import hashlib, struct, sys, zlib
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0] if len(raw) >= 8 else 0
crc = zlib.crc32(raw)
print(hashlib.sha256(raw).hexdigest(), hashlib.sha256(raw[0x100000:0x110000]).hexdigest()[:8],
      hashlib.sha256(raw[8 + n:]).hexdigest(), '%08x' % crc, crc.to_bytes(4, 'little').hex())
)";

Result<ModelHashes> hash_ck(const std::filesystem::path& path, const formats::Checkpoint* ck,
                            unsigned sets = k_set_all) {
  HashOptions options;
  options.sets = sets;
  options.scan.chunk_bytes = 64 * 1024;  // several chunks even for small files
  return hash_checkpoint(path.string(), path, ck, std::nullopt, options);
}

TEST(HashFile, EveryFileHashMatchesPythonHashlibAndZlib) {
  TempDir dir;
  auto tensors = sample_tensors();
  tensors.push_back({"model.diffusion_model.big",
                     formats::DType::k_u8,
                     {3 << 20},
                     pattern_bytes(3 << 20, 9)});  // makes the file > 2 MiB
  auto ck = write_safetensors(dir / "m.safetensors", tensors, {{"title", "x"}});
  auto h = hash_ck(dir / "m.safetensors", &ck);
  ASSERT_TRUE(h) << h.error().message();
  const auto expected = python(k_reference_script, dir / "m.safetensors");
  EXPECT_EQ(
      *h->sha256 + " " + *h->autov1 + " " + *h->autov3 + " " + *h->crc32 + " " + *h->crc32_civitai,
      expected);
  EXPECT_EQ(*h->autov2, h->sha256->substr(0, 10));
  EXPECT_EQ(
      h->sha256->substr(0, 64),
      command_output("sha256sum " + shell_quote((dir / "m.safetensors").string())).substr(0, 64));
  EXPECT_EQ(h->format, "safetensors");
  EXPECT_EQ(h->blake3->size(), 64u);
}

TEST(HashFile, WeightsAndComponentsMatchTheIndependentPythonVerifier) {
  TempDir dir;
  auto ck = write_safetensors(dir / "m.safetensors", sample_tensors());
  auto h = hash_ck(dir / "m.safetensors", &ck);
  ASSERT_TRUE(h) << h.error().message();
  const auto verifier = std::string(PEDIGREE_SOURCE_DIR) + "/tools/weights-hash.py";
  const auto expected =
      nlohmann::json::parse(command_output("/usr/bin/python3 " + shell_quote(verifier) + " " +
                                           shell_quote((dir / "m.safetensors").string())));
  EXPECT_EQ(*h->weights, expected["weights"]);
  EXPECT_EQ(nlohmann::json(h->components), expected["components"]);
  EXPECT_EQ(h->components.size(), 4u);  // unet, text_encoder, vae, unet_ema
}

TEST(HashFile, TensorOrderAndMetadataChangeFileHashesButNotWeights) {
  TempDir dir;
  auto tensors = sample_tensors();
  auto a = write_safetensors(dir / "a.safetensors", tensors);
  auto b = write_safetensors(dir / "b.safetensors", tensors, {{"sd_merge_recipe", "{}"}});
  std::reverse(tensors.begin(), tensors.end());
  auto c = write_safetensors(dir / "c.safetensors", tensors, {{"modelspec.title", "t"}});
  auto ha = hash_ck(dir / "a.safetensors", &a);
  auto hb = hash_ck(dir / "b.safetensors", &b);
  auto hc = hash_ck(dir / "c.safetensors", &c);
  ASSERT_TRUE(ha && hb && hc);
  EXPECT_NE(*ha->sha256, *hb->sha256);
  EXPECT_EQ(*ha->autov3, *hb->autov3);  // same data section, different header
  EXPECT_NE(*ha->autov3, *hc->autov3);  // different tensor order
  EXPECT_EQ(*ha->weights, *hb->weights);
  EXPECT_EQ(*ha->weights, *hc->weights);
  EXPECT_EQ(ha->components, hc->components);
}

TEST(HashFile, OneChangedValueChangesWeightsAndOnlyItsComponent) {
  TempDir dir;
  auto tensors = sample_tensors();
  auto a = write_safetensors(dir / "a.safetensors", tensors);
  tensors[3].bytes[10] ^= 1;  // one bit of one VAE value
  auto b = write_safetensors(dir / "b.safetensors", tensors);
  auto ha = hash_ck(dir / "a.safetensors", &a);
  auto hb = hash_ck(dir / "b.safetensors", &b);
  ASSERT_TRUE(ha && hb);
  EXPECT_NE(*ha->weights, *hb->weights);
  EXPECT_NE(ha->components.at("vae"), hb->components.at("vae"));
  EXPECT_EQ(ha->components.at("unet"), hb->components.at("unet"));
  EXPECT_EQ(ha->components.at("text_encoder"), hb->components.at("text_encoder"));
}

TEST(HashFile, ScheduleBuffersAndDtypeAndShapeAreHandledAsSpecified) {
  TempDir dir;
  auto tensors = sample_tensors();
  auto a = write_safetensors(dir / "a.safetensors", tensors);
  auto without_schedule = tensors;
  without_schedule.pop_back();
  auto b = write_safetensors(dir / "b.safetensors", without_schedule);
  auto reshaped = tensors;
  reshaped[1].shape = {2, 2};  // same bytes, other shape
  auto c = write_safetensors(dir / "c.safetensors", reshaped);
  auto retyped = tensors;
  retyped[1].dtype = formats::DType::k_i32;  // same bytes, other dtype
  auto d = write_safetensors(dir / "d.safetensors", retyped);
  auto ha = hash_ck(dir / "a.safetensors", &a), hb = hash_ck(dir / "b.safetensors", &b);
  auto hc = hash_ck(dir / "c.safetensors", &c), hd = hash_ck(dir / "d.safetensors", &d);
  ASSERT_TRUE(ha && hb && hc && hd);
  EXPECT_EQ(*ha->weights, *hb->weights);  // schedule buffers are not weights
  EXPECT_NE(*ha->weights, *hc->weights);
  EXPECT_NE(*ha->weights, *hd->weights);
}

TEST(HashFile, AutoV1WindowAtEverySizeBoundary) {
  TempDir dir;
  const std::uint64_t sizes[] = {1000,         0x100000 - 1,  0x100000,     0x100000 + 1,
                                 0x110000 - 1, 0x110000,      0x110000 + 1, (2u << 20) - 1,
                                 2u << 20,     (2u << 20) + 1};
  for (auto size : sizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    write_bytes(dir / "f", pattern_bytes(size, size));
    auto h = hash_ck(dir / "f", nullptr);
    ASSERT_TRUE(h) << h.error().message();
    const auto expected = python(k_reference_script, dir / "f");
    EXPECT_EQ(*h->sha256, expected.substr(0, 64));
    if (size < (2u << 20)) {
      EXPECT_FALSE(h->autov1);  // as Civitai: none under 2 MiB
    } else {
      ASSERT_TRUE(h->autov1);
      EXPECT_EQ(*h->autov1, expected.substr(65, 8));
    }
    EXPECT_FALSE(h->autov3);  // not a safetensors checkpoint
    EXPECT_FALSE(h->format);
    ASSERT_TRUE(h->weights_error);
  }
}

TEST(HashFile, EmptyFileHasFileHashesAndAClearWeightsError) {
  TempDir dir;
  write_bytes(dir / "empty", {});
  HashOptions options;
  auto h = hash_checkpoint("empty", dir / "empty", nullptr,
                           Error(ErrorCode::k_corruption, "empty: empty file (0 bytes)"), options);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(*h->crc32, "00000000");
  EXPECT_EQ(*h->blake3, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  EXPECT_FALSE(h->weights);
  ASSERT_TRUE(h->weights_error);
  EXPECT_NE(h->weights_error->message().find("empty"), std::string::npos);
}

TEST(HashFile, OnlyComputesTheRequestedSets) {
  TempDir dir;
  auto ck = write_safetensors(dir / "m.safetensors", sample_tensors());
  auto h = hash_ck(dir / "m.safetensors", &ck, k_set_sha256);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->sha256 && h->autov2);
  EXPECT_FALSE(h->crc32 || h->blake3 || h->autov3 || h->weights || h->weights_error);
  EXPECT_TRUE(h->components.empty());
}

TEST(HashFile, MissingFifoAndFolderAreClearErrors) {
  TempDir dir;
  auto missing = hash_ck(dir / "nope", nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::k_not_found);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto fifo = hash_ck(dir / "fifo", nullptr);  // must not block
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code(), ErrorCode::k_invalid_argument);
  auto folder = hash_ck(dir.path(), nullptr);
  ASSERT_FALSE(folder);
}

}  // namespace
}  // namespace pedigree::hash
