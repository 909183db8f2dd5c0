// Bounds before work on what a remote controls (issue 15, case 7), through
// the real binary against a bare remote the git CLI writes hostile objects
// into: a blob that inflates to hundreds of megabytes at an event path, a
// commit with a thousand parents, an oversized commit object. Each is refused
// naming the commit (and path), from the object's header, with nothing
// changed locally.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include "e2e/ledger_cli.hpp"

namespace pedigree {
namespace {

using namespace pedigree::testing;

std::string sh(const std::string& command) {
  auto r = run_command(command + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

// Runs `command` under /bin/sh and returns its exit status and the peak
// resident set of the process tree in KiB (wait4's rusage).
std::pair<int, long> run_measured(const std::string& command) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, usage.ru_maxrss};
}

// Alice's ledger with one event, pushed to a bare remote; hostile commits are
// then written straight into the remote with git plumbing.
struct Hostile {
  CliHome home;
  std::filesystem::path remote = home.dir() / "remote.git";
  Hostile() {
    home.setup_key_and_ledger();
    EXPECT_EQ(run_command("git init -q --bare -b main " + quote_path(remote)).exit_code, 0);
    home.ok("remote add origin " + quote_path(remote) + " --ledger " + quote_path(home.ledger()));
    home.attest_claim(std::string(64, 'b'));
    home.ok("sync --ledger " + quote_path(home.ledger()));
  }
  std::string git(const std::string& args) const {
    return sh("git --git-dir=" + quote_path(remote) + " " + args);
  }
  // A commit on top of main adding `blob` at `path`; moves main to it.
  std::string commit_adding(const std::string& path, const std::string& blob) const {
    auto index = home.dir() / "hostile-index";
    std::string env = "GIT_INDEX_FILE=" + quote_path(index) + " ";
    sh(env + "git --git-dir=" + quote_path(remote) + " read-tree main");
    sh(env + "git --git-dir=" + quote_path(remote) + " update-index --add --cacheinfo 100644," +
       blob + "," + path);
    std::string tree = sh(env + "git --git-dir=" + quote_path(remote) + " write-tree");
    std::string commit =
        git("-c user.name=m -c user.email=m@m commit-tree " + tree + " -p main -m hostile");
    git("update-ref refs/heads/main " + commit);
    return commit;
  }
  // Writes raw commit text as an object (no checks, as a hostile peer can) and moves main.
  std::string write_commit(const std::string& text) const {
    write_text(home.dir() / "commit.txt", text);
    std::string id =
        git("hash-object -t commit -w --literally " + quote_path(home.dir() / "commit.txt"));
    git("update-ref refs/heads/main " + id);
    return id;
  }
  std::string head() const { return sh("git -C " + quote_path(home.ledger()) + " rev-parse HEAD"); }
};

TEST(SyncBounds, ABlobThatInflatesToMegabytesIsRefusedFromItsHeader) {
  Hostile h;
  // 256 MiB of zeros: a ~250 KB compressed loose object at an event path.
  const std::string blob =
      sh("head -c 268435456 /dev/zero | git --git-dir=" + quote_path(h.remote) +
         " hash-object -w --stdin");
  ASSERT_EQ(blob.size(), 40u) << blob;
  const std::string path =
      "events/aa/aa/" + std::string(64, 'a') + "/" + std::string(64, 'c') + ".json";
  const std::string commit = h.commit_adding(path, blob);
  const std::string before = h.head();
  auto [status, rss_kib] =
      run_measured(h.home.env() + shell_quote(PEDIGREE_BINARY) + " sync --ledger " +
                   quote_path(h.home.ledger()) + " >" + quote_path(h.home.dir() / "out") + " 2>&1");
  const std::string out = read_text(h.home.dir() / "out");
  EXPECT_EQ(status, 6) << out;
  EXPECT_NE(out.find(path), std::string::npos) << out;
  EXPECT_NE(out.find("268435456 bytes"), std::string::npos) << out;
  EXPECT_NE(out.find(commit.substr(0, 12)), std::string::npos) << out;
  // The refusal came from the header: pedigree never held the inflated bytes
  // (256 MiB). 200 MiB leaves room for ASan's shadow memory (147 MiB measured
  // under ASan+UBSan, ~12 MiB in Release).
  EXPECT_LT(rss_kib, 200 * 1024) << "peak RSS " << rss_kib << " KiB";
  EXPECT_EQ(h.head(), before);
}

TEST(SyncBounds, ACommitWithAThousandParentsIsRefusedBeforeAnyComparison) {
  Hostile h;
  const std::string tip = h.git("rev-parse main");
  const std::string tree = h.git("rev-parse main^{tree}");
  std::string text = "tree " + tree + "\n";
  for (int i = 0; i < 1000; ++i) text += "parent " + tip + "\n";
  text += "author m <m@m> 1700000000 +0000\ncommitter m <m@m> 1700000000 +0000\n\nmany\n";
  const std::string commit = h.write_commit(text);
  const std::string before = h.head();
  auto r = h.home.run("sync --ledger " + quote_path(h.home.ledger()));
  EXPECT_EQ(r.status, 6) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("has 1000 parents (limit 64)"), std::string::npos)
      << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(commit.substr(0, 12)), std::string::npos) << r.out << r.err;
  EXPECT_EQ(h.head(), before);
  EXPECT_EQ(h.home.run("verify --ledger " + quote_path(h.home.ledger())).status, 0);
}

