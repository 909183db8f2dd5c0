// sync_remote and clone_ledger over file:// remotes, with the git CLI as the
// other side and as an independent check of the results.
#include "pedigree/sync/sync.hpp"

#include <gtest/gtest.h>

#include "pedigree/sync/remotes.hpp"
#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

// A second user: a clone of the remote and their own key.
struct Peer {
  std::filesystem::path dir;
  crypto::PrivateKey key = std::move(*crypto::PrivateKey::generate());

  ledger::Ledger::AddResult attest(const ledger::Statement& st) {
    auto ledger = ledger::Ledger::open(dir);
    EXPECT_TRUE(ledger);
    auto r = ledger->add_event(key, {"Bob", "bob@example.org"}, st);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return *r;
  }
};

Peer clone_peer(SyncFixture& fx) {
  Peer bob{fx.temp() / "bob"};
  auto report = clone_ledger(fx.remote_url(), bob.dir, {});
  EXPECT_TRUE(report) << (report ? "" : report.error().message());
  EXPECT_EQ(report->outcome, SyncOutcome::k_ok) << report->message;
  return bob;
}

TEST(Sync, CloneVerifiesEveryCommitAndRecordsTheAcceptedTip) {
  SyncFixture fx;
  fx.attest(model_statement(artifact(2)));
  ASSERT_EQ(fx.sync_alice().outcome, SyncOutcome::k_ok);
  Peer bob = clone_peer(fx);
  EXPECT_EQ(event_files(bob.dir), event_files(fx.dir()));
  EXPECT_EQ(fx.head(bob.dir), fx.remote_head());
  EXPECT_EQ(run_command(cd(bob.dir) + "git status --porcelain").output, "");
  EXPECT_EQ(run_command(cd(bob.dir) + "git fsck --strict 2>&1").exit_code, 0);
  auto store = RemoteStore::load(RemoteStore::path_for(bob.dir));
  ASSERT_TRUE(store);
  ASSERT_NE(store->find("origin"), nullptr);
  EXPECT_EQ(store->find("origin")->accepted_tip, fx.remote_head());
  EXPECT_TRUE(ledger::Ledger::open(bob.dir));
}

TEST(Sync, PushThenFastForwardBringsTheOtherUsersEventsIntoTheIndex) {
  SyncFixture fx;
  Peer bob = clone_peer(fx);
  auto added = bob.attest(model_statement(artifact(7), {{"autov1", "925997e9"}}));
  auto pushed = SyncFixture::sync_dir(bob.dir);
  ASSERT_EQ(pushed.outcome, SyncOutcome::k_ok) << pushed.message;
  EXPECT_TRUE(pushed.pushed);
  EXPECT_EQ(fx.remote_head(), fx.head(bob.dir));
  auto report = fx.sync_alice();
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(report.merge, MergeKind::k_fast_forward);
  EXPECT_EQ(fx.head(fx.dir()), fx.head(bob.dir));
  EXPECT_TRUE(std::filesystem::exists(fx.dir() / added.path));  // working tree updated
  EXPECT_EQ(run_command(cd(fx.dir()) + "git status --porcelain").output, "");
  auto index = index::Index::open(fx.ledger().index_path());
  ASSERT_TRUE(index);
  auto ev = index->event(added.event_id);
  ASSERT_TRUE(ev && *ev);
  EXPECT_EQ((*ev)->status, "valid");
  EXPECT_EQ(index->last_commit().value(), fx.head(fx.dir()));
}

// Two users attest at the same time; whoever syncs first, both end with the union.
void concurrent_attests(bool alice_first) {
  SyncFixture fx;
  Peer bob = clone_peer(fx);
  fx.attest(model_statement(artifact(10)));
  fx.attest(model_statement(artifact(11)));
  bob.attest(model_statement(artifact(20)));
  bob.attest(lineage_statement(artifact(20), {artifact(1)}));
  auto first = alice_first ? fx.dir() : bob.dir;
  auto second = alice_first ? bob.dir : fx.dir();
  EXPECT_EQ(SyncFixture::sync_dir(first).outcome, SyncOutcome::k_ok);
  auto merged = SyncFixture::sync_dir(second);
  ASSERT_EQ(merged.outcome, SyncOutcome::k_ok) << merged.message;
  EXPECT_EQ(merged.merge, MergeKind::k_merge_commit);
  EXPECT_TRUE(merged.pushed);
  EXPECT_EQ(SyncFixture::sync_dir(first).merge, MergeKind::k_fast_forward);
  EXPECT_EQ(event_files(fx.dir()), event_files(bob.dir));
  EXPECT_EQ(event_files(fx.dir()).size(), 5u);  // 1 initial + 2 + 2
  EXPECT_EQ(fx.head(fx.dir()), fx.head(bob.dir));
  EXPECT_EQ(fx.head(fx.dir()), fx.remote_head());
  for (const auto& d : {fx.dir(), bob.dir}) {
    EXPECT_EQ(run_command(cd(d) + "git fsck --strict 2>&1").exit_code, 0);
    EXPECT_EQ(run_command(cd(d) + "git status --porcelain").output, "");
  }
}
TEST(Sync, ConcurrentAttestsEndWithTheSameEventsAliceFirst) {
  concurrent_attests(true);
}
TEST(Sync, ConcurrentAttestsEndWithTheSameEventsBobFirst) {
  concurrent_attests(false);
}

