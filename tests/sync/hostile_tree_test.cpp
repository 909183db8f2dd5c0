// Hand-made git trees from a hostile remote (issue #7 hardening). Each tree is
// written byte by byte into the bare remote with `git hash-object -t tree
// --literally`, committed on top of the remote's main with `git commit-tree`,
// and the sync must be refused naming the commit and the path, leaving the
// ledger, its index and its working tree as they were; a good commit after it
// (the same helper, no damage) is then accepted.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/sync/incoming.hpp"
#include "pedigree/sync/tree_check.hpp"
#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

// One entry of a tree as the attacker writes it: any mode text, any name.
struct Entry {
  std::string mode, name, oid;
  bool is_dir() const { return mode == "40000" || mode == "040000"; }
};
using Entries = std::vector<Entry>;

std::string raw_oid(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// Git's order, written from git's documentation (a directory's name compared as if it ended in
// '/').
bool git_less(const Entry& a, const Entry& b) {
  return a.name + (a.is_dir() ? "/" : "") < b.name + (b.is_dir() ? "/" : "");
}

// The hostile remote: a bare repository written with the git CLI only.
struct Remote {
  std::filesystem::path dir;
  std::string git(const std::string& args) { return trimmed(git_out(dir, args)); }

  std::string blob(const std::string& bytes) {
    auto file = dir / "blob.tmp";
    write_text(file, bytes);
    return git("hash-object -w " + shell_quote(file.string()));
  }
  // Writes the entries as they are: no sorting, no checks.
  std::string tree(const Entries& entries) {
    std::string bytes;
    for (const auto& e : entries) bytes += e.mode + ' ' + e.name + '\0' + raw_oid(e.oid);
    return tree_bytes(bytes);
  }
  std::string tree_bytes(const std::string& bytes) {
    auto file = dir / "tree.tmp";
    write_text(file, bytes);
    return git("hash-object -t tree --literally -w " + shell_quote(file.string()));
  }
  Entries ls(const std::string& tree) {
    Entries out;
    std::istringstream lines(git("ls-tree " + tree));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line.substr(0, line.find('\t')));
      Entry e;
      std::string type;
      fields >> e.mode >> type >> e.oid;
      if (e.mode == "040000") e.mode = "40000";
      e.name = line.substr(line.find('\t') + 1);
      out.push_back(e);
    }
    return out;
  }
  // `tree` with `leaf` put at directory `dirs` (created as needed), canonical
  // except for what `damage` does to the entries of that directory.
  std::string put(const std::string& tree, std::vector<std::string> dirs, const Entry& leaf,
                  const std::function<void(Entries&)>& damage) {
    Entries entries = tree.empty() ? Entries{} : ls(tree);
    if (dirs.empty()) {
      std::erase_if(entries, [&](const Entry& e) { return e.name == leaf.name; });
      entries.push_back(leaf);
      std::sort(entries.begin(), entries.end(), git_less);
      damage(entries);
      return this->tree(entries);
    }
    std::string sub;
    for (const auto& e : entries) {
      if (e.name == dirs.front()) sub = e.oid;
    }
    std::string name = dirs.front();
    dirs.erase(dirs.begin());
    std::erase_if(entries, [&](const Entry& e) { return e.name == name; });
    entries.push_back({"40000", name, put(sub, dirs, leaf, damage)});
    std::sort(entries.begin(), entries.end(), git_less);
    return this->tree(entries);
  }
  // A commit of `tree` on top of main, made main's tip.
  std::string commit_on_main(const std::string& tree) {
    auto c =
        git("-c user.name=mallory -c user.email=m@e commit-tree " + tree + " -p main -m attack");
    git("update-ref refs/heads/main " + c);
    return c;
  }
};

// Everything a refused sync must leave as it was.
struct StateAfterRefusal {
  std::string refs, status, head, index_file, sqlite_commit;
  bool operator==(const StateAfterRefusal&) const = default;
};

struct HostileTreeFixture : SyncFixture {
  Remote remote_repo{remote()};
  std::string good_tip;