TEST(SyncBounds, AnOversizedCommitObjectIsRefusedFromItsHeader) {
  Hostile h;
  const std::string tip = h.git("rev-parse main");
  const std::string tree = h.git("rev-parse main^{tree}");
  std::string text = "tree " + tree + "\nparent " + tip +
                     "\nauthor m <m@m> 1700000000 +0000\ncommitter m <m@m> 1700000000 +0000\n\n" +
                     std::string(3u << 20, 'x') + "\n";
  const std::string commit = h.write_commit(text);
  const std::string before = h.head();
  auto r = h.home.run("sync --ledger " + quote_path(h.home.ledger()));
  EXPECT_EQ(r.status, 6) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("(limit 1048576)"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(commit.substr(0, 12)), std::string::npos) << r.out << r.err;
  EXPECT_EQ(h.head(), before);
}

// An oversized commit below a small tip: the walk that lists new commits
// reads each one's size from its header before libgit2 parses it (libgit2's
// revision walk parsed it first, and stopped silently at one it could not
// parse, listing no new commit at all).
TEST(SyncBounds, AnOversizedCommitBelowTheTipIsRefusedBeforeItIsParsed) {
  for (const bool parseable : {false, true}) {
    Hostile h;
    const std::string tip = h.git("rev-parse main");
    const std::string tree = h.git("rev-parse main^{tree}");
    // Not a commit libgit2 can parse (no tree line), or a well-formed one.
    const std::string body = std::string(3u << 20, 'x') + "\n";
    // Stored without moving a ref (git refuses a ref to what it cannot parse).
    write_text(h.home.dir() / "big.txt",
               parseable ? "tree " + tree + "\nparent " + tip +
                               "\nauthor m <m@m> 1700000000 +0000\ncommitter m <m@m> 1700000000 "
                               "+0000\n\n" +
                               body
                         : body);
    const std::string big =
        h.git("hash-object -t commit -w --literally " + quote_path(h.home.dir() / "big.txt"));
    const std::string small = h.write_commit("tree " + tree + "\nparent " + big +
                                             "\nauthor m <m@m> 1700000001 +0000\ncommitter m "
                                             "<m@m> 1700000001 +0000\n\nsmall\n");
    const std::string before = h.head();
    const std::string refs_before = sh("git -C " + quote_path(h.home.ledger()) + " for-each-ref");
    auto r = h.home.run("sync --ledger " + quote_path(h.home.ledger()));
    EXPECT_EQ(r.status, 6) << parseable << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("(limit 1048576)"), std::string::npos) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find(big.substr(0, 12)), std::string::npos) << r.out << r.err;
    EXPECT_EQ(h.head(), before);
    EXPECT_EQ(sh("git -C " + quote_path(h.home.ledger()) + " for-each-ref"), refs_before);
    EXPECT_EQ(h.home.run("verify --ledger " + quote_path(h.home.ledger())).status, 0);
  }
}

}  // namespace
}  // namespace pedigree
