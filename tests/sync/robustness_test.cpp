// Interrupted syncs, stale locks and concurrent local writers.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

// Bob pushes `n` events to the remote; returns his ledger directory.
std::filesystem::path bob_pushes(SyncFixture& fx, int n) {
  auto bob_dir = fx.temp() / "bob";
  EXPECT_EQ(clone_ledger(fx.remote_url(), bob_dir, {})->outcome, SyncOutcome::k_ok);
  auto key = crypto::PrivateKey::generate();
  auto bob = ledger::Ledger::open(bob_dir);
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(bob->add_event(*key, {"Bob", "b@e"}, model_statement(artifact(500 + i))));
  }
  EXPECT_EQ(SyncFixture::sync_dir(bob_dir).outcome, SyncOutcome::k_ok);
  return bob_dir;
}

TEST(SyncRobustness, KilledAfterFetchTheNextSyncCompletes) {
  SyncFixture fx;
  auto bob_dir = bob_pushes(fx, 3);
  // What a sync killed right after its fetch leaves: objects, no ref, no index change.
  auto fetched = fetch_branch(fx.ledger().repo(), fx.remote_url(), "main", nullptr);
  ASSERT_TRUE(fetched);
  EXPECT_TRUE(fetched->downloaded);
  EXPECT_NE(fx.head(fx.dir()), fx.remote_head());
  auto report = fx.sync_alice();
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(event_files(fx.dir()), event_files(bob_dir));
}

TEST(SyncRobustness, KilledBeforeMovingTheBranchTheNextSyncCompletesDespiteAStaleLock) {
  SyncFixture fx;
  auto bob_dir = bob_pushes(fx, 2);
  auto old_head = fx.head(fx.dir());
  ASSERT_TRUE(fetch_branch(fx.ledger().repo(), fx.remote_url(), "main", nullptr));
  // A journal written, the working tree half updated, the branch not moved,
  // and the lock file left behind by the killed process.
  nlohmann::json journal = {{"old_head", old_head}, {"new_head", fx.remote_head()}};
  write_text(fx.dir() / ".git" / "pedigree" / "sync-journal.json", journal.dump());
  write_text(fx.dir() / ".git" / "pedigree.lock", "");
  write_text(fx.dir() / ".git" / "index.lock", "");  // libgit2's, from the killed process
  SyncOptions no_push;
  no_push.push = PushMode::k_no_push;
  auto report = fx.sync_alice(no_push);
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_TRUE(report.recovered);
  EXPECT_EQ(fx.head(fx.dir()), fx.remote_head());
  EXPECT_EQ(event_files(fx.dir()), event_files(bob_dir));
  EXPECT_EQ(run_command(cd(fx.dir()) + "git status --porcelain").output, "");
  EXPECT_FALSE(std::filesystem::exists(fx.dir() / ".git" / "pedigree" / "sync-journal.json"));
}

TEST(SyncRobustness, ConcurrentLocalAttestsDuringSyncLoseNothing) {
  SyncFixture fx;
  bob_pushes(fx, 20);
  constexpr int k_local = 15;
  std::thread writer([&] {
    auto ledger = ledger::Ledger::open(fx.dir());
    for (int i = 0; i < k_local; ++i) {
      auto r = ledger->add_event(fx.key(), {"Tester", "t@e"}, model_statement(artifact(900 + i)));
      EXPECT_TRUE(r) << (r ? "" : r.error().message());
    }
  });
  for (int i = 0; i < 3; ++i) {
    auto r = fx.sync_alice();
    EXPECT_TRUE(r.outcome == SyncOutcome::k_ok || r.outcome == SyncOutcome::k_push_refused)
        << r.message;
  }
  writer.join();
  auto last = fx.sync_alice();
  ASSERT_EQ(last.outcome, SyncOutcome::k_ok) << last.message;
  auto events = event_files(fx.dir());
  EXPECT_EQ(events.size(), 1u + 20u + k_local);
  for (int i = 0; i < k_local; ++i) {
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const std::string& p) {
      return p.find(artifact(900 + i)) != std::string::npos;
    }));
  }
  EXPECT_EQ(event_files(fx.remote()), events);
  EXPECT_EQ(run_command(cd(fx.dir()) + "git status --porcelain").output, "");
  EXPECT_EQ(run_command(cd(fx.dir()) + "git fsck --strict 2>&1").exit_code, 0);
}

TEST(SyncRobustness, EventsAPlainGitPushBroughtAreAcceptedWhenValid) {
  SyncFixture fx;
  // Carol uses plain git: clone, write a valid event with the library, push.
  auto carol = fx.attacker();
  auto key = crypto::PrivateKey::generate();
  auto ledger = ledger::Ledger::open(carol);
  ASSERT_TRUE(ledger) << ledger.error().message();
  auto added = ledger->add_event(*key, {"Carol", "c@e"}, model_statement(artifact(77)));
  ASSERT_TRUE(added);
  git_out(carol, "push -q origin HEAD:main");
  auto report = fx.sync_alice();
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_TRUE(std::filesystem::exists(fx.dir() / added->path));
  // And a plain `git clone` of Alice's pushed ledger has every event.
  auto plain = fx.temp() / "plain";
  ASSERT_EQ(run_command("git clone -q " + shell_quote(fx.remote_url()) + " " +
                        shell_quote(plain.string()))
                .exit_code,
            0);
  EXPECT_EQ(event_files(plain), event_files(fx.dir()));
}

}  // namespace
}  // namespace pedigree::sync
