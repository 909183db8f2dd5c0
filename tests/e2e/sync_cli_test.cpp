// End-to-end tests of `pedigree remote`, `clone` and `sync` through the real
// binary, including a sync killed (SIGKILL) at various points.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sync/sync_support.hpp"

namespace pedigree {
namespace {

using namespace pedigree::testing;

struct Cli {
  int status = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// HOME and the XDG directories inside `home`, so the user's own config is never read.
std::string env_prefix(const std::filesystem::path& home) {
  return "HOME=" + shell_quote(home.string()) +
         " XDG_CONFIG_HOME=" + shell_quote((home / "config").string()) +
         " XDG_DATA_HOME=" + shell_quote((home / "data").string()) +
         " XDG_CACHE_HOME=" + shell_quote((home / "cache").string()) + " PEDIGREE_LEDGER= ";
}

// Runs the binary with env_prefix(home).
Cli run_sync_cli(const std::filesystem::path& home, const std::string& args) {
  auto err = home / "stderr.txt";
  auto r = run_command(env_prefix(home) + shell_quote(PEDIGREE_BINARY) + " " + args + " 2>" +
                       shell_quote(err.string()));
  return {r.exit_code, r.output, read_text(err)};
}

struct CliFixture : SyncFixture {
  std::filesystem::path home = temp() / "home";
  std::filesystem::path bob = temp() / "bob";
  CliFixture() { std::filesystem::create_directories(home); }
  Cli run(const std::string& args) { return run_sync_cli(home, args); }
  std::string bob_ledger() { return " --ledger " + shell_quote(bob.string()); }
};

TEST(SyncCli, CloneRemoteListAndSyncWithJson) {
  CliFixture fx;
  auto cloned =
      fx.run("clone --json " + shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string()));
  ASSERT_EQ(cloned.status, 0) << cloned.err;
  EXPECT_EQ(cloned.json()["outcome"], "ok");
  EXPECT_EQ(cloned.json()["head_after"], fx.remote_head());
  EXPECT_EQ(cloned.err, "");  // silent when not a terminal
  auto list = fx.run("remote list --json" + fx.bob_ledger());
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(list.json()[0]["name"], "origin");
  EXPECT_EQ(list.json()[0]["accepted_tip"], fx.remote_head());
  EXPECT_EQ(fx.run("remote add origin x" + fx.bob_ledger()).status, 7);
  EXPECT_EQ(fx.run("remote add 'bad name' x" + fx.bob_ledger()).status, 2);