TEST(Sync, NoOpSyncChangesNothing) {
  SyncFixture fx;
  ASSERT_EQ(fx.sync_alice().outcome, SyncOutcome::k_ok);
  auto before = fx.head(fx.dir());
  auto report = fx.sync_alice();
  EXPECT_EQ(report.outcome, SyncOutcome::k_ok);
  EXPECT_EQ(report.merge, MergeKind::k_up_to_date);
  EXPECT_FALSE(report.pushed);
  EXPECT_EQ(report.commits_checked, 0u);
  EXPECT_EQ(fx.head(fx.dir()), before);
}

TEST(Sync, AnEmptyRemoteReceivesThePush) {
  SyncFixture fx;
  auto empty = fx.temp() / "empty.git";
  ASSERT_EQ(run_command("git init -q --bare " + shell_quote(empty.string())).exit_code, 0);
  SyncFixture::add_remote(fx.dir(), "empty", empty.string());  // a plain path, not a URL
  auto report = SyncFixture::sync_dir(fx.dir(), {}, "empty");
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_TRUE(report.pushed);
  EXPECT_EQ(trimmed(git_out(empty, "rev-parse main")), fx.head(fx.dir()));
}

TEST(Sync, UnreachableRemoteAndNonLedgerRemoteAreDistinctOutcomes) {
  SyncFixture fx;
  SyncFixture::add_remote(fx.dir(), "gone", "file://" + (fx.temp() / "nothing-here").string());
  auto gone = SyncFixture::sync_dir(fx.dir(), {}, "gone");
  EXPECT_EQ(gone.outcome, SyncOutcome::k_unreachable);
  EXPECT_NE(gone.message.find("cannot reach"), std::string::npos) << gone.message;

  auto other = fx.temp() / "other";
  ASSERT_EQ(run_command("git init -q -b main " + shell_quote(other.string()) + " && " + cd(other) +
                        "echo hi > file && git add file && git -c user.name=a -c user.email=a@b "
                        "commit -qm x")
                .exit_code,
            0);
  SyncFixture::add_remote(fx.dir(), "other", other.string());
  auto not_ledger = SyncFixture::sync_dir(fx.dir(), {}, "other");
  EXPECT_EQ(not_ledger.outcome, SyncOutcome::k_not_a_ledger);
  EXPECT_NE(not_ledger.message.find("LEDGER.json"), std::string::npos) << not_ledger.message;
}

TEST(Sync, UnknownRemoteNameIsNotFound) {
  SyncFixture fx;
  auto index = index::Index::open(fx.ledger().index_path());
  auto r = sync_remote(fx.ledger(), *index, {}, "nope", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::k_not_found);
}

TEST(Sync, CloneRefusesANonEmptyDirectoryAndCleansUpAfterAnUnreachableRemote) {
  SyncFixture fx;
  write_text(fx.temp() / "full" / "x", "x");
  auto full = clone_ledger(fx.remote_url(), fx.temp() / "full", {});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), ErrorCode::k_conflict);
  auto gone = clone_ledger("file://" + (fx.temp() / "nothing").string(), fx.temp() / "c", {});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->outcome, SyncOutcome::k_unreachable);
  EXPECT_FALSE(std::filesystem::exists(fx.temp() / "c"));
}

TEST(Sync, RemoteStoreRejectsBadNamesAndDuplicates) {
  TempDir dir;
  auto store = RemoteStore::load(dir / "remotes.json");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->add("-x", "u").error().code(), ErrorCode::k_invalid_argument);
  EXPECT_EQ(store->add("a b", "u").error().code(), ErrorCode::k_invalid_argument);
  EXPECT_EQ(store->add("ok", "").error().code(), ErrorCode::k_invalid_argument);
  ASSERT_TRUE(store->add("ok", "file:///x"));
  EXPECT_EQ(store->add("ok", "file:///y").error().code(), ErrorCode::k_conflict);
  ASSERT_TRUE(store->set_accepted_tip("ok", std::string(40, 'a')));
  ASSERT_TRUE(store->save());
  auto again = RemoteStore::load(dir / "remotes.json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->find("ok")->accepted_tip, std::string(40, 'a'));
  ASSERT_TRUE(again->remove("ok"));
  EXPECT_EQ(again->remove("ok").error().code(), ErrorCode::k_not_found);
  write_text(dir / "bad.json", "{\"format\":1,\"remotes\":[{\"name\":\"x\"}]}");
  EXPECT_EQ(RemoteStore::load(dir / "bad.json").error().code(), ErrorCode::k_corruption);
}

}  // namespace
}  // namespace pedigree::sync
