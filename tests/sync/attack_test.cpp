// A hostile remote: each attack is pushed with plain git to the bare remote,
// and sync must refuse it naming every offending path and commit, leaving
// the local ledger, its refs, its remotes state and its index untouched.
#include <gtest/gtest.h>

#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/ledger/verify.hpp"
#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

// Everything sync must leave as it was on refusal.
struct LocalState {
  std::string refs, status, head, remotes, index_commit;
  std::set<std::string> events;
  bool operator==(const LocalState&) const = default;
};

LocalState capture(SyncFixture& fx) {
  LocalState s;
  s.refs = git_out(fx.dir(), "for-each-ref");
  s.status = git_out(fx.dir(), "status --porcelain");
  s.head = fx.head(fx.dir());
  s.remotes = read_text(RemoteStore::path_for(fx.dir()));
  auto index = index::Index::open(fx.ledger().index_path());
  EXPECT_TRUE(index);
  auto last = index->last_commit();
  s.index_commit = last && *last ? **last : "";
  s.events = event_files(fx.dir());
  return s;
}

// Alice syncs once (accepting the remote's tip), then Mallory gets a working copy.
struct AttackFixture : SyncFixture {
  AttackFixture() {
    attest(model_statement(artifact(2)));
    auto first = sync_alice();
    EXPECT_EQ(first.outcome, SyncOutcome::k_ok) << first.message;
    mallory = attacker();
  }
  std::string mallory_head() { return trimmed(git_out(mallory, "rev-parse HEAD")); }
  std::string first_event() {
    for (const auto& e : event_files(mallory)) return e;
    return "";
  }
  // Pushes Mallory's commit, syncs and checks the refusal left nothing changed.
  SyncReport refused(SyncOutcome expected, bool force = false) {
    if (!force) attacker_commit_and_push("attack");
    auto before = capture(*this);
    auto report = sync_alice();
    EXPECT_EQ(report.outcome, expected) << report.message;
    EXPECT_EQ(capture(*this), before);
    return report;
  }
  void expect_offense(const SyncReport& report, const std::string& path,
                      const std::string& reason_part) {
    bool found = false;
    for (const auto& o : report.offenses) {
      if (o.path == path && o.commit == mallory_head() &&
          o.reason.find(reason_part) != std::string::npos) {
        found = true;
      }
    }
    std::string all;
    for (const auto& o : report.offenses) all += o.commit + " " + o.path + ": " + o.reason + "\n";
    EXPECT_TRUE(found) << "no offense on " << path << " containing '" << reason_part << "' in:\n"
                       << all;
  }
  std::filesystem::path mallory;
};

TEST(SyncAttack, ModifiedEventIsRefused) {
  AttackFixture fx;
  auto path = fx.first_event();
  write_text(fx.mallory / path, read_text(fx.mallory / path) + " ");
  auto report = fx.refused(SyncOutcome::k_rejected);
  fx.expect_offense(report, path, "modifies an existing file");
}

TEST(SyncAttack, DeletedEventIsRefused) {
  AttackFixture fx;
  auto path = fx.first_event();
  std::filesystem::remove(fx.mallory / path);
  auto report = fx.refused(SyncOutcome::k_rejected);
  fx.expect_offense(report, path, "deletes an existing file");
}

TEST(SyncAttack, ForgedEventClaimingAlicesKeyIsRefused) {
  AttackFixture fx;
  auto mallory_key = crypto::PrivateKey::generate();
  auto bytes = ledger::sign_statement(model_statement(artifact(66)), *mallory_key);
  ASSERT_TRUE(bytes);
  // Same length keyid swapped in: still canonical JSON, but Alice never signed it.
  std::string forged = *bytes;
  forged.replace(forged.find(mallory_key->keyid()), 64, fx.key().keyid());
  std::string rel = ledger::event_path(artifact(66), crypto::sha256_hex(forged));
  write_text(fx.mallory / rel, forged);
  // And one signed by a key the ledger does not hold.
  auto unknown = ledger::sign_statement(model_statement(artifact(67)), *mallory_key);
  std::string rel2 = ledger::event_path(artifact(67), crypto::sha256_hex(*unknown));
  write_text(fx.mallory / rel2, *unknown);
  auto report = fx.refused(SyncOutcome::k_rejected);
  fx.expect_offense(report, rel, "does not verify");
  fx.expect_offense(report, rel2, "unknown key");
  EXPECT_EQ(report.offenses.size(), 2u);
}

