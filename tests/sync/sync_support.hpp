// Two-party sync scenarios: a ledger made with the library, a bare git
// remote made from it with the git CLI, clones, and an "attacker" working
// copy of the remote that commits and pushes with plain git.
#pragma once

#include <gtest/gtest.h>

#include "pedigree/index/index.hpp"
#include "pedigree/sync/remotes.hpp"
#include "pedigree/sync/sync.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::testing {

inline std::string cd(const std::filesystem::path& dir) {
  return "cd " + shell_quote(dir.string()) + " && ";
}

inline std::string git_out(const std::filesystem::path& dir, const std::string& args) {
  auto r = run_command(cd(dir) + "git " + args + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << "git " << args << ": " << r.output;
  return r.output;
}

inline std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Alice's ledger (LedgerFixture), a bare remote cloned from it, remote "origin".
class SyncFixture : public LedgerFixture {
public:
  SyncFixture() {
    attest(model_statement(artifact(1)));
    auto r = run_command("git clone -q --bare " + shell_quote(dir().string()) + " " +
                         shell_quote(remote().string()) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    add_remote(dir(), "origin", remote_url());
  }
  std::filesystem::path remote() const { return temp() / "remote.git"; }
  std::string remote_url() const { return "file://" + remote().string(); }

  static void add_remote(const std::filesystem::path& ledger_dir, const std::string& name,
                         const std::string& url) {
    auto store = sync::RemoteStore::load(sync::RemoteStore::path_for(ledger_dir));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(name, url));
    ASSERT_TRUE(store->save());
  }

  // Syncs the ledger at `ledger_dir` with its index; fails the test on a local error.
  static sync::SyncReport sync_dir(const std::filesystem::path& ledger_dir,
                                   sync::SyncOptions options = {}, const std::string& name = "") {
    auto ledger = ledger::Ledger::open(ledger_dir);
    EXPECT_TRUE(ledger) << (ledger ? "" : ledger.error().message());
    auto index = index::Index::open(ledger->index_path());
    EXPECT_TRUE(index);
    auto report = sync::sync_remote(*ledger, *index, ledger::TrustPolicy(), name, options);
    EXPECT_TRUE(report) << (report ? "" : report.error().message());
    return report ? *report : sync::SyncReport{};
  }
  sync::SyncReport sync_alice(sync::SyncOptions options = {}) { return sync_dir(dir(), options); }

  // A plain-git working copy of the remote for hand-made (hostile) commits.
  std::filesystem::path attacker() {
    auto path = temp() / "attacker";
    if (!std::filesystem::exists(path)) {
      auto r = run_command("git clone -q " + shell_quote(remote_url()) + " " +
                           shell_quote(path.string()) + " 2>&1");
      EXPECT_EQ(r.exit_code, 0) << r.output;
    } else {
      git_out(path, "pull -q");
    }
    return path;
  }
  void attacker_commit_and_push(const std::string& message, bool force = false) {
    auto path = temp() / "attacker";
    git_out(path, "add -A");
    git_out(path, "-c user.name=mallory -c user.email=m@e commit -qm " + shell_quote(message));
    git_out(path, std::string("push -q ") + (force ? "-f " : "") + "origin HEAD:main");
  }

  std::string head(const std::filesystem::path& ledger_dir) {
    return trimmed(git_out(ledger_dir, "rev-parse HEAD"));
  }
  std::string remote_head() { return trimmed(git_out(remote(), "rev-parse main")); }
};

// The ledger-relative paths of every event file committed at HEAD of `dir`.
inline std::set<std::string> event_files(const std::filesystem::path& dir) {
  std::set<std::string> out;
  std::istringstream lines(run_command(cd(dir) + "git ls-tree -r --name-only HEAD").output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("events/")) out.insert(line);
  }
  return out;
}

}  // namespace pedigree::testing