  HostileTreeFixture() {
    attest(model_statement(artifact(2)));
    EXPECT_EQ(sync_alice().outcome, SyncOutcome::k_ok);
    good_tip = remote_head();
  }
  StateAfterRefusal capture() {
    StateAfterRefusal s;
    s.refs = git_out(dir(), "for-each-ref");
    s.status = git_out(dir(), "status --porcelain --ignored");
    s.head = head(dir());
    s.index_file = read_text(dir() / ".git" / "index");
    auto index = index::Index::open(ledger().index_path());
    EXPECT_TRUE(index);
    auto last = index->last_commit();
    s.sqlite_commit = last && *last ? **last : "";
    return s;
  }
  // A valid event of artifact `n` signed by Alice: its directories, file name and blob.
  struct Event {
    std::vector<std::string> dirs;
    Entry entry;
    std::string path, bytes;
  };
  Event event(int n) {
    auto bytes = ledger::sign_statement(model_statement(artifact(n)), key());
    EXPECT_TRUE(bytes);
    Event ev;
    ev.path = ledger::event_path(artifact(n), crypto::sha256_hex(*bytes));
    std::string rest = ev.path;
    for (auto slash = rest.find('/'); slash != std::string::npos; slash = rest.find('/')) {
      ev.dirs.push_back(rest.substr(0, slash));
      rest.erase(0, slash + 1);
    }
    ev.entry = {"100644", rest, remote_repo.blob(*bytes)};
    ev.bytes = *bytes;
    return ev;
  }
  std::string main_tree() { return remote_repo.git("rev-parse main^{tree}"); }

