// read_head_commit (HEAD read without libgit2) against `git rev-parse HEAD`
// on real repositories made with the git CLI: a branch as a loose ref and in
// packed-refs, detached HEAD; and the layouts it must leave to libgit2
// (symbolic chains, linked worktrees, reftable, unborn branches, hostile or
// corrupt files), where GitRepo::head() must still give git's answer.
#include "pedigree/ledger/git_head.hpp"

#include <gtest/gtest.h>

#include "pedigree/ledger/git.hpp"
#include "support/git_cli.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

// A repository in `dir` with branch main and `commits` commits; returns HEAD.
std::string make_repo_with_commits(const std::filesystem::path& dir, int commits) {
  std::filesystem::create_directories(dir);
  git(dir, "init -q -b main");
  for (int i = 0; i < commits; ++i) {
    write_text(dir / ("f" + std::to_string(i)), std::to_string(i));
    git(dir, "add -A");
    git(dir, "-c user.name=t -c user.email=t@e commit -q -m c" + std::to_string(i));
  }
  return commits > 0 ? git(dir, "rev-parse HEAD") : "";
}

std::optional<std::string> libgit2_head(const std::filesystem::path& dir) {
  auto repo = GitRepo::open(dir);
  EXPECT_TRUE(repo) << repo.error().message();
  if (!repo) return std::nullopt;
  auto head = repo->head();
  EXPECT_TRUE(head) << head.error().message();
  return head ? *head : std::nullopt;
}

TEST(GitHead, ReadsBranchFromLooseRef) {
  TempDir dir;
  const auto head = make_repo_with_commits(dir.path(), 2);
  ASSERT_TRUE(std::filesystem::exists(dir.path() / ".git/refs/heads/main"));
  EXPECT_EQ(read_head_commit(dir.path()), head);
  EXPECT_EQ(libgit2_head(dir.path()), head);
}

TEST(GitHead, ReadsBranchFromPackedRefsWithPeeledTags) {
  TempDir dir;
  make_repo_with_commits(dir.path(), 1);
  git(dir.path(), "-c user.name=t -c user.email=t@e tag -a -m annotated v1");
  git(dir.path(), "branch other");
  write_text(dir.path() / "g", "more");
  git(dir.path(), "add -A");
  git(dir.path(), "-c user.name=t -c user.email=t@e commit -q -m c2");
  const auto head = git(dir.path(), "rev-parse HEAD");
  git(dir.path(), "pack-refs --all");
  ASSERT_FALSE(std::filesystem::exists(dir.path() / ".git/refs/heads/main"));
  ASSERT_NE(read_text(dir.path() / ".git/packed-refs").find("\n^"), std::string::npos);
  EXPECT_EQ(read_head_commit(dir.path()), head);
  EXPECT_EQ(libgit2_head(dir.path()), head);
}

TEST(GitHead, LooseRefWinsOverStalePackedRefs) {
  TempDir dir;
  make_repo_with_commits(dir.path(), 1);
  git(dir.path(), "pack-refs --all");
  write_text(dir.path() / "g", "more");
  git(dir.path(), "add -A");
  git(dir.path(), "-c user.name=t -c user.email=t@e commit -q -m c2");
  const auto head = git(dir.path(), "rev-parse HEAD");
  ASSERT_TRUE(std::filesystem::exists(dir.path() / ".git/refs/heads/main"));
  EXPECT_EQ(read_head_commit(dir.path()), head);
}

TEST(GitHead, ReadsDetachedHead) {
  TempDir dir;
  make_repo_with_commits(dir.path(), 3);
  git(dir.path(), "checkout -q --detach HEAD~1");
  const auto head = git(dir.path(), "rev-parse HEAD");
  EXPECT_EQ(read_head_commit(dir.path()), head);
  EXPECT_EQ(libgit2_head(dir.path()), head);
}

TEST(GitHead, LeavesSymbolicChainsToLibgit2) {
  TempDir dir;
  const auto head = make_repo_with_commits(dir.path(), 1);
  git(dir.path(), "symbolic-ref refs/heads/alias refs/heads/main");
  git(dir.path(), "symbolic-ref HEAD refs/heads/alias");
  ASSERT_EQ(git(dir.path(), "rev-parse HEAD"), head);
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  EXPECT_EQ(libgit2_head(dir.path()), head);
}

TEST(GitHead, LeavesLinkedWorktreesToLibgit2) {
  TempDir dir;
  make_repo_with_commits(dir / "main", 2);
  git(dir / "main", "worktree add -q -b side " + shell_quote((dir / "wt").string()) + " HEAD~1");
  const auto head = git(dir / "wt", "rev-parse HEAD");
  ASSERT_TRUE(std::filesystem::is_regular_file(dir / "wt/.git"));
  EXPECT_EQ(read_head_commit(dir / "wt"), std::nullopt);
  EXPECT_EQ(libgit2_head(dir / "wt"), head);
}

TEST(GitHead, LeavesReftableAndUnbornBranchesToLibgit2) {
  TempDir dir;
  make_repo_with_commits(dir.path(),
                         0);  // unborn: HEAD names refs/heads/main, which does not exist
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  auto repo = GitRepo::open(dir.path());
  ASSERT_TRUE(repo) << repo.error().message();
  auto head = repo->head();
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(*head, std::nullopt);

  TempDir other;
  make_repo_with_commits(other.path(), 1);
  std::filesystem::create_directory(other.path() / ".git/reftable");
  EXPECT_EQ(read_head_commit(other.path()), std::nullopt);
}

