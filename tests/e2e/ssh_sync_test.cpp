// ssh:// end to end: the real binary against a real sshd (OpenSSH, started by
// the test on a free 127.0.0.1 port with its own host key), the git CLI (over
// OpenSSH's ssh) as the other user. Host keys come from ~/.ssh/known_hosts in
// the test's HOME, keys from ~/.ssh/id_* or an ssh-agent started by the test.
#include <pwd.h>
#include <unistd.h>
#include <cstdlib>

#include <gtest/gtest.h>

#include "e2e/ledger_cli.hpp"
#include "support/servers.hpp"

namespace pedigree {
namespace {

using namespace pedigree::testing;

// libgit2 1.5.1 leaks the known_hosts it loads on every ssh connection; the
// Sanitize build's suppression (tests/lsan.supp) names git_remote_connect_ext,
// which LeakSanitizer's fast unwinder does not reach through libgit2's frames.
// The pedigree runs of this file (ledger_cli.hpp passes ASAN_OPTIONS through)
// unwind fully; other builds ignore the variable.
[[maybe_unused]] const int k_full_unwind =
    ::setenv("ASAN_OPTIONS", "fast_unwind_on_malloc=0", /*overwrite=*/0);

std::string user_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "root";
}

// Alice's ledger with one event, served bare by sshd as srv/remote.git;
// Bob's home with an ssh key the server accepts and the server's host key
// in ~/.ssh/known_hosts (hashed, as ssh-keygen -H writes it).
struct SshWorld {
  CliHome alice, bob;
  std::filesystem::path srv = bob.dir() / "srv";
  std::filesystem::path remote = srv / "remote.git";
  std::filesystem::path ssh_dir = bob.dir() / "home" / ".ssh";
  std::string first_event;
  std::unique_ptr<SshServer> server;

