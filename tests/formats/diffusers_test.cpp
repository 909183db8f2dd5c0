#include "pedigree/formats/diffusers.hpp"

#include <gtest/gtest.h>

#include <map>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/tensor_data.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::formats {
namespace {

namespace fs = std::filesystem;
using pedigree::testing::TempDir;
using pedigree::testing::write_text;

// Fixtures written by tools/make-names-fixtures (torch + numpy): the diffusers folder holds
// the LDM file's tensors under diffusers names made by an independent Python mapping.
const fs::path k_names_dir = fs::path(PEDIGREE_TEST_DATA) / "names";

struct Stored {
  std::vector<std::uint64_t> shape;
  DType dtype;
  std::vector<std::uint8_t> bytes;
};

// Canonical name -> canonical shape, dtype and row-major bytes of every tensor.
std::map<std::string, Stored> by_canonical_name(const Checkpoint& checkpoint) {
  std::map<std::string, Stored> out;
  const auto canonical = canonicalize(checkpoint);
  EXPECT_FALSE(find_duplicate_name(canonical));
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    auto bytes = read_tensor_bytes(checkpoint, i);
    EXPECT_TRUE(bytes) << canonical[i].name;
    if (!bytes) continue;
    out[canonical[i].name] = {canonical[i].shape, checkpoint.tensors[i].dtype, std::move(*bytes)};
  }
  return out;
}

void expect_same_tensors(const std::map<std::string, Stored>& got,
                         const std::map<std::string, Stored>& want) {
  for (const auto& [name, stored] : got) {
    auto it = want.find(name);
    ASSERT_NE(it, want.end()) << "no LDM tensor " << name;
    EXPECT_EQ(stored.shape, it->second.shape) << name;
    EXPECT_EQ(stored.dtype, it->second.dtype) << name;
    EXPECT_TRUE(stored.bytes == it->second.bytes) << name;
  }
}

TEST(Diffusers, FolderMapsToTheLdmFileTensorForTensor) {
  auto ldm = open_checkpoint(k_names_dir / "sd1_ldm.safetensors");
  ASSERT_TRUE(ldm) << ldm.error().message();
  auto folder = open_diffusers(k_names_dir / "sd1_diffusers");
  ASSERT_TRUE(folder) << folder.error().message();
  EXPECT_EQ(folder->format, Format::k_diffusers);
  ASSERT_EQ(folder->tensors.size(), ldm->tensors.size());
  const auto want = by_canonical_name(*ldm);
  const auto got = by_canonical_name(*folder);
  EXPECT_EQ(got.size(), want.size());
  expect_same_tensors(got, want);
}

TEST(Diffusers, OpenCheckpointDispatchesFoldersHere) {
  auto folder = open_checkpoint(k_names_dir / "sd1_diffusers");
  ASSERT_TRUE(folder) << folder.error().message();
  EXPECT_EQ(folder->format, Format::k_diffusers);
}

TEST(Diffusers, ListsOneSourcePerComponentAndPicksTheFp16Variant) {
  auto folder = open_diffusers(k_names_dir / "sd1_diffusers");
  ASSERT_TRUE(folder) << folder.error().message();
  ASSERT_EQ(folder->sources.size(), 3u);
  EXPECT_EQ(folder->sources[0].parent_path().filename(), "unet");
  EXPECT_EQ(folder->sources[1].filename(), "model.safetensors");
  EXPECT_EQ(folder->sources[2].filename(), "diffusion_pytorch_model.fp16.safetensors");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(folder->source_sizes[i], fs::file_size(folder->sources[i]));
  }
  for (const auto& t : folder->tensors) {
    const std::string expected_prefix =
        std::string(folder->sources[t.source].parent_path().filename()) + "/";
    EXPECT_TRUE(t.name.starts_with(expected_prefix)) << t.name;
  }
}

TEST(Diffusers, ReadsTorchBinWeights) {
  auto folder = open_diffusers(k_names_dir / "sd1_diffusers_bin");
  if (!folder && folder.error().code() == ErrorCode::k_not_supported) {
    GTEST_SKIP() << "torch zip reader not in this build: " << folder.error().message();
  }
  ASSERT_TRUE(folder) << folder.error().message();
  auto ldm = open_checkpoint(k_names_dir / "sd1_ldm.safetensors");
  ASSERT_TRUE(ldm);
  const auto got = by_canonical_name(*folder);
  EXPECT_EQ(got.size(), 197u + 248u);  // text encoder + VAE
  expect_same_tensors(got, by_canonical_name(*ldm));
}

TEST(Diffusers, PrefersFullPrecisionOverTheFp16Variant) {
  TempDir dir;
  fs::create_directories(dir / "vae");
  fs::copy_file(k_names_dir / "sd1_diffusers/vae/diffusion_pytorch_model.fp16.safetensors",
                dir.path() / "vae/diffusion_pytorch_model.safetensors");
  write_text(dir.path() / "vae/diffusion_pytorch_model.fp16.safetensors", "not read");
  auto folder = open_diffusers(dir.path());
  ASSERT_TRUE(folder) << folder.error().message();
  ASSERT_EQ(folder->sources.size(), 1u);
  EXPECT_EQ(folder->sources[0].filename(), "diffusion_pytorch_model.safetensors");
}

TEST(Diffusers, FolderWithoutWeightsIsNotFound) {
  TempDir dir;
  fs::create_directories(dir / "unet");
  write_text(dir.path() / "unet/config.json", "{}");
  auto folder = open_diffusers(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::k_not_found);
  EXPECT_NE(folder.error().message().find(dir.path().string()), std::string::npos);
}

TEST(Diffusers, CorruptWeightFileIsNamedInTheError) {
  TempDir dir;
  write_text(dir.path() / "unet/diffusion_pytorch_model.safetensors", "this is not a model");
  auto folder = open_diffusers(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(folder.error().message().find("unet/diffusion_pytorch_model.safetensors"),
            std::string::npos)
      << folder.error().message();
}

TEST(Diffusers, ShardedWeightsAreNotSupported) {
  TempDir dir;
  write_text(dir.path() / "unet/diffusion_pytorch_model.safetensors.index.json", "{}");
  auto folder = open_diffusers(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::k_not_supported);
}

}  // namespace
}  // namespace pedigree::formats
