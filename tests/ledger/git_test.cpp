// GitRepo::diff against `git diff-tree` on the same commits, and
// create_commit/advance_head's compare-and-swap.
#include "pedigree/ledger/git.hpp"

#include <gtest/gtest.h>

#include "support/git_cli.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

std::string commit_all(const std::filesystem::path& dir, const std::string& message) {
  git(dir, "add -A");
  git(dir, "-c user.name=t -c user.email=t@e commit -q --allow-empty -m " + shell_quote(message));
  return git(dir, "rev-parse HEAD");
}

// "A\tpath" lines as `git diff-tree -r --no-renames --name-status` prints them.
std::string ours_as_name_status(const std::vector<GitRepo::Change>& changes) {
  std::string out;
  for (const auto& c : changes) {
    char k = c.kind == GitRepo::ChangeKind::k_added     ? 'A'
             : c.kind == GitRepo::ChangeKind::k_deleted ? 'D'
                                                        : 'M';
    out += std::string(out.empty() ? "" : "\n") + k + "\t" + c.entry.path;
  }
  return out;
}

TEST(GitRepo, DiffMatchesGitDiffTreeForEveryKindOfChange) {
  TempDir dir;
  auto repo = GitRepo::init(dir / "r");
  ASSERT_TRUE(repo);
  auto r = dir / "r";
  write_text(r / "a" / "b" / "keep", "1");
  write_text(r / "a" / "b" / "change", "1");
  write_text(r / "a" / "gone", "1");
  write_text(r / "turns-into-dir", "1");
  write_text(r / "dir-turns-into-file" / "x", "1");
  auto first = commit_all(r, "one");
  write_text(r / "a" / "b" / "change", "2");
  std::filesystem::remove(r / "a" / "gone");
  std::filesystem::remove(r / "turns-into-dir");
  write_text(r / "turns-into-dir" / "inner", "1");
  std::filesystem::remove_all(r / "dir-turns-into-file");
  write_text(r / "dir-turns-into-file", "1");
  write_text(r / "new" / "deep" / "file", "1");
  std::filesystem::create_symlink("a/b/keep", r / "link");
  auto second = commit_all(r, "two");
  auto ours = repo->diff(first, second);
  ASSERT_TRUE(ours) << ours.error().message();
  // git prints in path order too; compare as sorted line sets.
  auto sorted = [](std::string text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted(ours_as_name_status(*ours)),
            sorted(git(r, "diff-tree -r --no-renames --name-status " + first + " " + second)));
  for (const auto& c : *ours) {
    if (c.entry.path == "link") {
      EXPECT_EQ(c.entry.mode, 0120000u);
    }
  }
  // From the empty tree: everything is added.
  auto all = repo->diff("", second);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), sorted(git(r, "ls-tree -r --name-only " + second)).size());
  EXPECT_TRUE(repo->diff(second, second)->empty());
}

TEST(GitRepo, AdvanceHeadRefusesWhenTheBranchMoved) {
  TempDir dir;
  auto repo = GitRepo::init(dir / "r");
  ASSERT_TRUE(repo);
  auto c1 = repo->commit_files({{"f", "1"}}, "t", "t@e", "one");
  ASSERT_TRUE(c1);
  auto tree = repo->tree_of(*c1);
  ASSERT_TRUE(tree);
  auto c2 = repo->create_commit(*tree, {*c1}, "t", "t@e", "two", nullptr);
  ASSERT_TRUE(c2);
  EXPECT_EQ(repo->head().value(), *c1);  // create_commit moves nothing
  auto stale = repo->advance_head(std::string(40, '0'), *c2);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::k_conflict);
  ASSERT_TRUE(repo->advance_head(*c1, *c2));
  EXPECT_EQ(repo->head().value(), *c2);
  EXPECT_EQ(repo->parents_of(*c2).value(), std::vector<std::string>{*c1});
}

}  // namespace
}  // namespace pedigree::ledger
