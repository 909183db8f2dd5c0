// Splicing new files into a git index (src/pedigree/ledger/git_index_file.hpp),
// judged by the git CLI: the result must be the index `git add` makes, with a
// tree cache that still yields the right trees, and anything unusual must be
// left untouched for libgit2.
#include <gtest/gtest.h>

#include "pedigree/ledger/git_index_file.hpp"
#include "support/git_cli.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

constexpr const char* k_commit = "-c user.name=t -c user.email=t@e.invalid commit -qm c";

// A repository with a few committed files in nested directories; its index
// holds git's tree cache (written by the commit).
void make_index_repo(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  git(dir, "init -q");
  for (const char* path : {"LEDGER.json", "events/00/aa/e1.json", "events/00/bb/e2.json",
                           "events/ff/cc/e3.json", "keys/k1.json"}) {
    write_text(dir / path, std::string("content of ") + path + "\n");
  }
  git(dir, "add -A");
  git(dir, k_commit);
}

// The id of the file at `path`, stored as a blob (as sync has it before staging).
std::array<unsigned char, 20> blob_id(const std::filesystem::path& dir, const std::string& path) {
  std::string hex = git(dir, "hash-object -w " + shell_quote(path));
  std::array<unsigned char, 20> id{};
  for (std::size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return id;
}

// Writes `paths` into the working tree and describes them for the index.
std::vector<GitIndexAddition> write_new_files(const std::filesystem::path& dir,
                                              const std::vector<std::string>& paths) {
  std::vector<GitIndexAddition> added;
  for (const auto& path : paths) {
    write_text(dir / path, "new file " + path + "\n");
    GitIndexAddition a;
    a.path = path;
    a.id = blob_id(dir, path);
    EXPECT_TRUE(stat_for_index(dir / path, a));
    added.push_back(a);
  }
  return added;
}

const std::vector<std::string> k_new = {"events/00/aa/e0.json", "events/00/ab/e4.json",
                                        "events/ff/zz/e5.json", "events/11/dd/e6.json",
                                        "README.md"};

TEST(GitIndexFile, AddedFilesAreStagedAsGitAddStagesThem) {
  TempDir temp;
  const auto ours = temp / "ours";
  const auto reference = temp / "reference";
  make_index_repo(ours);
  git(temp.path(), "clone -q ours reference");
  auto added = write_new_files(ours, k_new);
  write_new_files(reference, k_new);
  auto done = add_to_git_index(ours / ".git", added);
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_TRUE(*done);
  git(reference, "add -A");
  // Same entries and ids as `git add`, and the tree cache does not hide a change.
  EXPECT_EQ(git(ours, "ls-files -s"), git(reference, "ls-files -s"));
  EXPECT_EQ(git(ours, "write-tree"), git(reference, "write-tree"));
  // The stat data matches the files: git sees them staged and unmodified.
  std::string expected;
  for (const char* path : {"README.md", "events/00/aa/e0.json", "events/00/ab/e4.json",
                           "events/11/dd/e6.json", "events/ff/zz/e5.json"}) {
    expected += std::string("A  ") + path + "\n";
  }
  EXPECT_EQ(git(ours, "status --porcelain") + "\n", expected);
  EXPECT_EQ(git(ours, "diff --stat"), "");
  // A commit from it is the reference's commit tree.
  git(ours, k_commit);
  git(reference, k_commit);
  EXPECT_EQ(git(ours, "rev-parse HEAD^{tree}"), git(reference, "rev-parse HEAD^{tree}"));
  EXPECT_EQ(git(ours, "status --porcelain"), "");
}

TEST(GitIndexFile, AnIndexVersion3WithExtendedFlagsIsSpliced) {
  TempDir temp;
  make_index_repo(temp / "r");
  git(temp / "r", "update-index --skip-worktree keys/k1.json");  // forces version 3
  auto added = write_new_files(temp / "r", {"events/00/aa/e9.json"});
  auto done = add_to_git_index(temp / "r" / ".git", added);
  ASSERT_TRUE(done);
  EXPECT_TRUE(*done);
  EXPECT_EQ(git(temp / "r", "ls-files -v keys/k1.json"), "S keys/k1.json");
  EXPECT_EQ(git(temp / "r", "status --porcelain"), "A  events/00/aa/e9.json");
}

// Each case must leave the index byte for byte as it was and return false.
void expect_left_to_libgit2(const std::filesystem::path& dir,
                            const std::vector<GitIndexAddition>& added) {
  const std::string before = read_text(dir / ".git" / "index");
  auto done = add_to_git_index(dir / ".git", added);
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_FALSE(*done);
  EXPECT_EQ(read_text(dir / ".git" / "index"), before);
}

TEST(GitIndexFile, IndexVersion4IsLeftToLibgit2) {
  TempDir temp;
  make_index_repo(temp / "r");
  git(temp / "r", "update-index --index-version 4");
  expect_left_to_libgit2(temp / "r", write_new_files(temp / "r", {"events/00/aa/e9.json"}));
}

TEST(GitIndexFile, APathAlreadyInTheIndexIsLeftToLibgit2) {
  TempDir temp;
  make_index_repo(temp / "r");
  expect_left_to_libgit2(temp / "r", write_new_files(temp / "r", {"keys/k1.json"}));
}

TEST(GitIndexFile, AFileWhereADirectoryIsNeededIsLeftToLibgit2) {
  TempDir temp;
  make_index_repo(temp / "r");
  GitIndexAddition under_a_file;
  under_a_file.path = "LEDGER.json/x";
  expect_left_to_libgit2(temp / "r", {under_a_file});
  GitIndexAddition over_a_directory;
  over_a_directory.path = "events/00";
  expect_left_to_libgit2(temp / "r", {over_a_directory});
}

TEST(GitIndexFile, ADamagedIndexIsLeftToLibgit2) {
  TempDir temp;
  make_index_repo(temp / "r");
  auto index = temp / "r" / ".git" / "index";
  std::string bytes = read_text(index);
  bytes[bytes.size() / 2] ^= 1;
  write_text(index, bytes);
  expect_left_to_libgit2(temp / "r", write_new_files(temp / "r", {"events/00/aa/e9.json"}));
}

TEST(GitIndexFile, AHeldLockFailsWithoutChangingTheIndex) {
  TempDir temp;
  make_index_repo(temp / "r");
  const std::string before = read_text(temp / "r" / ".git" / "index");
  write_text(temp / "r" / ".git" / "index.lock", "");
  auto done =
      add_to_git_index(temp / "r" / ".git", write_new_files(temp / "r", {"events/00/aa/e9.json"}));
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().message().find("index.lock"), std::string::npos);
  EXPECT_EQ(read_text(temp / "r" / ".git" / "index"), before);
}

}  // namespace
}  // namespace pedigree::ledger