TEST(GitHead, MissingRepositoryIsNotFound) {
  TempDir dir;
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  EXPECT_EQ(read_head_commit(dir / "absent"), std::nullopt);
  auto repo = GitRepo::open(dir.path());
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code(), ErrorCode::k_not_found);
  // A .git directory without HEAD is not a repository either (opened eagerly).
  std::filesystem::create_directories(dir / ".git/objects");
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  EXPECT_FALSE(GitRepo::open(dir.path()));
}

TEST(GitHead, RefusesHostileOrCorruptHeadContents) {
  TempDir dir;
  const auto head = make_repo_with_commits(dir.path(), 1);
  const std::string valid = "ref: refs/heads/main\n";
  ASSERT_EQ(read_text(dir.path() / ".git/HEAD"), valid);
  const std::vector<std::string> hostile = {
      "",
      "ref: refs/heads/main",  // no newline
      "ref: refs/heads/main\n\n",
      "ref:refs/heads/main\n",
      "ref: refs/heads/../../../../../../etc/passwd\n",
      "ref: refs/heads/a/../main\n",
      "ref: refs/heads/.hidden\n",
      "ref: refs/heads/main.lock\n",
      "ref: refs/heads/\n",
      "ref: refs/heads//main\n",
      "ref: refs/tags/v1\n",
      "ref: HEAD\n",
      std::string("ref: refs/heads/ma\0in\n", 22),
      "ref: refs/heads/" + std::string(300, 'a') + "\n",
      head + "0\n",                                  // 41 hex
      head.substr(1) + "\n",                         // 39 hex
      "ABCDEF0123456789ABCDEF0123456789ABCDEF01\n",  // upper case
      head + "\r\n",
      std::string(1 << 20, 'x'),
  };
  for (const auto& content : hostile) {
    write_text(dir.path() / ".git/HEAD", content);
    EXPECT_EQ(read_head_commit(dir.path()), std::nullopt) << content.substr(0, 80);
    auto repo = GitRepo::open(dir.path());
    if (repo) (void)repo->head();  // libgit2's answer, whatever it is, without crashing
  }
  // HEAD as a symlink to a valid HEAD elsewhere is left to libgit2 too.
  write_text(dir / "elsewhere", valid);
  std::filesystem::remove(dir.path() / ".git/HEAD");
  std::filesystem::create_symlink(dir / "elsewhere", dir.path() / ".git/HEAD");
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
}

TEST(GitHead, RefusesCorruptRefFiles) {
  TempDir dir;
  const auto head = make_repo_with_commits(dir.path(), 1);
  const auto ref = dir.path() / ".git/refs/heads/main";
  for (const std::string& content :
       {std::string("zz\n"), head, head + "\n\n", head.substr(0, 39) + "g\n", std::string()}) {
    write_text(ref, content);
    EXPECT_EQ(read_head_commit(dir.path()), std::nullopt) << content;
  }
  std::filesystem::remove(ref);
  std::filesystem::create_directory(ref);  // a directory where the ref should be
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  std::filesystem::remove(ref);
  write_text(dir.path() / ".git/packed-refs",
             "# pack-refs with: peeled\n" + head + " refs/heads/main\nnot a line\n");
  EXPECT_EQ(read_head_commit(dir.path()), std::nullopt);
  write_text(dir.path() / ".git/packed-refs", head + " refs/heads/main\n");
  EXPECT_EQ(read_head_commit(dir.path()), head);
}

TEST(GitHead, ParsesPackedRefsStrictly) {
  const std::string a(40, 'a'), b(40, 'b');
  EXPECT_EQ(find_packed_ref(a + " refs/heads/main", "refs/heads/main"), a);  // no final newline
  EXPECT_EQ(find_packed_ref("# h\n" + a + " refs/heads/x\n^" + b + "\n" + b + " refs/heads/main\n",
                            "refs/heads/main"),
            b);
  EXPECT_EQ(find_packed_ref(a + " refs/heads/main\n" + b + " refs/heads/main\n", "refs/heads/main"),
            std::nullopt);  // listed twice
  EXPECT_EQ(find_packed_ref("^" + a + "\n" + b + " refs/heads/main\n", "refs/heads/main"),
            std::nullopt);  // a peeled line without its ref
  EXPECT_EQ(find_packed_ref(a + " refs/heads/other\n", "refs/heads/main"), std::nullopt);
  EXPECT_EQ(find_packed_ref(a + "  refs/heads/main\n", "refs/heads/main"), std::nullopt);
}

TEST(GitHead, AcceptsOnlyPlainBranchNames) {
  for (const char* ok : {"refs/heads/main", "refs/heads/feature/x-1_2+3", "refs/heads/v1.2"}) {
    EXPECT_TRUE(is_plain_branch_name(ok)) << ok;
  }
  for (const char* bad :
       {"refs/heads/", "refs/heads/a//b", "refs/heads/a/", "refs/heads/.a", "refs/heads/a/.b",
        "refs/heads/a..b", "refs/heads/a.lock", "refs/heads/a b", "refs/heads/a~1",
        "refs/heads/a:b", "refs/heads/@{-1}", "refs/tags/main", "heads/main", "refs/heads/a\\b"}) {
    EXPECT_FALSE(is_plain_branch_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace pedigree::ledger
