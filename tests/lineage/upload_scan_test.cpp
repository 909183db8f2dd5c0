// UploadScan: a file pushed as it arrives, partly copied in (write()) and
// partly received straight into the scan's ring (write_space() + commit(),
// as `pedigree serve` does with a large upload's socket), gives the identity
// and fingerprint that scan_file_identity gives the same file on disk, for
// safetensors files and for PyTorch zips written by torch.save.
#include "pedigree/lineage/upload_scan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::lineage {
namespace {

namespace fs = std::filesystem;

struct Pushed {
  Result<FileScanResult> result;
  std::size_t direct_bytes = 0;  // how many went through write_space()
};

// Pushes `bytes` in pieces of 1..max_piece bytes, alternating write() and the
// ring's write space, through a scan of tiny chunks (many chunk boundaries).
Pushed push_in_pieces(const std::vector<std::uint8_t>& bytes, std::size_t max_piece,
                      unsigned seed) {
  scan::ScanOptions options;
  options.chunk_bytes = 64;
  options.ring_chunks = 4;
  options.threads = 2;
  UploadScan upload("upload", bytes.size(), FingerprintPass::k_build, options);
  std::mt19937 rng(seed);
  std::size_t at = 0, direct_bytes = 0;
  bool direct = false;
  while (at < bytes.size()) {
    std::size_t piece = std::min<std::size_t>(1 + rng() % max_piece, bytes.size() - at);
    auto space = direct ? upload.write_space() : std::span<std::uint8_t>();
    if (!space.empty()) {
      piece = std::min(piece, space.size());
      std::memcpy(space.data(), bytes.data() + at, piece);
      if (auto done = upload.commit(piece); !done) return {std::unexpected(done.error())};
      direct_bytes += piece;
    } else if (auto done = upload.write(ByteView(bytes.data() + at, piece)); !done) {
      return {std::unexpected(done.error())};
    }
    at += piece;
    direct = !direct;
  }
  return {upload.finish(), direct_bytes};
}

class UploadScanFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(UploadScanFiles, BytesReceivedIntoTheRingGiveTheFileIdentityAndFingerprint) {
  const fs::path path = fs::path(PEDIGREE_TEST_DATA) / GetParam();
  auto text = read_file(path);
  ASSERT_TRUE(text) << text.error().message();
  const std::vector<std::uint8_t> bytes(text->begin(), text->end());
  auto on_disk = scan_file_identity(path, FingerprintPass::k_build);
  ASSERT_TRUE(on_disk) << on_disk.error().message();
  for (unsigned seed : {1u, 2u, 3u}) {
    auto pushed = push_in_pieces(bytes, seed == 3 ? 4096 : 97, seed);
    ASSERT_TRUE(pushed.result) << pushed.result.error().message();
    if (bytes.size() > 4096) {  // past its tensor table, a file goes straight to the ring
      EXPECT_GT(pushed.direct_bytes, 0u) << "the ring's write space was never offered";
    }
    const FileScanResult& got = *pushed.result;
    EXPECT_EQ(got.identity.sha256, on_disk->identity.sha256);
    EXPECT_EQ(got.identity.weights_hash, on_disk->identity.weights_hash);
    EXPECT_EQ(got.identity.unet_hash, on_disk->identity.unet_hash);
    EXPECT_EQ(got.identity.vae_hash, on_disk->identity.vae_hash);
    EXPECT_EQ(got.identity.text_encoder_hash, on_disk->identity.text_encoder_hash);
    ASSERT_EQ(got.sketch.has_value(), on_disk->sketch.has_value()) << got.sketch_error;
    if (got.sketch) {
      EXPECT_EQ(fingerprint::serialize(*got.sketch), fingerprint::serialize(*on_disk->sketch));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, UploadScanFiles,
                         ::testing::Values("good_basic.safetensors", "good_float_codes.safetensors",
                                           "torch/good_zip_dtypes.ckpt",
                                           "torch/good_zip64_dtypes.ckpt",
                                           "torch/good_zip_sd1.ckpt"));

TEST(UploadScan, ACommitBeyondTheWriteSpaceIsRefused) {
  auto text = read_file(fs::path(PEDIGREE_TEST_DATA) / "good_basic.safetensors");
  ASSERT_TRUE(text);
  const std::vector<std::uint8_t> file(text->begin(), text->end());
  const auto* bytes = &file;
  UploadScan upload("upload", bytes->size(), FingerprintPass::k_skip);
  auto early = upload.commit(1);  // nothing offered yet
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), ErrorCode::k_internal);
  ASSERT_TRUE(upload.write(ByteView(bytes->data(), bytes->size() - 1)));
  auto space = upload.write_space();
  ASSERT_EQ(space.size(), 1u) << "room for the last declared byte only";
  auto over = upload.commit(2);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::k_internal);
  space = upload.write_space();
  ASSERT_EQ(space.size(), 1u);
  space[0] = bytes->back();
  ASSERT_TRUE(upload.commit(1));
  auto done = upload.finish();
  ASSERT_TRUE(done) << done.error().message();
  auto on_disk = scan_file_identity(fs::path(PEDIGREE_TEST_DATA) / "good_basic.safetensors");
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(done->identity.sha256, on_disk->identity.sha256);
}

}  // namespace
}  // namespace pedigree::lineage
