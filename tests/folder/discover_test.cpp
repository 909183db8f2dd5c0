// Finding model files: layouts, kinds, magic bytes, loops (folder/discover.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "pedigree/folder/discover.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

// The smallest safetensors header detect_format accepts: u64 length, then '{'.
void write_tiny_safetensors(const fs::path& p) {
  std::string header = "{}      ";
  std::string file(8, '\0');
  file[0] = static_cast<char>(header.size());
  write_text(p, file + header);
}

TEST(Discover, KindComesFromTheNearestWebUiFolder) {
  EXPECT_EQ(kind_from_path("models/Stable-diffusion/a.safetensors"), "checkpoint");
  EXPECT_EQ(kind_from_path("models/Stable-diffusion/Lora-like/a.ckpt"), "checkpoint");
  EXPECT_EQ(kind_from_path("models/Lora/sub/a.safetensors"), "lora");
  EXPECT_EQ(kind_from_path("models/LyCORIS/a.safetensors"), "lycoris");
  EXPECT_EQ(kind_from_path("models/vae/a.pt"), "vae");
  EXPECT_EQ(kind_from_path("embeddings/a.pt"), "embedding");
  EXPECT_EQ(kind_from_path("models/hypernetworks/a.pt"), "hypernetwork");
  EXPECT_EQ(kind_from_path("downloads/a.safetensors"), "model");
}

TEST(Discover, ReadsOnlyFilesWhoseExtensionAndMagicBothSayModel) {
  TempDir dir;
  write_tiny_safetensors(dir / "a.safetensors");
  write_tiny_safetensors(dir / "b.txt");                // wrong extension: ignored
  write_text(dir / "c.bin", "plain text, no model\n");  // model extension, other content
  write_text(dir / "d.ckpt", std::string("PK\x03\x04", 4) + "rest");
  write_text(dir / ".hidden" / "e.safetensors", "x");  // hidden folders are not walked
  auto d = discover(dir.path());
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->layout, Layout::k_plain);
  ASSERT_EQ(d->files.size(), 2u);
  EXPECT_EQ(d->files[0].relative, "a.safetensors");
  EXPECT_EQ(d->files[0].format, formats::Format::k_safetensors);
  EXPECT_EQ(d->files[1].relative, "d.ckpt");
  EXPECT_EQ(d->files[1].format, formats::Format::k_torch_zip);
  ASSERT_EQ(d->skipped.size(), 1u);
  EXPECT_EQ(d->skipped[0].relative, "c.bin");
  EXPECT_TRUE(d->problems.empty());
}

TEST(Discover, ASymlinkLoopAndADanglingLinkAreProblemsNotFailures) {
  TempDir dir;
  write_tiny_safetensors(dir / "models" / "a.safetensors");
  fs::create_directory_symlink(dir.path(), dir / "models" / "up");
  fs::create_symlink(dir / "gone.safetensors", dir / "models" / "dangling.safetensors");
  auto d = discover(dir.path());
  ASSERT_TRUE(d) << d.error().message();
  ASSERT_EQ(d->files.size(), 1u);
  ASSERT_EQ(d->problems.size(), 2u);
  EXPECT_EQ(d->problems[0].relative, "models/dangling.safetensors");
  EXPECT_NE(d->problems[0].reason.find("broken symlink"), std::string::npos);
  EXPECT_EQ(d->problems[1].relative, "models/up");
  EXPECT_NE(d->problems[1].reason.find("already scanned"), std::string::npos);
}

TEST(Discover, AnA1111InstallIsWalkedInItsModelFoldersOnly) {
  TempDir dir;
  write_tiny_safetensors(dir / "models" / "Stable-diffusion" / "a.safetensors");
  write_tiny_safetensors(dir / "embeddings" / "e.safetensors");
  write_tiny_safetensors(dir / "venv" / "lib" / "v.safetensors");
  auto d = discover(dir.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->layout, Layout::k_a1111);
  ASSERT_EQ(d->files.size(), 2u);
  EXPECT_EQ(d->files[0].relative, "embeddings/e.safetensors");
  EXPECT_EQ(d->files[0].kind, "embedding");
  ASSERT_TRUE(d->a1111_root);
  // Its models folder alone still finds the install (for cache.json).
  auto sub = discover(dir / "models" / "Stable-diffusion");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->layout, Layout::k_plain);
  ASSERT_TRUE(sub->a1111_root);
  EXPECT_EQ(fs::canonical(*sub->a1111_root), fs::canonical(dir.path()));
}

TEST(Discover, RefusesAMissingRootOrAFile) {
  TempDir dir;
  EXPECT_EQ(discover(dir / "nope").error().code(), ErrorCode::k_not_found);
  write_text(dir / "f", "x");
  EXPECT_EQ(discover(dir / "f").error().code(), ErrorCode::k_invalid_argument);
}

}  // namespace
}  // namespace pedigree::folder
