// The merge stages the files it adds by splicing them into the git index
// (src/pedigree/ledger/git_index_file.hpp), or through libgit2 when the index
// is in a form the splice leaves to it (here version 4): either way git sees
// every added file staged and the working tree clean.
#include <gtest/gtest.h>

#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

void expect_merge_staged_with_index_version(const std::string& version) {
  SCOPED_TRACE("git index version " + version);
  SyncFixture fx;
  git_out(fx.dir(), "update-index --index-version " + version);
  auto carol = fx.attacker();
  auto key = crypto::PrivateKey::generate();
  auto ledger = ledger::Ledger::open(carol);
  ASSERT_TRUE(ledger);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ledger->add_event(*key, {"Carol", "c@e"}, model_statement(artifact(70 + i))));
  }
  git_out(carol, "push -q origin HEAD:main");
  SyncOptions options;
  options.push = PushMode::k_no_push;
  auto report = fx.sync_alice(options);
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(report.merge, MergeKind::k_fast_forward);
  EXPECT_EQ(event_files(fx.dir()), event_files(carol));
  EXPECT_EQ(run_command(cd(fx.dir()) + "git status --porcelain").output, "");
  // The index holds exactly HEAD's files with HEAD's blob ids.
  EXPECT_EQ(git_out(fx.dir(), "ls-files -s | awk '{print $2, $4}'"),
            git_out(fx.dir(), "ls-tree -r HEAD | awk '{print $3, $4}'"));
  EXPECT_EQ(trimmed(git_out(fx.dir(), "write-tree")),
            trimmed(git_out(fx.dir(), "rev-parse HEAD^{tree}")));
}

TEST(SyncMerge, AddedFilesAreStagedBySplicingTheGitIndex) {
  expect_merge_staged_with_index_version("2");
}

TEST(SyncMerge, AddedFilesAreStagedThroughLibgit2WhenTheSpliceCannot) {
  expect_merge_staged_with_index_version("4");
}

}  // namespace
}  // namespace pedigree::sync