TEST(SyncAttack, SymlinkIsRefused) {
  AttackFixture fx;
  std::string rel = ledger::event_path(artifact(5), std::string(64, 'a'));
  std::filesystem::create_directories((fx.mallory / rel).parent_path());
  std::filesystem::create_symlink("/etc/passwd", fx.mallory / rel);
  auto report = fx.refused(SyncOutcome::k_rejected);
  fx.expect_offense(report, rel, "symlink");
}

TEST(SyncAttack, FileOutsideTheLayoutAndExecutableAreRefused) {
  AttackFixture fx;
  write_text(fx.mallory / "hooks" / "post-merge", "#!/bin/sh\nrm -rf ~\n");
  write_text(fx.mallory / "keys" / "notakey.txt", "x");
  auto report = fx.refused(SyncOutcome::k_rejected);
  fx.expect_offense(report, "hooks/post-merge", "outside the ledger layout");
  fx.expect_offense(report, "keys/notakey.txt", "outside the ledger layout");
}

TEST(SyncAttack, ForcePushedOlderHistoryIsARollback) {
  AttackFixture fx;
  git_out(fx.mallory, "reset -q --hard HEAD~1");
  git_out(fx.mallory, "push -q -f origin HEAD:main");
  auto report = fx.refused(SyncOutcome::k_rewrite, /*force=*/true);
  EXPECT_NE(report.message.find("does not descend"), std::string::npos) << report.message;
}

TEST(SyncAttack, RewriteKeepingTheTreeIsRefusedUntilAccepted) {
  AttackFixture fx;
  // Same tree, new commit id: amend the message of the tip.
  git_out(fx.mallory, "-c user.name=m -c user.email=m@e commit -q --amend -m rewritten");
  git_out(fx.mallory, "push -q -f origin HEAD:main");
  auto report = fx.refused(SyncOutcome::k_rewrite, /*force=*/true);
  // A fresh fetch changes nothing: the accepted tip lives outside the refs.
  EXPECT_EQ(fx.sync_alice().outcome, SyncOutcome::k_rewrite);
  SyncOptions accept;
  accept.rewrite = RewritePolicy::k_accept;
  accept.push = PushMode::k_no_push;
  auto before = event_files(fx.dir());
  auto accepted = fx.sync_alice(accept);
  ASSERT_EQ(accepted.outcome, SyncOutcome::k_ok) << accepted.message;
  EXPECT_EQ(accepted.merge, MergeKind::k_merge_commit);
  EXPECT_EQ(event_files(fx.dir()), before);  // nothing lost
  auto store = RemoteStore::load(RemoteStore::path_for(fx.dir()));
  EXPECT_EQ(store->find("origin")->accepted_tip, fx.remote_head());
}

TEST(SyncAttack, RewriteThatDropsAnEventNeverDeletesItLocally) {
  AttackFixture fx;
  auto before = event_files(fx.dir());
  git_out(fx.mallory, "reset -q --hard HEAD~1");
  git_out(fx.mallory, "-c user.name=m -c user.email=m@e commit -q --allow-empty -m other");
  git_out(fx.mallory, "push -q -f origin HEAD:main");
  SyncOptions accept;
  accept.rewrite = RewritePolicy::k_accept;
  auto report = fx.sync_alice(accept);
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(event_files(fx.dir()), before);
  EXPECT_TRUE(report.pushed);  // the remote gets the dropped event back
  EXPECT_EQ(event_files(fx.remote()), before);
}

TEST(SyncAttack, MergeCommitSmugglingAModificationIsRefused) {
  AttackFixture fx;
  auto path = fx.first_event();
  git_out(fx.mallory, "checkout -q -b side HEAD~1");
  write_text(fx.mallory / "README.md", "side\n");
  git_out(fx.mallory, "add -A");
  git_out(fx.mallory, "-c user.name=m -c user.email=m@e commit -qm side");
  git_out(fx.mallory, "checkout -q main");
  git_out(fx.mallory, "-c user.name=m -c user.email=m@e merge -q --no-ff --no-commit side");
  write_text(fx.mallory / path, read_text(fx.mallory / path) + "\n");
  fx.attacker_commit_and_push("merge side");
  auto before = capture(fx);
  auto report = fx.sync_alice();
  EXPECT_EQ(report.outcome, SyncOutcome::k_rejected);
  fx.expect_offense(report, path, "modifies an existing file");
  EXPECT_EQ(capture(fx), before);
}

}  // namespace
}  // namespace pedigree::sync