  // Commits a new event whose directory `damage` spoils, syncs, and checks the refusal.
  void expect_refused(const std::function<void(Entries&, const Event&)>& damage,
                      const std::string& path, const std::string& reason, bool at_root = false) {
    auto ev = event(100);
    auto dirs = at_root ? std::vector<std::string>{} : ev.dirs;
    Entry leaf = at_root ? Entry{"100644", "README.md", remote_repo.blob("readme\n")} : ev.entry;
    auto tree = remote_repo.put(main_tree(), dirs, leaf, [&](Entries& e) { damage(e, ev); });
    auto commit = remote_repo.commit_on_main(tree);
    auto before = capture();
    auto report = sync_alice();
    EXPECT_EQ(report.outcome, SyncOutcome::k_rejected) << report.message;
    std::string all;
    bool found = false;
    std::string where = path;  // EVENT_DIR and EVENT stand for the new event's directory and path
    if (where.starts_with("EVENT_DIR")) where.replace(0, 9, ev.path.substr(0, ev.path.rfind('/')));
    if (where == "EVENT") where = ev.path;
    for (const auto& o : report.offenses) {
      all += o.commit + " " + o.path + ": " + o.reason + "\n";
      if (o.commit == commit && o.path == where && o.reason.find(reason) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no offense on '" << where << "' containing '" << reason << "' in:\n"
                       << all << report.message;
    EXPECT_EQ(capture(), before);
    expect_good_sync_after();
  }

  // The remote's main reset to the last good tip plus a valid event: accepted.
  void expect_good_sync_after() {
    remote_repo.git("update-ref refs/heads/main " + good_tip);
    auto ev = event(101);
    remote_repo.commit_on_main(remote_repo.put(main_tree(), ev.dirs, ev.entry, [](Entries&) {}));
    auto report = sync_alice();
    ASSERT_EQ(report.outcome, SyncOutcome::k_ok) << report.message;
    EXPECT_TRUE(std::filesystem::exists(dir() / ev.path));
    EXPECT_EQ(trimmed(git_out(dir(), "status --porcelain")), "");
  }
};

Entry& named(Entries& entries, const std::string& name) {
  for (auto& e : entries) {
    if (e.name == name) return e;
  }
  ADD_FAILURE() << "no entry " << name;
  return entries.front();
}

TEST(HostileTree, GoodHandMadeCommitIsAccepted) {
  HostileTreeFixture fx;
  fx.expect_good_sync_after();
}

TEST(HostileTree, DuplicateIdenticalEntryIsRefused) {
  HostileTreeFixture fx;
  fx.expect_refused([](Entries& e, const auto& ev) { e.push_back(named(e, ev.entry.name)); },
                    "EVENT", "appears twice");
}

TEST(HostileTree, DuplicateNameWithAnotherBlobIsRefused) {
  HostileTreeFixture fx;
  auto other = fx.remote_repo.blob("other\n");
  fx.expect_refused(
      [&](Entries& e, const auto& ev) {
        e.insert(e.begin(), {"100644", ev.entry.name, other});
      },
      "EVENT", "appears twice");
}

TEST(HostileTree, FileAndDirectoryOfTheSameNameAreRefused) {
  HostileTreeFixture fx;
  fx.expect_refused(
      [&](Entries& e, const auto& ev) {
        e.push_back({"40000", ev.entry.name, fx.main_tree()});
      },
      "EVENT", "a file and a directory");
}

TEST(HostileTree, UnsortedEntriesAreRefused) {
  // The root holds LEDGER.json, README.md, events, keys: reversed, "events" is the first out of
  // order.
  HostileTreeFixture fx;
  fx.expect_refused([](Entries& e, const auto&) { std::reverse(e.begin(), e.end()); }, "events",
                    "out of git's order", /*at_root=*/true);
}

TEST(HostileTree, DirectoryOrderIgnoringTheTrailingSlashIsRefused) {
  // "events" (a directory, read "events/") must come after "events.txt".
  HostileTreeFixture fx;
  auto blob = fx.remote_repo.blob("x\n");
  fx.expect_refused(
      [&](Entries& e, const auto&) {
        e.push_back({"100644", "events.txt", blob});
        std::sort(e.begin(), e.end(),
                  [](const Entry& a, const Entry& b) { return a.name < b.name; });
      },
      "events.txt", "out of git's order", /*at_root=*/true);
}

struct BadName {
  std::string name, reason;
};

TEST(HostileTree, ReservedOrInvalidNamesAreRefused) {
  for (const BadName& bad : std::vector<BadName>{{".", "the name '.'"},
                                                 {"..", "the name '..'"},
                                                 {".git", "'.git'"},
                                                 {".GIT", "'.git'"},
                                                 {".git. ", "'.git'"},
                                                 {"GIT~1", "'.git'"},
                                                 {"", "an empty name"},
                                                 {"events/x", "containing '/'"}}) {
    SCOPED_TRACE("name '" + bad.name + "'");
    HostileTreeFixture fx;
    auto blob = fx.remote_repo.blob("x\n");
    fx.expect_refused(
        [&](Entries& e, const auto&) {
          e.insert(e.begin(), {"100644", bad.name, blob});
        },
        "(root directory)", bad.reason, /*at_root=*/true);
  }
}

TEST(HostileTree, DotGitDirectoryIsRefused) {
  HostileTreeFixture fx;
  auto hook = fx.remote_repo.tree({{"100755", "post-merge", fx.remote_repo.blob("#!/bin/sh\n")}});
  auto hooks = fx.remote_repo.tree({{"40000", "hooks", hook}});
  fx.expect_refused(
      [&](Entries& e, const auto&) {
        e.insert(e.begin(), {"40000", ".git", hooks});
      },
      "(root directory)", "'.git'", /*at_root=*/true);
}

TEST(HostileTree, NonCanonicalModesAreRefused) {
  for (const std::string mode : {"0100644", "100664", "100600", "040000", "644", "10644x"}) {
    SCOPED_TRACE("mode " + mode);
    HostileTreeFixture fx;
    fx.expect_refused([&](Entries& e, const auto& ev) { named(e, ev.entry.name).mode = mode; },
                      "EVENT", "has mode '" + mode + "'");
  }
}

TEST(HostileTree, DirectoryModeOnABlobIsRefused) {
  HostileTreeFixture fx;
  fx.expect_refused([](Entries& e, const auto& ev) { named(e, ev.entry.name).mode = "40000"; },
                    "EVENT", "whose object is a blob");
}

TEST(HostileTree, FileModeOnATreeIsRefused) {
  HostileTreeFixture fx;
  fx.expect_refused(
      [&](Entries& e, const auto& ev) { named(e, ev.entry.name).oid = fx.main_tree(); }, "EVENT",
      "missing or not a blob");
}

TEST(HostileTree, MissingBlobIsRefused) {
  HostileTreeFixture fx;
  fx.expect_refused(
      [](Entries& e, const auto& ev) { named(e, ev.entry.name).oid = std::string(40, 'e'); },
      "EVENT", "missing or not a blob");
}

TEST(HostileTree, MissingSubtreeIsRefused) {
  HostileTreeFixture fx;
  fx.expect_refused(
      [](Entries& e, const auto&) {
        e.push_back({"40000", "zz", std::string(40, 'd')});
      },
      "EVENT_DIR/zz", "is missing");
}

TEST(HostileTree, TruncatedTreeObjectIsRefused) {
  HostileTreeFixture fx;
  auto cut = fx.remote_repo.tree_bytes(std::string("100644 README.md\0abc", 20));
  fx.expect_refused(
      [&](Entries& e, const auto&) {
        e.push_back({"40000", "zz", cut});
      },
      "zz", "not a valid tree object", /*at_root=*/true);
}

TEST(HostileTree, DeepNestingIsRefused) {
  HostileTreeFixture fx;
  auto inner = fx.remote_repo.tree({{"100644", "f", fx.remote_repo.blob("x\n")}});
  std::string path = "deep";
  for (std::size_t i = 0; i < k_max_tree_depth + 8; ++i) {
    inner = fx.remote_repo.tree({{"40000", "d", inner}});
  }
  for (std::size_t i = 0; i < k_max_tree_depth; ++i) path += "/d";
  fx.expect_refused(
      [&](Entries& e, const auto&) {
        e.push_back({"40000", "deep", inner});
        std::sort(e.begin(), e.end(), git_less);
      },
      path, "deeper than", /*at_root=*/true);
}

// The verifier itself, on a commit made by hand in the ledger's own repository.
TEST(HostileTree, VerifyIncomingReportsTheCommitWithoutDiffing) {
  HostileTreeFixture fx;
  Remote local{fx.dir()};
  auto ev = fx.event(100);
  auto blob = local.blob(ev.bytes);
  auto tree = local.put(local.git("rev-parse HEAD^{tree}"), ev.dirs,
                        {"100644", ev.entry.name, blob}, [](Entries& e) { e.push_back(e.back()); });
  auto commit = local.git("-c user.name=m -c user.email=m@e commit-tree " + tree + " -p HEAD -m x");
  auto repo = ledger::GitRepo::open(fx.dir());
  ASSERT_TRUE(repo);
  auto check = verify_incoming(*repo, commit, {fx.head(fx.dir())}, {});
  ASSERT_TRUE(check) << check.error().message();
  ASSERT_EQ(check->offenses.size(), 1u);
  EXPECT_EQ(check->offenses[0].commit, commit);
  EXPECT_EQ(check->offenses[0].path, ev.path);
  EXPECT_EQ(check->files_added, 0u);
}

// The binary, with HOME and the XDG directories in the test's temporary directory.
struct Cli {
  int status = -1;
  std::string out, err;
};
Cli run_pedigree(const std::filesystem::path& home, const std::string& args) {
  std::filesystem::create_directories(home);
  auto err = home / "stderr.txt";
  auto h = shell_quote(home.string());
  auto r = run_command("HOME=" + h + " XDG_CONFIG_HOME=" + h + "/config XDG_DATA_HOME=" + h +
                       "/data XDG_CACHE_HOME=" + h +
                       "/cache PEDIGREE_LEDGER= " + shell_quote(PEDIGREE_BINARY) + " " + args +
                       " 2>" + shell_quote(err.string()));
  return {r.exit_code, r.output, read_text(err)};
}

TEST(HostileTree, CliSyncExitsSixNamingCommitAndPath) {
  HostileTreeFixture fx;
  auto ev = fx.event(100);
  auto commit = fx.remote_repo.commit_on_main(fx.remote_repo.put(
      fx.main_tree(), ev.dirs, ev.entry, [](Entries& e) { e.push_back(e.back()); }));
  auto before = fx.capture();
  auto r = run_pedigree(fx.temp() / "home", "sync --ledger " + shell_quote(fx.dir().string()));
  EXPECT_EQ(r.status, 6) << r.err;
  EXPECT_NE(r.err.find("commit " + commit.substr(0, 12)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(ev.path + ": appears twice in its directory"), std::string::npos) << r.err;
  EXPECT_EQ(fx.capture(), before);
}

TEST(HostileTree, CliCloneOfAHostileRemoteLeavesNothingBehind) {
  HostileTreeFixture fx;
  auto blob = fx.remote_repo.blob("x\n");
  fx.remote_repo.commit_on_main(
      fx.remote_repo.put(fx.main_tree(), {},
                         {"100644", "README.md", fx.remote_repo.blob("readme\n")}, [&](Entries& e) {
                           e.insert(e.begin(), {"100644", "..", blob});
                         }));
  auto target = fx.temp() / "bob";
  auto r = run_pedigree(fx.temp() / "home", "clone " + shell_quote(fx.remote_url()) + " " +
                                                shell_quote(target.string()));
  EXPECT_EQ(r.status, 6) << r.err;
  EXPECT_NE(r.err.find("(root directory): holds an entry with the name '..'"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(target));
  // Once the remote is good again, the same clone works.
  fx.expect_good_sync_after();
  auto again = run_pedigree(fx.temp() / "home", "clone " + shell_quote(fx.remote_url()) + " " +
                                                    shell_quote(target.string()));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(trimmed(git_out(target, "rev-parse HEAD")), fx.remote_head());
}

}  // namespace
}  // namespace pedigree::sync
