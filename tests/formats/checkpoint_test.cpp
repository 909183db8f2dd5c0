#include "pedigree/formats/checkpoint.hpp"

#include <gtest/gtest.h>

#include "formats/fixtures.hpp"
#include "pedigree/formats/safetensors.hpp"

namespace pedigree::formats {
namespace {

using testing::as_bytes;
using testing::data_path;
using testing::load_json;
using testing::read_data;
using testing::TempDir;

TEST(Checkpoint, DetectsFormatsByContentNotByName) {
  // All three files are named *.bin; torch.save and the safetensors writer produced them.
  EXPECT_EQ(detect_format(as_bytes(read_data("detect_torch_zip.bin"))), Format::k_torch_zip);
  EXPECT_EQ(detect_format(as_bytes(read_data("detect_torch_legacy.bin"))), Format::k_torch_legacy);
  EXPECT_EQ(detect_format(as_bytes(read_data("detect_safetensors.bin"))), Format::k_safetensors);
  EXPECT_EQ(detect_format(as_bytes("hello, world, this is text")), std::nullopt);
  EXPECT_EQ(detect_format(as_bytes("")), std::nullopt);
}

TEST(Checkpoint, OpensASafetensorsFileWithAnyExtension) {
  TempDir dir;
  auto path = dir.write("renamed.ckpt", read_data("good_basic.safetensors"));
  auto checkpoint = open_checkpoint(path);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  EXPECT_EQ(checkpoint->format, Format::k_safetensors);
  ASSERT_EQ(checkpoint->sources.size(), 1u);
  EXPECT_EQ(checkpoint->sources[0], path);
  ASSERT_EQ(checkpoint->source_sizes.size(), 1u);
  EXPECT_EQ(checkpoint->source_sizes[0], std::filesystem::file_size(path));
}

TEST(Checkpoint, ReadsTheTinySd1SampleAndItsMergeRecipe) {
  auto expected = load_json("safetensors_expected.json")["sample_sd1_tiny.safetensors"];
  auto path = data_path("sample_sd1_tiny.safetensors");
  EXPECT_EQ(testing::sha256_hex(as_bytes(read_data("sample_sd1_tiny.safetensors"))),
            expected["sha256"].get<std::string>());
  auto checkpoint = open_checkpoint(path);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  EXPECT_EQ(checkpoint->tensors.size(), expected["tensor_count"].get<std::size_t>());
  EXPECT_EQ(checkpoint->data_start, expected["data_start"].get<std::uint64_t>());
  std::map<std::string, std::size_t> counts;
  for (const auto& t : checkpoint->tensors) {
    for (auto [part, prefix] : {std::pair{"unet", "model.diffusion_model."},
                                {"te", "cond_stage_model.transformer.text_model."},
                                {"vae", "first_stage_model."}}) {
      if (t.name.starts_with(prefix)) ++counts[part];
    }
  }
  EXPECT_EQ(counts["unet"], 686u);  // the real SD1.x UNet key count (docs: domain facts)
  EXPECT_EQ(counts["unet"], expected["counts"]["unet"].get<std::size_t>());
  EXPECT_EQ(counts["te"], expected["counts"]["te"].get<std::size_t>());
  EXPECT_EQ(counts["vae"], expected["counts"]["vae"].get<std::size_t>());
  ASSERT_TRUE(checkpoint->metadata.contains("sd_merge_recipe"));
  auto recipe = nlohmann::json::parse(checkpoint->metadata.at("sd_merge_recipe"));
  EXPECT_EQ(recipe["interp_method"], "Weighted sum");
  using StringMap = std::map<std::string, std::string>;
  EXPECT_EQ(checkpoint->metadata, expected["metadata"].get<StringMap>());
}

TEST(Checkpoint, RefusesAnEmptyFile) {
  TempDir dir;
  auto path = dir.write("empty.safetensors", "");
  auto result = open_checkpoint(path);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::k_corruption);
  EXPECT_EQ(result.error().message(), path.string() + ": empty file (0 bytes), not a checkpoint");
}

TEST(Checkpoint, SaysWhatANonCheckpointLooksLike) {
  TempDir dir;
  auto png =
      open_checkpoint(dir.write("image.safetensors", std::string("\x89PNG\r\n\x1a\n\0\0", 10)));
  ASSERT_FALSE(png);
  EXPECT_NE(
      png.error().message().find("not a checkpoint: a PNG image (10 bytes, starting 89 50 4e 47"),
      std::string::npos)
      << png.error().message();
  auto text = open_checkpoint(dir.write("notes.ckpt", "<!DOCTYPE html><html>404</html>"));
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("text starting \"<!DOCTYPE html>"), std::string::npos)
      << text.error().message();
}

TEST(Checkpoint, RefusesMissingPathsDevicesAndFoldersWithoutModels) {
  TempDir dir;
  auto missing = open_checkpoint(dir.path() / "nope.safetensors");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::k_not_found);

  auto device = open_checkpoint("/dev/null");
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().code(), ErrorCode::k_invalid_argument);
  EXPECT_NE(device.error().message().find("/dev/null"), std::string::npos);

  dir.write("folder/readme.txt", "no weights here");
  auto folder = open_checkpoint(dir.path() / "folder");
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::k_not_found);
  EXPECT_NE(folder.error().message().find("no model files"), std::string::npos);
}

TEST(Checkpoint, KeepsNoPointerIntoTheClosedMap) {
  // The map is released when open_checkpoint returns; everything must still be usable.
  TempDir dir;
  auto path = dir.write("m.safetensors", read_data("good_basic.safetensors"));
  auto checkpoint = open_checkpoint(path);
  ASSERT_TRUE(checkpoint);
  std::filesystem::remove(path);
  std::size_t names = 0;
  for (const auto& t : checkpoint->tensors) names += t.name.size();
  for (const auto& [k, v] : checkpoint->metadata) names += k.size() + v.size();
  EXPECT_GT(names, 0u);
}

}  // namespace
}  // namespace pedigree::formats
