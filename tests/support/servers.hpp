// Real servers on 127.0.0.1 for the transport tests, each on a free port and
// stopped (SIGTERM, then waited for) when the object is destroyed:
//   SshServer   — OpenSSH's sshd with its own config, host key and authorized_keys;
//   HttpsServer — tools/serve-git-https (git http-backend behind TLS) with a
//                 test CA and a server certificate made by the openssl CLI.
// A missing server binary is reported by missing_*() with the Debian package
// to install, so that a test can FAIL (not skip) with it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/ledger_support.hpp"

namespace pedigree::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A child process (argv, no shell) with stdout and stderr appended to `log`;
// SIGTERM and waited for on destruction.
class ServerProcess {
public:
  ServerProcess() = default;
  ServerProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    m_pid = ::fork();
    if (m_pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(ServerProcess&& other) noexcept {
    stop();
    m_pid = std::exchange(other.m_pid, -1);
    return *this;
  }
  void stop() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      ::waitpid(m_pid, nullptr, 0);
      m_pid = -1;
    }
  }
  // False once the process has exited (e.g. it could not start).
  bool alive() const { return m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) == 0; }

private:
  pid_t m_pid = -1;
};

// Polls `ready` every 20 ms for up to 10 s.
template <typename Ready>
bool wait_until(Ready ready) {
  for (int i = 0; i < 500; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Runs a shell command, failing the test with its output when it fails.
inline std::string must_run(const std::string& command) {
  auto r = run_command(command + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  return r.output;
}

// The commit `refs/heads/main` of the repository at `git_dir` names, by the git CLI.
inline std::string git_main_head(const std::filesystem::path& git_dir) {
  auto out = must_run("git --git-dir=" + quote_path(git_dir) + " rev-parse refs/heads/main");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

inline constexpr const char* k_sshd = "/usr/sbin/sshd";

// Empty when sshd can run, else what to install.
inline std::string missing_sshd() {
  if (::access(k_sshd, X_OK) != 0) {
    return std::string(k_sshd) +
           " is missing: install the Debian package openssh-server "
           "(tools/install-deps does)";
  }
  if (run_command("command -v ssh-keygen >/dev/null").exit_code != 0) {
    return "ssh-keygen is missing: install the Debian package openssh-client";
  }
  return "";
}

// sshd on 127.0.0.1:port() for the user running the test, accepting the
// public keys in authorized_keys() (write them before connecting).
class SshServer {
public:
  // `extra_config`: more sshd_config lines (e.g. "PubkeyAcceptedAlgorithms +ssh-rsa\n").
  explicit SshServer(const std::filesystem::path& dir, const std::string& extra_config = "")
      : m_dir(dir) {
    std::filesystem::create_directories(dir);
    must_run("ssh-keygen -q -t ed25519 -N '' -C test-host -f " + quote_path(dir / "host_key"));
    write_text(authorized_keys(), "");
    if (::geteuid() == 0) {
      // sshd (as root) chroots its unprivileged pre-authentication child there.
      std::filesystem::create_directories("/run/sshd");
      ::chmod("/run/sshd", 0755);
    }
    const std::string config = "ListenAddress 127.0.0.1\nHostKey " + (dir / "host_key").string() +
                               "\nAuthorizedKeysFile " + authorized_keys().string() +
                               "\nPidFile none\n"
                               "UsePAM no\n"
                               "StrictModes no\n"  // the temp dir lies under a world-writable /tmp
                               "PasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\n"
                               "PubkeyAuthentication yes\n"
                               "PermitRootLogin prohibit-password\n"
                               "LogLevel VERBOSE\n" +
                               extra_config;
    // Another test may take the free port before sshd binds it: try a few.
    for (int attempt = 0; attempt < 5 && !running(); ++attempt) {
      m_port = free_port();
      write_text(dir / "sshd_config", "Port " + std::to_string(m_port) + "\n" + config);
      m_process = ServerProcess({k_sshd, "-D", "-e", "-f", (dir / "sshd_config").string()},
                                dir / "sshd.log");
      wait_until([&] { return port_open(m_port) || !m_process.alive(); });
    }
  }
  bool running() const { return m_process.alive() && port_open(m_port); }
  int port() const { return m_port; }
  std::filesystem::path authorized_keys() const { return m_dir / "authorized_keys"; }
  // "ssh-ed25519 AAAA... test-host": the host's public key.
  std::string host_public_key() const { return trimmed(read_text(m_dir / "host_key.pub")); }
  // The line for ~/.ssh/known_hosts ("[127.0.0.1]:PORT ssh-ed25519 AAAA...").
  std::string known_hosts_line() const {
    return "[127.0.0.1]:" + std::to_string(m_port) + " " + host_public_key() + "\n";
  }
  std::string log() const { return read_text(m_dir / "sshd.log"); }
  std::string url(const std::string& user, const std::filesystem::path& repo) const {
    return "ssh://" + user + "@127.0.0.1:" + std::to_string(m_port) + repo.string();
  }

private:
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  std::filesystem::path m_dir;
  int m_port = -1;
  ServerProcess m_process;
};

// Empty when the https test server can run, else what to install.
inline std::string missing_https_server() {
  if (run_command("command -v python3 >/dev/null").exit_code != 0) {
    return "python3 is missing: install the Debian package python3";
  }
  if (run_command("command -v openssl >/dev/null").exit_code != 0) {
    return "openssl is missing: install the Debian package openssl";
  }
  if (run_command("test -x \"$(git --exec-path)/git-http-backend\"").exit_code != 0) {
    return "git http-backend is missing: install the Debian package git";
  }
  return "";
}

// A test certificate authority and a certificate for localhost (DNS) and
// 127.0.0.1 (IP) signed by it, made with the openssl CLI in `dir`.
struct TestCertificates {
  explicit TestCertificates(const std::filesystem::path& dir, const std::string& name = "test")
      : ca(dir / (name + "-ca.pem")),
        cert(dir / (name + "-server.pem")),
        key(dir / (name + "-server.key")) {
    std::filesystem::create_directories(dir);
    const auto ca_key = dir / (name + "-ca.key"), csr = dir / (name + "-server.csr"),
               ext = dir / (name + "-ext.cnf");
    write_text(ext,
               "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
               "extendedKeyUsage=serverAuth\n");
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
    must_run("openssl req -x509" + ec + "-keyout " + quote_path(ca_key) + " -out " +
             quote_path(ca) + " -days 2 -subj /CN=pedigree-" + name + "-CA");
    must_run("openssl req" + ec + "-keyout " + quote_path(key) + " -out " + quote_path(csr) +
             " -subj /CN=localhost");
    must_run("openssl x509 -req -in " + quote_path(csr) + " -CA " + quote_path(ca) + " -CAkey " +
             quote_path(ca_key) + " -CAcreateserial -out " + quote_path(cert) +
             " -days 2 -extfile " + quote_path(ext));
  }
  std::filesystem::path ca, cert, key;
};

// Who may fetch from an HttpsServer (pushing always needs the password).
enum class HttpsFetch { k_anyone, k_authenticated };

// tools/serve-git-https serving the repositories under `root`; pushing needs
// `user`:`password` (and fetching too with HttpsFetch::k_authenticated).
class HttpsServer {
public:
  HttpsServer(const std::filesystem::path& root, const TestCertificates& certs,
              const std::string& user, const std::string& password,
              HttpsFetch fetch = HttpsFetch::k_anyone)
      : m_port_file(root / "https.port"), m_log(root / "https.log") {
    std::filesystem::remove(m_port_file);  // left by an earlier server on the same root
    std::vector<std::string> argv = {
        "python3",     std::string(PEDIGREE_SOURCE_DIR) + "/tools/serve-git-https",
        "--root",      root.string(),
        "--cert",      certs.cert.string(),
        "--key",       certs.key.string(),
        "--user",      user,
        "--password",  password,
        "--port-file", m_port_file.string(),
        "--verbose"};
    if (fetch == HttpsFetch::k_authenticated) argv.push_back("--auth-all");
    m_process = ServerProcess(argv, m_log);
    wait_until([&] { return std::filesystem::exists(m_port_file) || !m_process.alive(); });
    if (std::filesystem::exists(m_port_file)) m_port = std::stoi(read_text(m_port_file));
  }
  bool running() const { return m_process.alive() && m_port > 0 && port_open(m_port); }
  int port() const { return m_port; }
  std::string log() const { return read_text(m_log); }
  // https://[userinfo@]localhost:PORT/<repo>
  std::string url(const std::string& repo, const std::string& userinfo = "") const {
    return "https://" + (userinfo.empty() ? "" : userinfo + "@") +
           "localhost:" + std::to_string(m_port) + "/" + repo;
  }

private:
  std::filesystem::path m_port_file, m_log;
  int m_port = -1;
  ServerProcess m_process;
};

}  // namespace pedigree::testing
