// Where `pedigree site DIR` may write and how it replaces a previous site
// (src/pedigree/site/site_dir.cpp): refusal of a directory that is not a
// site, the staging directory beside DIR, the atomic swap.
#include "pedigree/site/site_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/ledger_support.hpp"

namespace pedigree::site {
namespace {

namespace fs = std::filesystem;
using pedigree::testing::TempDir;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string k_marker = R"({"schema":"pedigree-site/1"})";

TEST(SiteDir, StatesOfADirectory) {
  TempDir t;
  EXPECT_EQ(*dir_state(t / "absent"), DirState::k_absent);
  fs::create_directories(t / "empty");
  EXPECT_EQ(*dir_state(t / "empty"), DirState::k_empty);
  write(t / "site" / k_marker_file, k_marker);
  EXPECT_EQ(*dir_state(t / "site"), DirState::k_previous_site);
  write(t / "other" / "notes.txt", "mine");
  EXPECT_EQ(*dir_state(t / "other"), DirState::k_other);
  write(t / "file", "x");
  EXPECT_EQ(*dir_state(t / "file"), DirState::k_other);
  // A marker that is not pedigree's does not make a site.
  write(t / "fake" / k_marker_file, R"({"schema":"something-else"})");
  EXPECT_EQ(*dir_state(t / "fake"), DirState::k_other);
}

TEST(SiteDir, RefusesADirectoryThatIsNotASiteWithoutForce) {
  TempDir t;
  write(t / "docs" / "notes.txt", "mine");
  auto staging = begin_site(t / "docs", Overwrite::k_refuse);
  ASSERT_FALSE(staging);
  EXPECT_EQ(staging.error().code(), ErrorCode::k_conflict);
  EXPECT_NE(staging.error().message().find("--force"), std::string::npos);
  EXPECT_EQ(read(t / "docs" / "notes.txt"), "mine");
  // Nothing was left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(SiteDir, StagingIsASiblingPublishedByRename) {
  TempDir t;
  auto staging = begin_site(t / "public", Overwrite::k_refuse);
  ASSERT_TRUE(staging) << staging.error().message();
  EXPECT_EQ(staging->parent_path(), t.path());
  EXPECT_EQ((fs::status(*staging).permissions() & fs::perms::all),
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                fs::perms::others_read | fs::perms::others_exec);
  write(*staging / k_marker_file, k_marker);
  ASSERT_TRUE(publish_site(*staging, t / "public", Overwrite::k_refuse));
  EXPECT_EQ(read(t / "public" / k_marker_file), k_marker);
  EXPECT_FALSE(fs::exists(*staging));
}

TEST(SiteDir, APreviousSiteIsSwappedOutWhole) {
  TempDir t;
  write(t / "public" / k_marker_file, k_marker);
  write(t / "public" / "model" / "old.json", "old");
  auto staging = begin_site(t / "public", Overwrite::k_refuse);
  ASSERT_TRUE(staging) << staging.error().message();
  write(*staging / k_marker_file, k_marker);
  write(*staging / "model" / "new.json", "new");
  ASSERT_TRUE(publish_site(*staging, t / "public", Overwrite::k_refuse));
  EXPECT_EQ(read(t / "public" / "model" / "new.json"), "new");
  EXPECT_FALSE(fs::exists(t / "public" / "model" / "old.json"));
  EXPECT_FALSE(fs::exists(*staging));
}

TEST(SiteDir, ForceReplacesAnything) {
  TempDir t;
  write(t / "docs" / "notes.txt", "mine");
  auto staging = begin_site(t / "docs", Overwrite::k_force);
  ASSERT_TRUE(staging) << staging.error().message();
  write(*staging / k_marker_file, k_marker);
  ASSERT_TRUE(publish_site(*staging, t / "docs", Overwrite::k_force));
  EXPECT_FALSE(fs::exists(t / "docs" / "notes.txt"));
  EXPECT_TRUE(fs::exists(t / "docs" / k_marker_file));
}

TEST(SiteDir, ADirectoryFilledWhileBuildingIsNotReplaced) {
  TempDir t;
  auto staging = begin_site(t / "public", Overwrite::k_refuse);
  ASSERT_TRUE(staging);
  write(t / "public" / "notes.txt", "written meanwhile");
  auto published = publish_site(*staging, t / "public", Overwrite::k_refuse);
  ASSERT_FALSE(published);
  EXPECT_EQ(published.error().code(), ErrorCode::k_conflict);
  EXPECT_EQ(read(t / "public" / "notes.txt"), "written meanwhile");
  abandon_site(*staging);
  EXPECT_FALSE(fs::exists(*staging));
}

TEST(SiteDir, RefusesANameThatIsNotADirectoryName) {
  EXPECT_EQ(begin_site(".", Overwrite::k_force).error().code(), ErrorCode::k_invalid_argument);
  EXPECT_EQ(begin_site("", Overwrite::k_force).error().code(), ErrorCode::k_invalid_argument);
}

}  // namespace
}  // namespace pedigree::site
