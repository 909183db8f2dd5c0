#include "pedigree/serve/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <exception>
#include <thread>

#include "pedigree/serve/routes.hpp"

namespace pedigree::serve {
namespace {

// Requests one keep-alive connection may carry before it is closed (httplib's default is 5).
constexpr std::size_t k_keep_alive_requests = 1000;

// Connections the kernel queues before the server accepts them. httplib
// listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into
// Debian's shared library): 50 clients connecting at once overflow it, and
// each refused SYN is retried by the client's kernel after one second.
// Linux takes a second listen() on a listening socket as a new backlog
// (capped by net.core.somaxconn).
constexpr int k_listen_backlog = 1024;

// Waits for SIGINT/SIGTERM (blocked in every thread, so only this one takes
// them) and stops the server; returns when `done` is set.
void wait_for_signal(httplib::Server& server, const std::atomic<bool>& done) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec tick{0, 200'000'000};
  while (!done.load()) {
    if (sigtimedwait(&set, nullptr, &tick) > 0) {
      server.stop();
      return;
    }
  }
}

Result<void> check_limits(const Limits& l) {
  if (l.max_body_bytes == 0 || l.max_picture_bytes == 0 || l.max_upload_bytes == 0 ||
      l.max_active == 0 || l.max_uploads == 0 || l.threads == 0 || l.read_timeout_s == 0 ||
      l.write_timeout_s == 0)
    return invalid_argument("serve: every limit must be at least 1");
  return {};
}

Result<void> serve_blocking(httplib::Server& server, const ServeConfig& config,
                            const std::function<void(const std::string&, int)>& on_ready) {
  // httplib hands each socket it creates to this hook before binding it; the
  // last one is the listening socket when the bind succeeds.
  int listening = -1;
  server.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);  // what httplib sets without the hook
    listening = sock;
  });
  int port = config.port;
  if (port == 0) {
    port = server.bind_to_any_port(config.host);
    if (port < 0) return io_error("serve: cannot listen on " + config.host + ": no free port");
  } else if (!server.bind_to_port(config.host, port)) {
    return io_error("serve: cannot listen on " + config.host + ":" + std::to_string(port) +
                    " (in use, or not an address of this machine)");
  }
  if (listening >= 0) (void)::listen(listening, k_listen_backlog);  // best effort: 5 otherwise
  on_ready(config.host, port);
  server.listen_after_bind();
  return {};
}

}  // namespace

Result<ListenAddress> parse_listen(const std::string& text) {
  ListenAddress out{"127.0.0.1", 0};
  std::string port = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
      out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
    return invalid_argument("--listen " + text + ": expected HOST:PORT, [IPV6]:PORT or PORT");
  out.port = std::stoi(port);
  return out;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<void> run_server(const ServeConfig& config,
                        const std::function<void(const std::string& host, int port)>& on_ready) {
  PD_TRY(check_limits(config.limits));
  const Limits& limits = config.limits;
  // Block the stop signals before any thread starts: they inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its socket only

  Api api(config);
  RouteState state{api, Slots(limits.max_active), Slots(limits.max_uploads)};
  Result<void> result;
  try {
    httplib::Server server;
    const unsigned threads = limits.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Headers and body leave in separate writes: with Nagle's algorithm the
    // body waited for the client's delayed ACK, ~40 ms per keep-alive answer
    // (docs/benchmarks.md#serve).
    server.set_tcp_nodelay(true);
    server.set_read_timeout(static_cast<time_t>(limits.read_timeout_s), 0);
    server.set_write_timeout(static_cast<time_t>(limits.write_timeout_s), 0);
    server.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_s));
    server.set_keep_alive_max_count(k_keep_alive_requests);
    server.set_payload_max_length(static_cast<std::size_t>(
        std::max({limits.max_body_bytes, limits.max_picture_bytes, limits.max_upload_bytes})));
    install_routes(server, state);
    std::atomic<bool> done{false};
    std::thread waiter(wait_for_signal, std::ref(server), std::cref(done));
    result = serve_blocking(server, config, on_ready);
    done.store(true);
    waiter.join();
  } catch (const std::exception& e) {
    result = internal_error(std::string("serve: ") + e.what());
  } catch (...) {
    result = internal_error("serve: unexpected exception");
  }
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  return result;
}

}  // namespace pedigree::serve