  SshWorld() {
    alice.setup_key_and_ledger();
    first_event = alice.attest_claim(std::string(64, 'a'));  // subject aaa...
    std::filesystem::create_directories(srv);
    must_run("git clone -q --bare " + quote_path(alice.ledger()) + " " + quote_path(remote));
    std::filesystem::create_directories(ssh_dir);
    must_run("ssh-keygen -q -t ed25519 -N '' -C bob -f " + quote_path(ssh_dir / "id_ed25519"));
    server = std::make_unique<SshServer>(srv / "sshd");
    write_text(server->authorized_keys(), read_text(ssh_dir / "id_ed25519.pub"));
    write_text(known_hosts(), server->known_hosts_line());
    must_run("ssh-keygen -q -H -f " + quote_path(known_hosts()));
  }
  std::filesystem::path known_hosts() const { return ssh_dir / "known_hosts"; }
  std::string url() const { return server->url(user_name(), remote); }
  // `git ARGS` in `dir` over OpenSSH's ssh with Bob's key and known_hosts.
  std::string git_over_ssh(const std::filesystem::path& dir, const std::string& args) const {
    std::string ssh =
        "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o "
        "StrictHostKeyChecking=yes -o UserKnownHostsFile=" +
        known_hosts().string() + " -i " + (ssh_dir / "id_ed25519").string();
    return must_run("cd " + quote_path(dir) + " && GIT_SSH_COMMAND=" + shell_quote(ssh) + " git " +
                    args);
  }
  // Where the event `event` about `subject` lies in Bob's ledger.
  std::filesystem::path bob_event(char subject, const std::string& event) const {
    return bob.ledger() / ledger::event_path(std::string(64, subject), event);
  }
};

#define REQUIRE_SSHD()                                          \
  do {                                                          \
    auto missing = missing_sshd();                              \
    ASSERT_EQ(missing, "") << "the ssh tests need a real sshd"; \
  } while (0)

TEST(SshSync, ClonePullAndPushOverSsh) {
  REQUIRE_SSHD();
  SshWorld w;
  ASSERT_TRUE(w.server->running()) << w.server->log();

  // No user in the URL: pedigree logs in as the local user (as git + OpenSSH would).
  const auto without_user =
      "ssh://127.0.0.1:" + std::to_string(w.server->port()) + w.remote.string();
  auto cloned =
      w.bob.run("clone --json " + shell_quote(without_user) + " " + quote_path(w.bob.ledger()));
  ASSERT_EQ(cloned.status, 0) << cloned.err << w.server->log();
  EXPECT_EQ(cloned.json()["outcome"], "ok");
  EXPECT_EQ(cloned.json()["head_after"], git_main_head(w.remote));
  EXPECT_TRUE(std::filesystem::exists(w.bob_event('a', w.first_event)));

  // Alice attests and pushes with plain git over ssh; Bob's sync brings it.
  auto second = w.alice.attest_claim(std::string(64, 'b'));
  w.git_over_ssh(w.alice.ledger(), "push -q " + shell_quote(w.url()) + " HEAD:refs/heads/main");
  auto pulled = w.bob.run("sync --json --ledger " + quote_path(w.bob.ledger()));
  ASSERT_EQ(pulled.status, 0) << pulled.err;
  EXPECT_EQ(pulled.json()["merge"], "fast-forward");
  EXPECT_TRUE(std::filesystem::exists(w.bob_event('b', second)));

  // Bob attests; sync pushes it over ssh.
  w.bob.ok("key generate --name Bob --email bob@example.org");
  auto mine = w.bob.attest_claim(std::string(64, 'c'));
  auto pushed = w.bob.run("sync --json --ledger " + quote_path(w.bob.ledger()));
  ASSERT_EQ(pushed.status, 0) << pushed.err;
  EXPECT_TRUE(pushed.json()["pushed"]);
  EXPECT_EQ(git_main_head(w.remote), git_main_head(w.bob.ledger() / ".git"));
  EXPECT_NE(must_run("git --git-dir=" + quote_path(w.remote) + " ls-tree -r --name-only main")
                .find(ledger::event_path(std::string(64, 'c'), mine)),
            std::string::npos);
}

TEST(SshSync, EachDefaultIdentityFileLogsIn) {
  REQUIRE_SSHD();
  SshWorld w;
  ASSERT_TRUE(w.server->running()) << w.server->log();
  w.bob.ok("clone " + shell_quote(w.url()) + " " + quote_path(w.bob.ledger()));
  std::filesystem::remove(w.ssh_dir / "id_ed25519");
  const auto key = [&](const std::string& type) { return w.ssh_dir / ("id_" + type); };

  // ECDSA; without the .pub beside it, libssh2 derives the public key.
  must_run("ssh-keygen -q -t ecdsa -N '' -f " + quote_path(key("ecdsa")));
  write_text(w.server->authorized_keys(), read_text(key("ecdsa").string() + ".pub"));
  std::filesystem::remove(key("ecdsa").string() + ".pub");
  auto r = w.bob.run("sync --json --ledger " + quote_path(w.bob.ledger()));
  EXPECT_EQ(r.status, 0) << r.err << w.server->log();
  std::filesystem::remove(key("ecdsa"));

  // RSA: Debian's libssh2 1.10 signs with ssh-rsa (SHA-1), which OpenSSH
  // 8.8+ refuses by default; the error says so. A server that still accepts it works.
  must_run("ssh-keygen -q -t rsa -N '' -f " + quote_path(key("rsa")));
  write_text(w.server->authorized_keys(), read_text(key("rsa").string() + ".pub"));
  r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()));
  EXPECT_EQ(r.status, 20);
  EXPECT_NE(r.err.find("SHA-1"), std::string::npos) << r.err;
  EXPECT_NE(w.server->log().find("ssh-rsa not in PubkeyAcceptedAlgorithms"), std::string::npos);
  SshServer legacy(w.srv / "legacy-sshd", "PubkeyAcceptedAlgorithms +ssh-rsa\n");
  ASSERT_TRUE(legacy.running()) << legacy.log();
  write_text(legacy.authorized_keys(), read_text(key("rsa").string() + ".pub"));
  write_text(w.known_hosts(), legacy.known_hosts_line());
  w.bob.ok("remote add legacy " + shell_quote(legacy.url(user_name(), w.remote)) + " --ledger " +
           quote_path(w.bob.ledger()));
  r = w.bob.run("sync legacy --json --ledger " + quote_path(w.bob.ledger()));
  EXPECT_EQ(r.status, 0) << r.err << legacy.log();
}

