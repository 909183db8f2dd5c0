// Crash consistency of every writing command (issue 15, case 5), through the
// real binary: each command is killed at every write step in turn with the
// test hook PEDIGREE_FAULT_AT=N (util/fault.hpp: the N-th step ends the
// process with _exit, as SIGKILL would), and after each kill the next command
// must complete or cleanly undo the work: `verify` passes, nothing is left
// uncommitted or half-written, a re-run commits, and nothing pushed lacks its
// key on another clone.
#include <gtest/gtest.h>

#include <functional>

#include "e2e/ledger_cli.hpp"
#include "pedigree/util/fault.hpp"

namespace pedigree {
namespace {

using namespace pedigree::testing;

const std::string k_subject(64, 'a');

std::string fault_at(int n) {
  return "PEDIGREE_FAULT_AT=" + std::to_string(n);
}

bool in_head(const std::filesystem::path& repo, const std::string& path) {
  return run_command("git -C " + quote_path(repo) + " cat-file -e HEAD:" + shell_quote(path) +
                     " 2>&1")
             .exit_code == 0;
}
std::string run_git(const std::filesystem::path& repo, const std::string& args) {
  auto r = run_command("git -C " + quote_path(repo) + " " + args + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << "git " << args << ": " << r.output;
  return r.output;
}
void copy_dir(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::remove_all(to);
  std::filesystem::create_directories(to.parent_path());
  ASSERT_EQ(run_command("cp -a " + quote_path(from) + " " + quote_path(to)).exit_code, 0);
}

// Runs `args` with PEDIGREE_FAULT_AT = 1, 2, ... until it completes. Before
// each run `before()`; after each kill `after_kill(n)`. Returns the number of
// kills (every write step of the command, counted once).
int kill_at_every_step(const CliHome& home, const std::string& args,
                       const std::function<void()>& before,
                       const std::function<void(int)>& after_kill) {
  for (int n = 1; n < 200; ++n) {
    before();
    auto r = home.run(args, fault_at(n));
    if (r.status != k_fault_exit_code) {
      EXPECT_EQ(r.status, 0) << args << " at step " << n << ": " << r.err;
      return n - 1;
    }
    EXPECT_NE(r.err.find("fault injected at step " + std::to_string(n)), std::string::npos)
        << r.err;
    after_kill(n);
  }
  ADD_FAILURE() << args << " never completed";
  return 0;
}

// A key, a ledger with one event, a bare remote holding it (remote "origin").
struct Shared {
  CliHome home;
  std::string keyid;
  std::filesystem::path remote = home.dir() / "remote.git";
  Shared() {
    keyid = home.setup_key_and_ledger();
    EXPECT_EQ(run_command("git init -q --bare -b main " + quote_path(remote)).exit_code, 0);
    home.ok("remote add origin " + quote_path(remote) + " --ledger " + quote_path(home.ledger()));
    home.attest_claim(std::string(64, 'b'));
    home.ok("sync --ledger " + quote_path(home.ledger()));
  }
  std::string L() const { return " --ledger " + quote_path(home.ledger()); }
  // A clone of the remote verifies: every pushed event has its key there.
  void expect_clone_verifies(const std::string& what) const {
    auto clone = home.dir() / "check-clone";
    std::filesystem::remove_all(clone);
    auto c = home.run("clone " + quote_path(remote) + " " + quote_path(clone));
    ASSERT_EQ(c.status, 0) << what << ": " << c.err;
    auto v = home.run("verify --ledger " + quote_path(clone));
    EXPECT_EQ(v.status, 0) << what << ": a clone of what was pushed does not verify\n"
                           << v.out << v.err;
  }
};

TEST(CrashConsistency, LeftoversOfAKilledAttestAreNeitherTrustedNorPushedWithoutTheirKey) {
  Shared s;
  const auto& home = s.home;
  // What an `attest` by a second key, killed after writing its files and
  // before committing, leaves: its key file, its event file and a temporary
  // file, all uncommitted (made here by attesting into a scratch ledger).
  auto second = home.ok("key generate --json --name Bob --email bob@example.org").json();
  const std::string bob = second["keyid"];
  auto scratch = home.dir() / "scratch";
  home.ok("init " + quote_path(scratch) + " --name scratch");
  write_text(home.dir() / "c.json", R"({"contains_nai":"no","basis":"killed"})");
  const std::string attest = "attest raw claim --json --key " + bob.substr(0, 16) + " --subject " +
                             k_subject + " --predicate " + quote_path(home.dir() / "c.json");
  auto made = home.ok(attest + " --ledger " + quote_path(scratch)).json()["events"][0];
  const std::string event_path = made["path"], key_path = "keys/" + bob + ".json";
  for (const auto& rel : {event_path, key_path}) {
    std::filesystem::create_directories((home.ledger() / rel).parent_path());
    std::filesystem::copy_file(scratch / rel, home.ledger() / rel);
  }
  std::filesystem::copy_file(scratch / event_path, home.ledger() / (event_path + ".tmp-999999-1"));

  // Re-running the same attest commits the event and its key.
  auto again = home.ok(attest + s.L()).json()["events"][0];
  EXPECT_FALSE(again["already_present"].get<bool>()) << again.dump();
  EXPECT_TRUE(in_head(home.ledger(), event_path));
  EXPECT_TRUE(in_head(home.ledger(), key_path)) << "the event was committed without its key";
  // Another event by the same key, then a push: every clone knows the key.
  home.attest_claim(std::string(64, 'c'), "--key " + bob.substr(0, 16));
  EXPECT_EQ(home.run("verify" + s.L()).status, 0);
  home.ok("sync" + s.L());
  s.expect_clone_verifies("after the re-run attest");
}

TEST(CrashConsistency, SyncNeverPushesAnEventWhoseKeyHeadLacks) {
  Shared s;
  const auto& home = s.home;
  // A commit made by hand that adds an event but not its key (the state an
  // older pedigree could leave): sync must refuse to push it.
  auto second = home.ok("key generate --json --name Bob --email bob@example.org").json();
  const std::string bob = second["keyid"];
  auto scratch = home.dir() / "scratch";
  home.ok("init " + quote_path(scratch) + " --name scratch");
  write_text(home.dir() / "c.json", R"({"contains_nai":"no","basis":"keyless"})");
  auto made = home.ok("attest raw claim --json --key " + bob.substr(0, 16) + " --subject " +
                      k_subject + " --predicate " + quote_path(home.dir() / "c.json") +
                      " --ledger " + quote_path(scratch))
                  .json()["events"][0];
  const std::string event_path = made["path"];
  std::filesystem::create_directories((home.ledger() / event_path).parent_path());
  std::filesystem::copy_file(scratch / event_path, home.ledger() / event_path);
  run_git(home.ledger(), "add " + shell_quote(event_path));
  run_git(home.ledger(), "-c user.name=x -c user.email=x@x commit -q -m keyless");
  const std::string remote_before = run_git(s.remote, "rev-parse main");
  auto r = home.run("sync" + s.L());
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE((r.out + r.err).find("unknown key"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(event_path), std::string::npos) << r.out << r.err;
  EXPECT_EQ(run_git(s.remote, "rev-parse main"), remote_before) << "the keyless event was pushed";
}

TEST(CrashConsistency, AnAttestKilledAtEveryWriteStepIsUndoneAndARerunCommitsIt) {
  Shared s;
  const auto& home = s.home;
  auto snapshot = home.dir() / "snapshot";
  copy_dir(home.ledger(), snapshot / "ledger");
  copy_dir(s.remote, snapshot / "remote.git");
  // A second key, so the killed attest also writes a key file.
  auto second = home.ok("key generate --json --name Bob --email bob@example.org").json();
  const std::string bob = second["keyid"];
  write_text(home.dir() / "c.json", R"({"contains_nai":"no","basis":"every step"})");
  const std::string attest = "attest raw claim --json --key " + bob.substr(0, 16) + " --subject " +
                             k_subject + " --predicate " + quote_path(home.dir() / "c.json") +
                             s.L();
  int kills = kill_at_every_step(
      home, attest,
      [&] {
        copy_dir(snapshot / "ledger", home.ledger());
        copy_dir(snapshot / "remote.git", s.remote);
      },
      [&](int n) {
        const std::string at = "killed at step " + std::to_string(n);
        auto v = home.run("verify" + s.L());
        EXPECT_EQ(v.status, 0) << at << ": verify\n" << v.out << v.err;
        EXPECT_EQ(run_git(home.ledger(), "status --porcelain --untracked-files=all"), "")
            << at << ": leftovers in the working tree";
        auto again = home.run(attest);
        ASSERT_EQ(again.status, 0) << at << ": " << again.err;
        const std::string path = again.json()["events"][0]["path"];
        EXPECT_TRUE(in_head(home.ledger(), path)) << at;
        EXPECT_TRUE(in_head(home.ledger(), "keys/" + bob + ".json")) << at;
        EXPECT_EQ(home.run("sync" + s.L()).status, 0) << at;
        s.expect_clone_verifies(at);
        run_git(home.ledger(), "fsck --no-dangling");
      });
  EXPECT_GE(kills, 8) << "attest has fewer write steps than expected (hook not active?)";
}

TEST(CrashConsistency, InitCloneKeyTrustAndIndexKilledAtEveryStepLeaveNothingHalfDone) {
  Shared s;
  const auto& home = s.home;
  // init: the directory is untouched by a killed run, a re-run succeeds.
  auto fresh = home.dir() / "fresh";
  EXPECT_GE(kill_at_every_step(
                home, "init " + quote_path(fresh) + " --name fresh",
                [&] { std::filesystem::remove_all(fresh); },
                [&](int n) {
                  // Either nothing (killed before the rename) or a whole ledger.
                  if (std::filesystem::exists(fresh)) {
                    EXPECT_TRUE(in_head(fresh, "LEDGER.json")) << "init killed at step " << n;
                  } else {
                    home.ok("init " + quote_path(fresh) + " --name fresh");
                  }
                  EXPECT_EQ(home.run("verify --ledger " + quote_path(fresh)).status, 0);
                }),
            3);
  // clone: nothing at the target after a kill; a re-run clones.
  auto copy = home.dir() / "copy";
  EXPECT_GE(kill_at_every_step(
                home, "clone " + quote_path(s.remote) + " " + quote_path(copy),
                [&] { std::filesystem::remove_all(copy); },
                [&](int n) {
                  // Either nothing (killed before the rename) or a whole clone.
                  if (std::filesystem::exists(copy)) {
                    EXPECT_EQ(run_git(copy, "rev-parse HEAD"), run_git(s.remote, "rev-parse main"))
                        << "clone killed at step " << n;
                    EXPECT_EQ(home.run("sync --ledger " + quote_path(copy)).status, 0);
                  } else {
                    home.ok("clone " + quote_path(s.remote) + " " + quote_path(copy));
                  }
                  EXPECT_EQ(home.run("verify --ledger " + quote_path(copy)).status, 0);
                }),
            3);
  // key generate: the key store stays readable, a re-run adds a key.
  EXPECT_GE(kill_at_every_step(
                home, "key generate --name Carol", [] {},
                [&](int n) {
                  EXPECT_EQ(home.run("key list").status, 0) << "key generate killed at " << n;
                  home.ok("key generate --name Carol");
                }),
            2);
  // trust add / remove: the trust list stays readable, a re-run applies.
  EXPECT_GE(kill_at_every_step(
                home, "trust add " + s.keyid + s.L(),
                [&] { (void)home.run("trust remove " + s.keyid + s.L()); },
                [&](int n) {
                  EXPECT_EQ(home.run("trust list" + s.L()).status, 0) << "trust killed at " << n;
                  home.ok("trust add " + s.keyid + s.L());
                }),
            2);
  // index rebuild: the index still answers, a re-run rebuilds.
  EXPECT_GE(kill_at_every_step(
                home, "index rebuild" + s.L(), [] {},
                [&](int n) {
                  EXPECT_EQ(home.run("index status" + s.L()).status, 0)
                      << "index rebuild killed at " << n;
                  home.ok("index rebuild" + s.L());
                }),
            1);
  EXPECT_EQ(home.run("verify" + s.L()).status, 0);
}

// Files a killed write left in a directory: temporaries of write_file_atomic.
std::vector<std::string> temporaries(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().find(".tmp-") != std::string::npos)
      out.push_back(e.path().filename().string());
  return out;
}

TEST(CrashConsistency, TrustRemoveAndKeyImportKilledAtEveryStepLeaveNothingHalfDone) {
  Shared s;
  const auto& home = s.home;
  const auto config = home.dir() / "config" / "pedigree";
  // trust remove: trust.json is the old list or the new one, never a mix or
  // unreadable; a re-run (when the key is still trusted) removes it, and no
  // temporary outlives the next write.
  auto trusted = [&] {
    auto list = home.run("trust list --json" + s.L());
    EXPECT_EQ(list.status, 0) << list.err;
    return list.out.find(s.keyid) != std::string::npos;
  };
  EXPECT_GE(
      kill_at_every_step(
          home, "trust remove " + s.keyid + s.L(), [&] { home.ok("trust add " + s.keyid + s.L()); },
          [&](int n) {
            const std::string at = "trust remove killed at step " + std::to_string(n);
            if (trusted()) home.ok("trust remove " + s.keyid + s.L());
            EXPECT_FALSE(trusted()) << at;
            EXPECT_EQ(temporaries(config), std::vector<std::string>{}) << at;
            EXPECT_EQ(home.run("verify" + s.L()).status, 0) << at;
          }),
      2);
  EXPECT_FALSE(trusted());
  // key import: the key store lists the key whole (its private key loads and
  // signs) or not at all; a re-run imports it and removes the temporaries the
  // kill left (one holds the private key).
  const auto pem = home.dir() / "imported.pem";
  ASSERT_EQ(run_command("openssl genpkey -algorithm ed25519 -out " + quote_path(pem)).exit_code, 0);
  const auto keys = config / "keys";
  auto snapshot = home.dir() / "keys-snapshot";
  copy_dir(keys, snapshot);
  const std::string import =
      "key import " + quote_path(pem) + " --name Imported --email i@example.org";
  std::string keyid;
  EXPECT_GE(kill_at_every_step(
                home, import, [&] { copy_dir(snapshot, keys); },
                [&](int n) {
                  const std::string at = "key import killed at step " + std::to_string(n);
                  auto list = home.run("key list --json");
                  ASSERT_EQ(list.status, 0) << at << ": " << list.err;
                  auto again = home.run(import + " --json");
                  ASSERT_EQ(again.status, 0) << at << ": " << again.err;
                  EXPECT_EQ(temporaries(keys), std::vector<std::string>{}) << at;
                  keyid = again.json()["keyid"];
                  home.attest_claim(std::string(64, 'e'), "--key " + keyid.substr(0, 16));
                  EXPECT_EQ(home.run("verify" + s.L()).status, 0) << at;
                }),
            4);
  auto list = home.ok("key list --json").out;
  EXPECT_NE(list.find(keyid), std::string::npos) << list;
}

TEST(CrashConsistency, ASyncKilledAtEveryWriteStepIsCompletedByTheNext) {
  Shared s;
  const auto& home = s.home;
  // Bob's clone and Alice's ledger each add an event; Alice pushes first, so
  // Bob's sync fetches, makes a merge commit, writes files, and pushes.
  auto bob = home.dir() / "bob";
  home.ok("clone " + quote_path(s.remote) + " " + quote_path(bob));
  home.attest_claim(std::string(64, 'd'));
  home.ok("sync" + s.L());
  write_text(home.dir() / "c.json", R"({"contains_nai":"no","basis":"bob"})");
  home.ok("attest raw claim --subject " + k_subject + " --predicate " +
          quote_path(home.dir() / "c.json") + " --ledger " + quote_path(bob));
  auto snapshot = home.dir() / "snapshot";
  copy_dir(bob, snapshot / "bob");
  copy_dir(s.remote, snapshot / "remote.git");
  const std::string sync = "sync --ledger " + quote_path(bob);
  int kills = kill_at_every_step(
      home, sync,
      [&] {
        copy_dir(snapshot / "bob", bob);
        copy_dir(snapshot / "remote.git", s.remote);
      },
      [&](int n) {
        const std::string at = "sync killed at step " + std::to_string(n);
        auto again = home.run(sync);
        ASSERT_EQ(again.status, 0) << at << ": " << again.err;
        EXPECT_EQ(home.run("verify --ledger " + quote_path(bob)).status, 0) << at;
        EXPECT_EQ(run_git(bob, "status --porcelain --untracked-files=all"), "") << at;
        EXPECT_EQ(run_git(bob, "rev-parse HEAD"), run_git(s.remote, "rev-parse main")) << at;
        run_git(bob, "fsck --no-dangling");
        s.expect_clone_verifies(at);
      });
  EXPECT_GE(kills, 5);
}

}  // namespace
}  // namespace pedigree
