// A remote on the same machine is read in place (src/pedigree/sync/
// local_objects.hpp): its objects become the ledger's only once verified,
// all of them, and an object that does not hash to its id stops the sync.
#include <gtest/gtest.h>

#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

SyncOptions no_push() {
  SyncOptions options;
  options.push = PushMode::k_no_push;
  return options;
}

bool has_object(const std::filesystem::path& repo, const std::string& id) {
  return run_command(cd(repo) + "git cat-file -e " + id + " 2>&1").exit_code == 0;
}

// Carol (plain git) pushes one valid event; the push leaves loose objects in
// the remote (fewer than git's unpack limit). Returns Carol's commit.
std::string carol_pushes(SyncFixture& fx, int n) {
  auto carol = fx.attacker();
  auto key = crypto::PrivateKey::generate();
  auto ledger = ledger::Ledger::open(carol);
  EXPECT_TRUE(ledger);
  EXPECT_TRUE(ledger->add_event(*key, {"Carol", "c@e"}, model_statement(artifact(n))));
  git_out(carol, "push -q origin HEAD:main");
  return trimmed(git_out(carol, "rev-parse HEAD"));
}

TEST(SyncLocalFetch, VerifiedObjectsAreCopiedSoTheLedgerOutlivesTheRemote) {
  SyncFixture fx;
  std::string tip = carol_pushes(fx, 41);
  auto report = fx.sync_alice(no_push());
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(fx.head(fx.dir()), tip);
  std::filesystem::remove_all(fx.remote());
  std::filesystem::remove_all(fx.temp() / "attacker");
  auto fsck = run_command(cd(fx.dir()) + "git fsck --full --strict 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
  EXPECT_EQ(run_command(cd(fx.dir()) + "git status --porcelain").output, "");
}

std::size_t pack_count(const std::filesystem::path& ledger_dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(ledger_dir / ".git/objects/pack")) {
    n += e.path().extension() == ".pack";
  }
  return n;
}

TEST(SyncLocalFetch, ManyObjectsAreCopiedAsOnePackThatGitReads) {
  SyncFixture fx;
  auto carol = fx.attacker();
  auto key = crypto::PrivateKey::generate();
  auto ledger = ledger::Ledger::open(carol);
  ASSERT_TRUE(ledger);
  for (int i = 0; i < 60; ++i) {  // 60 commits of 5-6 new objects each
    ASSERT_TRUE(ledger->add_event(*key, {"Carol", "c@e"}, model_statement(artifact(100 + i))));
  }
  git_out(carol, "push -q origin HEAD:main");
  std::size_t packs_before = pack_count(fx.dir());
  auto report = fx.sync_alice(no_push());
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(pack_count(fx.dir()), packs_before + 1);
  EXPECT_EQ(event_files(fx.dir()), event_files(carol));
  std::filesystem::remove_all(fx.remote());
  std::filesystem::remove_all(carol);
  auto fsck = run_command(cd(fx.dir()) + "git fsck --full --strict 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
}

TEST(SyncLocalFetch, APlainPathToANonBareRepositoryIsReadInPlace) {
  SyncFixture fx;
  std::string tip = carol_pushes(fx, 42);
  SyncFixture::add_remote(fx.dir(), "carol", (fx.temp() / "attacker").string());
  auto report = SyncFixture::sync_dir(fx.dir(), no_push(), "carol");
  ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
  EXPECT_EQ(fx.head(fx.dir()), tip);
  EXPECT_EQ(event_files(fx.dir()), event_files(fx.temp() / "attacker"));
  auto fsck = run_command(cd(fx.dir()) + "git fsck --full --strict 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
}

TEST(SyncLocalFetch, ARefusedSyncLeavesNoObjectOfTheRemote) {
  SyncFixture fx;
  auto mallory = fx.attacker();
  write_text(mallory / "notes.txt", "not a ledger file\n");
  fx.attacker_commit_and_push("stray file");
  auto report = fx.sync_alice();
  ASSERT_EQ(report.outcome, SyncOutcome::k_rejected) << report.message;
  EXPECT_FALSE(has_object(fx.dir(), fx.remote_head()));
  EXPECT_FALSE(has_object(fx.dir(), trimmed(git_out(mallory, "rev-parse HEAD:notes.txt"))));
}

TEST(SyncLocalFetch, AnObjectThatDoesNotHashToItsIdStopsTheSync) {
  SyncFixture fx;
  std::string old_head = fx.head(fx.dir());
  std::string tip = carol_pushes(fx, 43);
  // Replace the loose event blob Carol's push left in the remote with the
  // bytes of another loose object (the commit): well-formed, wrong content.
  // diff-tree lines: ":000000 100644 <40 zeros> <new blob id> A\t<path>".
  std::string blob;
  std::istringstream lines(git_out(fx.remote(), "diff-tree -r " + tip + "^ " + tip));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\tevents/") != std::string::npos) blob = line.substr(56, 40);
  }
  ASSERT_EQ(blob.size(), 40u);
  auto loose = [&](const std::string& id) {
    return fx.remote() / "objects" / id.substr(0, 2) / id.substr(2);
  };
  ASSERT_TRUE(std::filesystem::exists(loose(blob))) << "the push was not unpacked";
  std::filesystem::permissions(loose(blob), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::filesystem::copy_file(loose(tip), loose(blob),
                             std::filesystem::copy_options::overwrite_existing);

  auto ledger = ledger::Ledger::open(fx.dir());
  ASSERT_TRUE(ledger);
  auto index = index::Index::open(ledger->index_path());
  ASSERT_TRUE(index);
  auto report = sync_remote(*ledger, *index, ledger::TrustPolicy(), "", {});
  EXPECT_FALSE(report && report->outcome == SyncOutcome::k_ok);
  if (!report) {
    EXPECT_NE(report.error().message().find(blob), std::string::npos) << report.error().message();
  }
  EXPECT_EQ(fx.head(fx.dir()), old_head);
  EXPECT_FALSE(has_object(fx.dir(), tip));
  EXPECT_FALSE(has_object(fx.dir(), blob));
}

}  // namespace
}  // namespace pedigree::sync
