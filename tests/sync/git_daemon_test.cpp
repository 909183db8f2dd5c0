// git:// through a real `git daemon` on 127.0.0.1 (a free port), started and
// stopped by the test: clone, push (receive-pack enabled) and sync.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/servers.hpp"
#include "sync/sync_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

// `git daemon` serving `base`, killed on destruction.
class GitDaemon {
public:
  explicit GitDaemon(const std::filesystem::path& base) {
    m_port = free_port();
    m_pid = ::fork();
    if (m_pid == 0) {
      std::string port = "--port=" + std::to_string(m_port);
      std::string base_path = "--base-path=" + base.string();
      ::execlp("git", "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", port.c_str(),
               base_path.c_str(), "--export-all", "--enable=receive-pack", base.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    wait_until([&] { return port_open(m_port); });
  }
  ~GitDaemon() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      ::waitpid(m_pid, nullptr, 0);
    }
  }
  bool running() const { return m_pid > 0 && port_open(m_port); }
  std::string url(const std::string& repo) const {
    return "git://127.0.0.1:" + std::to_string(m_port) + "/" + repo;
  }

private:
  int m_port = -1;
  pid_t m_pid = -1;
};

bool git_daemon_installed() {
  return run_command("test -x \"$(git --exec-path)/git-daemon\"").exit_code == 0;
}

TEST(SyncGitDaemon, CloneSyncAndPushOverGitProtocol) {
  ASSERT_TRUE(git_daemon_installed())
      << "git daemon is missing: install the Debian package git (tools/install-deps does)";
  SyncFixture fx;
  GitDaemon daemon(fx.temp().path());
  ASSERT_TRUE(daemon.running()) << "git daemon did not start";
  const std::string url = daemon.url("remote.git");

  auto bob_dir = fx.temp() / "bob";
  auto cloned = clone_ledger(url, bob_dir, {});
  ASSERT_TRUE(cloned) << cloned.error().message();
  ASSERT_EQ(cloned->outcome, SyncOutcome::k_ok) << cloned->message;
  EXPECT_EQ(event_files(bob_dir), event_files(fx.dir()));

  // Bob attests and pushes over git://; Alice (also over git://) gets it.
  auto bob_key = crypto::PrivateKey::generate();
  auto bob = ledger::Ledger::open(bob_dir);
  ASSERT_TRUE(bob->add_event(*bob_key, {"Bob", "b@e"}, model_statement(artifact(30))));
  auto pushed = SyncFixture::sync_dir(bob_dir);
  ASSERT_EQ(pushed.outcome, SyncOutcome::k_ok) << pushed.message;
  EXPECT_TRUE(pushed.pushed);
  EXPECT_EQ(fx.remote_head(), fx.head(bob_dir));

  SyncFixture::add_remote(fx.dir(), "daemon", url);
  auto got = SyncFixture::sync_dir(fx.dir(), {}, "daemon");
  ASSERT_EQ(got.outcome, SyncOutcome::k_ok) << got.message;
  EXPECT_EQ(event_files(fx.dir()), event_files(bob_dir));

  // A repository the daemon does not serve is unreachable, not a crash.
  SyncFixture::add_remote(fx.dir(), "missing", daemon.url("missing.git"));
  EXPECT_EQ(SyncFixture::sync_dir(fx.dir(), {}, "missing").outcome, SyncOutcome::k_unreachable);
}

}  // namespace
}  // namespace pedigree::sync
