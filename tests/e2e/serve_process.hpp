// `pedigree serve` run as a real process for the end-to-end tests: started
// on a free loopback port (--listen 127.0.0.1:0; the port is read from the
// line it prints), in a CheckWorld's private HOME/XDG directories, stopped
// with SIGTERM (its exit status is checked). Also a raw-socket client for
// the limits that a well-behaved HTTP client never trips.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "e2e/check_world.hpp"

namespace pedigree::testing {

class ServeProcess {
public:
  // Starts `pedigree serve --listen 127.0.0.1:0 --ledger LEDGER ARGS` and waits
  // (up to 30 s) for its "listening on" line.
  ServeProcess(const CheckWorld& world, const std::string& args = "",
               const std::string& listen = "127.0.0.1:0")
      : m_dir(world.dir().path()) {
    const auto out = m_dir / "serve.out", err = m_dir / "serve.err";
    std::filesystem::remove(out);
    const std::string command =
        "exec env HOME=" + shell_quote((m_dir / "home").string()) +
        " XDG_CONFIG_HOME=" + shell_quote((m_dir / "config").string()) +
        " XDG_DATA_HOME=" + shell_quote((m_dir / "data").string()) +
        " XDG_CACHE_HOME=" + shell_quote((m_dir / "cache").string()) +
        " PEDIGREE_BUNDLED_LEDGER=" + shell_quote((m_dir / "no-bundled-ledger").string()) + " " +
        shell_quote(PEDIGREE_BINARY) + " serve --listen " + listen + " --ledger " +
        shell_quote(world.ledger_dir().string()) + " " + args + " >" + shell_quote(out.string()) +
        " 2>" + shell_quote(err.string());
    m_pid = ::fork();
    if (m_pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::string marker = "listening on http://" + listen.substr(0, listen.rfind(':')) + ":";
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = read_text(out);
      if (auto at = text.find(marker);
          at != std::string::npos && text.find('\n', at) != std::string::npos) {
        m_port = std::stoi(text.substr(at + marker.size()));
        return;
      }
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        ADD_FAILURE() << "pedigree serve exited: " << read_text(err);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "pedigree serve did not report its port: " << read_text(err);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() {
    const int status = stop();
    EXPECT_EQ(status, 0) << "pedigree serve exit status; stderr: " << stderr_text();
  }

  // SIGTERM and wait; the exit status (-1 when it was not running).
  int stop() {
    if (m_pid <= 0) return m_stopped_status;
    ::kill(m_pid, SIGTERM);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_pid = -1;
    m_stopped_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return m_stopped_status;
  }
  int port() const { return m_port; }
  int pid() const { return m_pid; }  // the server's own (sh and env exec into it)
  bool running() const { return m_pid > 0; }
  std::string stdout_text() const { return read_text(m_dir / "serve.out"); }
  std::string stderr_text() const { return read_text(m_dir / "serve.err"); }

private:
  std::filesystem::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
  int m_stopped_status = -1;
};

// A TCP connection to 127.0.0.1:port that sends what it is told, when it is
// told (for slow clients, bodies cut short, headers that promise too much).
class RawClient {
public:
  explicit RawClient(int port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{30, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient() { ::close(m_fd); }
  // No more bytes from this side (the server sees the end of the request).
  void shutdown_write() { ::shutdown(m_fd, SHUT_WR); }

  bool send(const std::string& bytes) {
    return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // What the server has sent so far, without waiting ("" when nothing yet).
  std::string read_available() {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  // One whole response, read by its Content-Length, leaving the connection
  // open for the next request ("" when the server closed it or 30 s passed).
  // Bytes of a following response that arrived with it are kept for the next call.
  std::string read_response() {
    std::string& out = m_pending;
    char buf[4096];
    std::size_t total = std::string::npos;
    while (true) {
      const std::size_t header_end = out.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto at = out.find("Content-Length: ");
        if (at == std::string::npos || at > header_end) return std::exchange(out, {});
        total = header_end + 4 + std::stoull(out.substr(at + 16));
        if (out.size() >= total) break;
      }
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) return "";
      out.append(buf, static_cast<std::size_t>(n));
    }
    std::string response = out.substr(0, total);
    out.erase(0, total);
    return response;
  }
  // Everything the server sends until it closes the connection (or 30 s pass).
  std::string read_until_closed() {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

private:
  int m_fd = -1;
  std::string m_pending;  // read past the last response (read_response)
};

// The ledger the serve tests share: NAI (leak) -> A (finetune) -> B (0.5 A +
// 0.5 SD1.5) -> C (0.3 B + 0.7 SD1.5); D, a child of SD1.5 that only an
// untrusted key describes.
inline void serve_demo_chain(CheckWorld& w) {
  w.model("sd14", "base", "2022-08-22");
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("A");
  w.lineage("A", {{"animefull", "finetune", ""}});
  w.model("B");
  w.lineage("B", {{"A", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.model("C");
  w.lineage("C", {{"B", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
  w.model("D", "", "", nullptr, Signer::k_untrusted);
  w.lineage("D", {{"sd15", "finetune", ""}}, Signer::k_untrusted);
}

// The status code of a raw HTTP response ("HTTP/1.1 413 ..."), 0 if none.
// A response body as JSON: null when the request failed or the body is not JSON.
inline nlohmann::json body_json(const httplib::Result& r) {
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

// Every file under a ledger except git's own bookkeeping and the index (which
// the server only reads), with its content hash: equal before and after means
// the server wrote nothing.
inline std::string ledger_snapshot(const std::filesystem::path& dir) {
  return run_command("cd " + shell_quote(dir.string()) +
                     " && find . -path ./.git/pedigree/index.sqlite\\* -prune -o "
                     "-type f -print | LC_ALL=C sort | xargs sha256sum")
      .output;
}

inline int raw_status(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace pedigree::testing