TEST(SshSync, UnknownHostIsRefusedWithWhatToDo) {
  REQUIRE_SSHD();
  SshWorld w;
  ASSERT_TRUE(w.server->running()) << w.server->log();
  std::filesystem::remove(w.known_hosts());
  auto r = w.bob.run("clone " + shell_quote(w.url()) + " " + quote_path(w.bob.ledger()));
  EXPECT_EQ(r.status, 20) << r.err;
  EXPECT_NE(r.err.find("ssh host key of [127.0.0.1]:" + std::to_string(w.server->port()) +
                       " (ED25519 key SHA256:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("is unknown"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ssh-keyscan -p " + std::to_string(w.server->port()) + " 127.0.0.1"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(w.bob.ledger()));
  // The fingerprint quoted is the server's (as ssh-keygen -l prints it).
  auto fp = must_run("ssh-keygen -l -f " + quote_path(w.srv / "sshd" / "host_key.pub"));
  EXPECT_NE(r.err.find(fp.substr(fp.find("SHA256:"), 50)), std::string::npos) << fp << r.err;

  // An entry for the host without the port does not vouch for another port
  // only if libssh2 says so: record what Debian's libssh2 does (see docs/sync.md).
  write_text(w.known_hosts(), "127.0.0.1 " + w.server->host_public_key() + "\n");
  auto plain = w.bob.run("clone " + shell_quote(w.url()) + " " + quote_path(w.bob.ledger()));
  EXPECT_EQ(plain.status, 0) << "libssh2 accepts a plain-host entry for any port: " << plain.err;
}

TEST(SshSync, ChangedHostKeyIsRefusedAndNothingLocalChanges) {
  REQUIRE_SSHD();
  SshWorld w;
  ASSERT_TRUE(w.server->running()) << w.server->log();
  w.bob.ok("clone " + shell_quote(w.url()) + " " + quote_path(w.bob.ledger()));
  const auto before_head = git_main_head(w.bob.ledger() / ".git");
  const auto before_remotes = read_text(w.bob.ledger() / ".git" / "pedigree" / "remotes.json");

  // The server's key changes (or someone else answers): another key for the same name.
  w.alice.attest_claim(std::string(64, 'd'));
  must_run("git -C " + quote_path(w.alice.ledger()) + " push -q " + quote_path(w.remote) +
           " HEAD:refs/heads/main");
  must_run("ssh-keygen -q -t ed25519 -N '' -f " + quote_path(w.srv / "other_key"));
  write_text(w.known_hosts(), "[127.0.0.1]:" + std::to_string(w.server->port()) + " " +
                                  read_text(w.srv / "other_key.pub"));
  must_run("ssh-keygen -q -H -f " + quote_path(w.known_hosts()));
  auto r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()));
  EXPECT_EQ(r.status, 20) << r.err;
  EXPECT_NE(r.err.find("does not match the one in ~/.ssh/known_hosts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ssh-keygen -R '[127.0.0.1]:" + std::to_string(w.server->port()) + "'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(git_main_head(w.bob.ledger() / ".git"), before_head);
  EXPECT_EQ(read_text(w.bob.ledger() / ".git" / "pedigree" / "remotes.json"), before_remotes);
  EXPECT_EQ(w.bob.in_ledger("git status --porcelain").output, "");
}

TEST(SshSync, KeysComeFromTheAgentFirstAndAPassphraseIsExplained) {
  REQUIRE_SSHD();
  SshWorld w;
  ASSERT_TRUE(w.server->running()) << w.server->log();
  w.bob.ok("clone " + shell_quote(w.url()) + " " + quote_path(w.bob.ledger()));
  w.bob.ok("key generate --name Bob --email bob@example.org");
  auto mine = w.bob.attest_claim(std::string(64, 'e'));
  const auto local_head = git_main_head(w.bob.ledger() / ".git");

  // The accepted key now has a passphrase: refused, saying to use ssh-agent.
  must_run("ssh-keygen -q -p -P '' -N 'correct horse' -f " + quote_path(w.ssh_dir / "id_ed25519"));
  auto r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("~/.ssh/id_ed25519 has a passphrase"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ssh-agent"), std::string::npos) << r.err;
  EXPECT_EQ(git_main_head(w.remote), git_main_head(w.alice.ledger() / ".git"));  // nothing pushed
  EXPECT_EQ(git_main_head(w.bob.ledger() / ".git"), local_head);                 // nothing lost
  EXPECT_TRUE(std::filesystem::exists(w.bob_event('e', mine)));

  // A key the server does not accept is refused as such.
  std::filesystem::rename(w.ssh_dir / "id_ed25519", w.bob.dir() / "bob_key");
  std::filesystem::rename(w.ssh_dir / "id_ed25519.pub", w.bob.dir() / "bob_key.pub");
  must_run("ssh-keygen -q -t ecdsa -N '' -f " + quote_path(w.ssh_dir / "id_ecdsa"));
  r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()));
  EXPECT_NE(r.err.find("refused: the server accepted none of ~/.ssh/id_ecdsa"), std::string::npos)
      << r.err;

  // Loaded into an ssh-agent (tried before the files), the key works.
  const auto sock = w.bob.dir() / "agent.sock";
  ServerProcess agent({"ssh-agent", "-D", "-a", sock.string()}, w.bob.dir() / "agent.log");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(sock); }));
  // An agent without keys, or a socket nobody listens on, falls through to the files.
  r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()), "SSH_AUTH_SOCK=" + quote_path(sock));
  EXPECT_NE(r.err.find("accepted none of the keys of ssh-agent, ~/.ssh/id_ecdsa"),
            std::string::npos)
      << r.err;
  r = w.bob.run("sync --ledger " + quote_path(w.bob.ledger()),
                "SSH_AUTH_SOCK=" + quote_path(w.bob.dir() / "no-agent.sock"));
  EXPECT_NE(r.err.find("accepted none of ~/.ssh/id_ecdsa"), std::string::npos) << r.err;
  write_text(w.bob.dir() / "askpass", "#!/bin/sh\necho 'correct horse'\n");
  std::filesystem::permissions(w.bob.dir() / "askpass", std::filesystem::perms::owner_all);
  must_run("SSH_AUTH_SOCK=" + quote_path(sock) + " SSH_ASKPASS=" +
           quote_path(w.bob.dir() / "askpass") + " SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-add " +
           quote_path(w.bob.dir() / "bob_key") + " </dev/null");
  r = w.bob.run("sync --json --ledger " + quote_path(w.bob.ledger()),
                "SSH_AUTH_SOCK=" + quote_path(sock));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.json()["pushed"]);
  EXPECT_EQ(git_main_head(w.remote), local_head);
}

}  // namespace
}  // namespace pedigree
