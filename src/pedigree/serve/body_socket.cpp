#include "pedigree/serve/body_socket.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

namespace pedigree::serve {
namespace {

// The httplib whose body reads were checked to behave as body_socket.hpp says.
constexpr std::string_view k_checked_httplib = "0.11.4";

struct Endpoint {
  std::string addr;
  int port = -1;
};

// An address as httplib formats it (numeric host, port in host order); nullopt
// for anything but IPv4 and IPv6.
std::optional<Endpoint> endpoint_of(const sockaddr_storage& addr, socklen_t length) {
  Endpoint out;
  if (addr.ss_family == AF_INET)
    out.port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6)
    out.port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  else
    return std::nullopt;
  std::array<char, NI_MAXHOST> host{};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), length, host.data(),
                  static_cast<socklen_t>(host.size()), nullptr, 0, NI_NUMERICHOST) != 0)
    return std::nullopt;
  out.addr = host.data();
  return out;
}

bool same(const std::optional<Endpoint>& e, const std::string& addr, int port) {
  return e && e->port == port && e->addr == addr;
}

// The fd a /proc/self/fd entry names; -1 for ".", ".." and anything else.
int fd_of(const char* name) {
  int fd = 0;
  if (*name == '\0') return -1;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9' || fd > 100'000'000) return -1;
    fd = fd * 10 + (*p - '0');
  }
  return fd;
}

}  // namespace

bool body_handover_possible(const httplib::Request& req) {
  if (std::string_view(CPPHTTPLIB_VERSION) != k_checked_httplib) return false;
  if (req.has_header("Transfer-Encoding")) return false;
  if (req.has_header("Content-Encoding") && req.get_header_value("Content-Encoding") != "identity")
    return false;
  return true;
}

std::optional<int> find_connection_socket(const std::string& local_addr, int local_port,
                                          const std::string& remote_addr, int remote_port) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc/self/fd"), closedir);
  if (!dir) return std::nullopt;
  const int own = dirfd(dir.get());
  std::optional<int> found;
  while (const dirent* entry = readdir(dir.get())) {
    const int fd = fd_of(entry->d_name);
    if (fd < 0 || fd == own) continue;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0 ||
        !same(endpoint_of(addr, length), local_addr, local_port))
      continue;
    length = sizeof addr;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0 ||
        !same(endpoint_of(addr, length), remote_addr, remote_port))
      continue;
    if (found) return std::nullopt;  // two sockets claim one connection: trust neither
    found = fd;
  }
  return found;
}

SocketReader::~SocketReader() {
  if (m_low_water == 1) return;
  const int one = 1;
  setsockopt(m_fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
}

Result<std::size_t> SocketReader::receive(std::span<std::uint8_t> into,
                                          std::chrono::milliseconds timeout) {
  if (into.empty()) return std::size_t{0};
  // Never wait for more than `into` can take: at the end of a body the
  // client sends nothing more until it has the answer.
  const int low_water = static_cast<int>(
      std::clamp<std::size_t>(std::min(m_batch, into.size()), 1, std::numeric_limits<int>::max()));
  if (low_water != m_low_water &&
      setsockopt(m_fd, SOL_SOCKET, SO_RCVLOWAT, &low_water, sizeof low_water) == 0)
    m_low_water = low_water;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int flags = 0;
    if (left.count() <= 0) {
      // The wait ran out: whatever is queued (a slow client's last bytes),
      // so the rate rule, not the timeout, judges it.
      int queued = 0;
      if (ioctl(m_fd, FIONREAD, &queued) != 0 || queued <= 0)
        return io_error("no bytes arrived for " + std::to_string(timeout.count() / 1000) + " s");
      flags = MSG_DONTWAIT;
    } else {
      pollfd wait{m_fd, POLLIN, 0};
      const int ready = poll(&wait, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR)
        return io_error(std::string("poll: ") + std::strerror(errno));
      if (ready <= 0) continue;
    }
    const ssize_t n = recv(m_fd, into.data(), into.size(), flags);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR || (flags == 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;
    return io_error(std::string("recv: ") + std::strerror(errno));
  }
}

}  // namespace pedigree::serve
