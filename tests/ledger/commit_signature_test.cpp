// Commits pedigree makes carry an SSHSIG (namespace "git") that the real git
// CLI verifies with an allowed_signers file (gpg.format=ssh).
#include <gtest/gtest.h>

#include "pedigree/crypto/sshsig.hpp"
#include "sync/sync_support.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

std::string verify_cmd(const std::filesystem::path& allowed) {
  return "git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=" + shell_quote(allowed.string()) +
         " ";
}

std::filesystem::path allowed_signers(const TempDir& dir, const crypto::PrivateKey& key,
                                      const std::string& principal) {
  auto line = crypto::allowed_signers_line(key.public_key(), principal);
  EXPECT_TRUE(line);
  auto path = dir / ("allowed_signers_" + key.keyid().substr(0, 8));
  write_text(path, *line + "\n");
  return path;
}

TEST(CommitSignature, AttestCommitsVerifyWithGitVerifyCommit) {
  LedgerFixture fx;
  fx.attest(testing::model_statement(artifact(1)));
  auto allowed = allowed_signers(fx.temp(), fx.key(), "tester@example.org");
  auto r = run_command(cd(fx.dir()) + verify_cmd(allowed) + "verify-commit HEAD 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Good \"git\" signature for tester@example.org"), std::string::npos)
      << r.output;
  auto log = run_command(cd(fx.dir()) + verify_cmd(allowed) + "log -1 --show-signature 2>&1");
  EXPECT_NE(log.output.find("Good \"git\" signature"), std::string::npos) << log.output;
  EXPECT_EQ(run_command(cd(fx.dir()) + "git fsck --strict 2>&1").exit_code, 0);
}

TEST(CommitSignature, AnotherKeyOrNoSignatureDoesNotVerify) {
  LedgerFixture fx;
  fx.attest(testing::model_statement(artifact(1)));
  auto other = crypto::PrivateKey::generate();
  auto allowed = allowed_signers(fx.temp(), *other, "tester@example.org");
  EXPECT_NE(run_command(cd(fx.dir()) + verify_cmd(allowed) + "verify-commit HEAD 2>&1").exit_code,
            0);
  // The unsigned path still works for callers that ask for it.
  auto r = fx.ledger().add_event(fx.key(), {"Tester", "tester@example.org"},
                                 testing::model_statement(artifact(2)), CommitSignature::k_none);
  ASSERT_TRUE(r);
  auto mine = allowed_signers(fx.temp(), fx.key(), "tester@example.org");
  auto unsigned_commit = run_command(cd(fx.dir()) + verify_cmd(mine) + "verify-commit HEAD 2>&1");
  EXPECT_NE(unsigned_commit.exit_code, 0);
  EXPECT_EQ(trimmed(git_out(fx.dir(), "cat-file -p HEAD")).find("gpgsig"), std::string::npos);
}

TEST(CommitSignature, InitAndSyncMergeCommitsAreSigned) {
  TempDir dir;
  auto key = crypto::PrivateKey::generate();
  auto ledger = Ledger::init(dir / "l", "signed", &*key);
  ASSERT_TRUE(ledger);
  auto allowed = allowed_signers(dir, *key, "pedigree@pedigree.invalid");
  auto r = run_command(cd(dir / "l") + verify_cmd(allowed) + "verify-commit HEAD 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // A merge made by sync, signed by the merging user's key.
  SyncFixture fx;
  auto bob_dir = fx.temp() / "bob";
  ASSERT_EQ(sync::clone_ledger(fx.remote_url(), bob_dir, {})->outcome, sync::SyncOutcome::k_ok);
  auto bob = Ledger::open(bob_dir);
  ASSERT_TRUE(
      bob->add_event(*key, {"Bob", "bob@example.org"}, testing::model_statement(artifact(9))));
  ASSERT_EQ(SyncFixture::sync_dir(bob_dir).outcome, sync::SyncOutcome::k_ok);
  fx.attest(testing::model_statement(artifact(8)));
  sync::SyncOptions options;
  options.author = {&fx.key(), "Tester", "tester@example.org"};
  auto report = fx.sync_alice(options);
  ASSERT_EQ(report.merge, sync::MergeKind::k_merge_commit) << report.message;
  auto mine = allowed_signers(fx.temp(), fx.key(), "tester@example.org");
  auto merged = run_command(cd(fx.dir()) + verify_cmd(mine) + "verify-commit HEAD 2>&1");
  EXPECT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(trimmed(git_out(fx.dir(), "rev-list --parents -1 HEAD")).size(), 3 * 40 + 2);
}

}  // namespace
}  // namespace pedigree::ledger
