#include "pedigree/formats/torch_zip.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "pedigree/formats/checkpoint.hpp"

#include "support/torch_fixtures.hpp"

namespace pedigree::formats {
namespace {

using testing::torch_fixture;

Checkpoint parse_ok(const std::string& stem, std::vector<std::uint8_t>& bytes) {
  bytes = torch_fixture(stem + ".ckpt");
  auto parsed = parse_torch_zip(bytes);
  EXPECT_TRUE(parsed) << stem << ": " << (parsed ? "" : parsed.error().message());
  return parsed ? *parsed : Checkpoint{};
}

class TorchZipGood : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchZipGood, EveryValueEqualsWhatTorchWrote) {
  std::vector<std::uint8_t> bytes;
  Checkpoint c = parse_ok(GetParam(), bytes);
  EXPECT_EQ(c.format, Format::k_torch_zip);
  testing::expect_matches_torch(GetParam(), bytes, c);
  for (const auto& g : c.globals) EXPECT_TRUE(g.allowed) << g.module << "." << g.name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchZipGood,
                         ::testing::Values("good_zip_dtypes", "good_zip_views", "good_zip_nested",
                                           "good_zip_lightning", "good_zip_sd1",
                                           "good_zip64_dtypes"));

bool has_global(const Checkpoint& c, std::string_view module, std::string_view name) {
  return std::any_of(c.globals.begin(), c.globals.end(),
                     [&](const PickleGlobal& g) { return g.module == module && g.name == name; });
}

TEST(TorchZip, SharedStoragesOverlapAndViewsKeepTheirStrides) {
  std::vector<std::uint8_t> bytes;
  Checkpoint c = parse_ok("good_zip_views", bytes);
  std::map<std::string, const TensorInfo*> t;
  for (const auto& x : c.tensors) t[x.name] = &x;
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t["base"]->storage_begin, t["transposed"]->storage_begin);
  EXPECT_EQ(t["base"]->storage_begin, t["row"]->storage_begin);
  EXPECT_EQ(t["row"]->offset, t["base"]->offset + 32 * 4);
  EXPECT_FALSE(t["transposed"]->is_contiguous());
  EXPECT_EQ(t["stepped"]->strides, (std::vector<std::uint64_t>{16, 3}));
}

TEST(TorchZip, LightningCheckpointUnwrapsStateDictAndKeepsScalarsAndGlobals) {
  std::vector<std::uint8_t> bytes;
  Checkpoint c = parse_ok("good_zip_lightning", bytes);
  EXPECT_EQ(c.scalars.at("epoch"), "6");
  EXPECT_EQ(c.scalars.at("global_step"), "470000");
  EXPECT_TRUE(has_global(c, "pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint"));
  EXPECT_TRUE(has_global(c, "numpy.core.multiarray", "scalar"));
  EXPECT_TRUE(has_global(c, "torch._utils", "_rebuild_tensor_v2"));
  ASSERT_EQ(c.tensors.size(), 2u);
  EXPECT_EQ(c.tensors[0].name, "model.diffusion_model.out.2.bias");
}

TEST(TorchZip, Zip64CopyReadsTheSameTensors) {
  std::vector<std::uint8_t> a, b;
  Checkpoint plain = parse_ok("good_zip_dtypes", a);
  Checkpoint z64 = parse_ok("good_zip64_dtypes", b);
  ASSERT_EQ(plain.tensors.size(), z64.tensors.size());
  for (std::size_t i = 0; i < plain.tensors.size(); ++i) {
    EXPECT_EQ(testing::sha256_hex(testing::gather_tensor(a, plain.tensors[i])),
              testing::sha256_hex(testing::gather_tensor(b, z64.tensors[i])));
  }
}

Error parse_error(const std::string& fixture) {
  auto bytes = torch_fixture(fixture);
  auto parsed = parse_torch_zip(bytes);
  EXPECT_FALSE(parsed) << fixture;
  return parsed ? Error(ErrorCode::k_internal, "parsed") : parsed.error();
}

TEST(TorchZip, RefusesOsSystemByName) {
  Error e = parse_error("bad_zip_os_system.ckpt");
  EXPECT_EQ(e.code(), ErrorCode::k_corruption);
  EXPECT_NE(e.message().find("archive/data.pkl"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("disallowed global posix.system at offset"), std::string::npos)
      << e.message();
}

TEST(TorchZip, RefusesBadArchives) {
  for (const char* f : {"bad_central_directory.ckpt", "bad_truncated.ckpt",
                        "bad_entry_beyond_eof.ckpt", "bad_not_checkpoint.ckpt"}) {
    Error e = parse_error(f);
    EXPECT_EQ(e.code(), ErrorCode::k_corruption) << f << ": " << e.message();
  }
}

TEST(TorchZip, TruncationAtEveryLengthIsRefusedCleanly) {
  auto bytes = torch_fixture("good_zip_views.ckpt");
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    auto parsed = parse_torch_zip(ByteView(bytes.data(), n));
    ASSERT_FALSE(parsed) << n;
  }
}

TEST(TorchZip, RefusesAStorageEntryOfTheWrongSize) {
  // Declaring 49 float elements for storage "0" (which holds 48) must be caught.
  auto bytes = torch_fixture("good_zip_views.ckpt");
  // The pickle writes numel 48 as BININT1 0x30 right after 'cpu' (q\x06K0): find and bump it.
  const std::uint8_t pattern[] = {'c', 'p', 'u', 'q', 0x06, 'K', 48};
  auto it = std::search(bytes.begin(), bytes.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(it, bytes.end());
  *(it + 6) = 49;
  auto parsed = parse_torch_zip(bytes);
  ASSERT_FALSE(parsed);
  // The zip's CRC of data.pkl catches the edit first; either way it is refused as corruption.
  EXPECT_EQ(parsed.error().code(), ErrorCode::k_corruption) << parsed.error().message();
}

}  // namespace
}  // namespace pedigree::formats

namespace pedigree::formats {
namespace {

TEST(TorchZip, ParseCheckpointDispatchesToTheZipReader) {
  auto bytes = testing::torch_fixture("good_zip_sd1.ckpt");
  auto parsed = parse_checkpoint(bytes);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->format, Format::k_torch_zip);
  testing::expect_matches_torch("good_zip_sd1", bytes, *parsed);
}

TEST(TorchLegacy, ParseCheckpointDispatchesToTheLegacyReader) {
  auto bytes = testing::torch_fixture("good_legacy_nested.ckpt");
  auto parsed = parse_checkpoint(bytes);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->format, Format::k_torch_legacy);
  testing::expect_matches_torch("good_legacy_nested", bytes, *parsed);
}

}  // namespace
}  // namespace pedigree::formats