  auto added = fx.attest(model_statement(artifact(40)));
  ASSERT_EQ(fx.sync_alice().outcome, sync::SyncOutcome::k_ok);
  auto synced = fx.run("sync --json" + fx.bob_ledger());
  ASSERT_EQ(synced.status, 0) << synced.err;
  auto j = synced.json();
  EXPECT_EQ(j["outcome"], "ok");
  EXPECT_EQ(j["merge"], "fast-forward");
  EXPECT_EQ(j["head_after"], fx.remote_head());
  EXPECT_EQ(j["index"]["commit"], fx.remote_head());
  EXPECT_TRUE(std::filesystem::exists(fx.bob / added.path));
  auto human = fx.run("sync" + fx.bob_ledger());
  EXPECT_EQ(human.status, 0) << human.err;
  EXPECT_NE(human.out.find("up-to-date"), std::string::npos) << human.out;
  ASSERT_EQ(fx.run("remote remove origin" + fx.bob_ledger()).status, 0);
  EXPECT_EQ(fx.run("sync" + fx.bob_ledger()).status, 3);  // no remote left
}

// Clone and sync check each incoming signature once: the index built after
// them finds every one in its table of verified signatures (issue 19), the
// working tree and git index written by clone are what git sees, and
// `pedigree verify` (which checks every signature again) agrees.
TEST(SyncCli, ACloneIsVerifiedOnceAndItsWorkingTreeIsWhatGitSees) {
  CliFixture fx;
  for (int n = 2; n <= 40; ++n) fx.attest(model_statement(artifact(n)));
  ASSERT_EQ(fx.sync_alice().outcome, sync::SyncOutcome::k_ok);  // pushes to the remote
  auto cloned =
      fx.run("clone --json " + shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string()));
  ASSERT_EQ(cloned.status, 0) << cloned.err;
  auto index = cloned.json()["index"];
  EXPECT_EQ(index["events"], 40);
  EXPECT_EQ(index["signatures_remembered"], 40);
  const std::string bob = cd(fx.bob);
  EXPECT_EQ(run_command(bob + "git status --porcelain --ignored=no").output, "");
  EXPECT_EQ(run_command(bob + "git ls-files | wc -l").output,
            run_command(bob + "git ls-tree -r --name-only HEAD | wc -l").output);
  auto fsck = run_command(bob + "git fsck --full --strict 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
  auto verified = fx.run("verify --json" + fx.bob_ledger());
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;

  fx.attest(model_statement(artifact(41)));
  ASSERT_EQ(fx.sync_alice().outcome, sync::SyncOutcome::k_ok);
  auto synced = fx.run("sync --json" + fx.bob_ledger());
  ASSERT_EQ(synced.status, 0) << synced.err;
  EXPECT_EQ(synced.json()["index"]["events"], 1);
  EXPECT_EQ(synced.json()["index"]["signatures_remembered"], 1);
  EXPECT_EQ(run_command(bob + "git status --porcelain").output, "");

  // The index deleted: the next command checks every signature again, same answers.
  std::filesystem::remove(fx.bob / ".git" / "pedigree" / "index.sqlite");
  auto status = fx.run("index status --json" + fx.bob_ledger());
  ASSERT_EQ(status.status, 0) << status.out << status.err;
  EXPECT_EQ(status.json()["update"]["rebuilt"], true);
  EXPECT_EQ(status.json()["update"]["signatures_remembered"], 0);
  auto counted = [](const nlohmann::json& c) {
    return c["valid"].get<int>() + c["untrusted"].get<int>();  // no key is trusted here
  };
  EXPECT_EQ(counted(status.json()["counts"]), 41);
  auto rebuilt = fx.run("index rebuild --json" + fx.bob_ledger());
  ASSERT_EQ(rebuilt.status, 0) << rebuilt.out << rebuilt.err;
  EXPECT_EQ(rebuilt.json()["signatures_remembered"], 41);
  EXPECT_EQ(counted(rebuilt.json()["counts"]), 41);
}

TEST(SyncCli, TransferProgressIsDrawnOnlyOnATerminal) {
  CliFixture fx;
  if (run_command("command -v script >/dev/null").exit_code != 0) {
    GTEST_SKIP() << "script(1) (package bsdutils) is needed to give pedigree a terminal";
  }
  // script(1) runs the command on a pseudo-terminal: stderr is a terminal there.
  std::string cmd = env_prefix(fx.home) + shell_quote(PEDIGREE_BINARY) + " clone " +
                    shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string());
  auto tty = run_command("script -qec " + shell_quote(cmd) + " /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.output;
  EXPECT_NE(tty.output.find("fetching: "), std::string::npos) << tty.output;
  EXPECT_NE(tty.output.find("\r\033[K"), std::string::npos);  // the line is erased at the end
  std::filesystem::remove_all(fx.bob);
  auto piped = fx.run("clone " + shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string()));
  EXPECT_EQ(piped.status, 0);
  EXPECT_EQ(piped.err, "");
}

TEST(SyncCli, RefusalsHaveDistinctExitCodesAndNameEachPathAndCommit) {
  CliFixture fx;
  ASSERT_EQ(
      fx.run("clone " + shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string())).status,
      0);
  auto mallory = fx.attacker();
  std::string path;
  for (const auto& e : event_files(mallory)) path = e;
  write_text(mallory / path, "tampered");
  write_text(mallory / "stray.txt", "x");
  fx.attacker_commit_and_push("attack");
  auto commit = trimmed(git_out(mallory, "rev-parse HEAD"));
  auto before = git_out(fx.bob, "for-each-ref");
  auto refused = fx.run("sync" + fx.bob_ledger());
  EXPECT_EQ(refused.status, 6) << refused.err;
  EXPECT_NE(refused.err.find("refused: commit " + commit.substr(0, 12) + ": " + path +
                             ": modifies an existing file"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("stray.txt: adds a file outside the ledger layout"), std::string::npos)
      << refused.err;
  auto rejected = fx.run("sync --json" + fx.bob_ledger());
  EXPECT_EQ(rejected.status, 6);
  EXPECT_EQ(rejected.json()["outcome"], "rejected");
  EXPECT_EQ(rejected.json()["offenses"].size(), 2u);
  EXPECT_EQ(rejected.json()["offenses"][0]["commit"], commit);
  EXPECT_EQ(git_out(fx.bob, "for-each-ref"), before);

  git_out(mallory, "reset -q --hard HEAD~2");
  git_out(mallory, "push -q -f origin HEAD:main");
  auto rollback = fx.run("sync" + fx.bob_ledger());
  EXPECT_EQ(rollback.status, 7) << rollback.err;
  EXPECT_NE(rollback.err.find("does not descend"), std::string::npos) << rollback.err;

  auto gone = fx.run("sync --ledger " + shell_quote(fx.bob.string()) + " nowhere");
  EXPECT_EQ(gone.status, 3);
  ASSERT_EQ(fx.run("remote add nowhere " + shell_quote("file://" + (fx.temp() / "nope").string()) +
                   fx.bob_ledger())
                .status,
            0);
  auto unreachable = fx.run("sync nowhere" + fx.bob_ledger());
  EXPECT_EQ(unreachable.status, 20) << unreachable.err;
  auto plain = fx.temp() / "plain.git";
  ASSERT_EQ(run_command("git init -q --bare " + shell_quote(plain.string())).exit_code, 0);
  ASSERT_EQ(run_command(cd(mallory) + "git push -q " + shell_quote(plain.string()) +
                        " HEAD:refs/heads/other 2>&1")
                .exit_code,
            0);
  ASSERT_EQ(fx.run("remote add plain " + shell_quote(plain.string()) + fx.bob_ledger()).status, 0);
  auto not_ledger = fx.run("sync plain" + fx.bob_ledger());
  EXPECT_EQ(not_ledger.status, 21) << not_ledger.err;
  auto clone_gone = fx.run("clone " + shell_quote("file://" + (fx.temp() / "nope").string()) + " " +
                           shell_quote((fx.temp() / "c").string()));
  EXPECT_EQ(clone_gone.status, 20);
}

TEST(SyncCli, ASyncKilledAtAnyPointIsCompletedByTheNextSync) {
  CliFixture fx;
  // Bob's clone gets 200 new events from Alice through the remote.
  ASSERT_EQ(
      fx.run("clone " + shell_quote(fx.remote_url()) + " " + shell_quote(fx.bob.string())).status,
      0);
  for (int i = 0; i < 200; ++i) fx.attest(model_statement(artifact(1000 + i)));
  ASSERT_EQ(fx.sync_alice().outcome, sync::SyncOutcome::k_ok);
  auto expected = event_files(fx.dir());
  // Kill `sync` after increasing delays; each restart must converge.
  for (int delay_ms : {5, 20, 40, 80, 160}) {
    run_command("(" + env_prefix(fx.home) + shell_quote(PEDIGREE_BINARY) + " sync --no-push" +
                fx.bob_ledger() + " >/dev/null 2>&1 & pid=$!; sleep " +
                std::to_string(delay_ms / 1000.0) + "; kill -9 $pid; wait $pid) 2>/dev/null");
    EXPECT_EQ(run_command(cd(fx.bob) + "git fsck 2>&1").exit_code, 0) << "after " << delay_ms;
  }
  auto done = fx.run("sync --json" + fx.bob_ledger());
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(event_files(fx.bob), expected);
  EXPECT_EQ(fx.head(fx.bob), fx.remote_head());
  EXPECT_EQ(run_command(cd(fx.bob) + "git status --porcelain").output, "");
  EXPECT_EQ(done.json()["index"]["commit"], fx.remote_head());
}

}  // namespace
}  // namespace pedigree
