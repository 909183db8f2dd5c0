#include "pedigree/serve/routes.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <span>
#include <vector>

#include "pedigree/lineage/upload_scan.hpp"
#include "pedigree/pages/assets.hpp"
#include "pedigree/serve/body_socket.hpp"

namespace pedigree::serve {
namespace {

using Request = httplib::Request;
using Response = httplib::Response;

void send(Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type.c_str());
}

void send_busy(Response& res, const char* what) {
  res.set_header("Retry-After", "1");
  res.set_header("Connection", "close");  // an unread body must not be taken for the next request
  send(res, error_reply(503, "busy",
                        std::string("too many ") + what + " at once; retry after a second"));
}

// Content-Length as a number; nullopt when absent or malformed.
std::optional<std::uint64_t> content_length(const Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  const std::string text = req.get_header_value("Content-Length");
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::strtoull(text.c_str(), nullptr, 10);
}

bool is_picture_type(const std::string& type) {
  return type.rfind("image/", 0) == 0 || type == "application/octet-stream";
}

// The most bytes the body of `req` may have, by route and content type.
std::uint64_t body_limit(const Request& req, const Limits& limits) {
  if (req.path == "/api/upload") return limits.max_upload_bytes;
  if (req.path == "/api/check" && is_picture_type(req.get_header_value("Content-Type")))
    return limits.max_picture_bytes;
  return limits.max_body_bytes;
}

// Refusals made from the headers alone, before any body byte is read.
httplib::Server::HandlerResponse before_body(const Request& req, Response& res,
                                             const Limits& limits) {
  if (req.method != "POST") return httplib::Server::HandlerResponse::Unhandled;
  const auto length = content_length(req);
  if (!length) {
    res.set_header("Connection", "close");
    send(res, error_reply(411, "length-required",
                          "a POST needs a Content-Length (chunked bodies are not accepted)"));
    return httplib::Server::HandlerResponse::Handled;
  }
  const std::uint64_t limit = body_limit(req, limits);
  if (length && *length > limit) {
    res.set_header("Connection", "close");
    send(res, error_reply(413, "too-large",
                          "the body has " + std::to_string(*length) +
                              " bytes; this route accepts at most " + std::to_string(limit)));
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

// The text of a POST /api/check body that is not a picture: plain text, or
// JSON {"input": TEXT}. nullopt (with the reply set) when malformed.
std::optional<std::string> posted_text(const Request& req, Response& res) {
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) return req.body;
  auto parsed = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("input") ||
      !parsed["input"].is_string()) {
    send(res, error_reply(400, "invalid-argument", "expected a JSON object {\"input\": TEXT}"));
    return std::nullopt;
  }
  return parsed["input"].get<std::string>();
}

void post_check(RouteState& state, const Request& req, Response& res) {
  auto slot = state.active.try_acquire();
  if (!slot) return send_busy(res, "requests");
  if (is_picture_type(req.get_header_value("Content-Type"))) {
    const std::string name = req.has_param("name") ? req.get_param_value("name") : "picture";
    return send(res, state.api.check_picture(
                         name, ByteView(reinterpret_cast<const std::uint8_t*>(req.body.data()),
                                        req.body.size())));
  }
  auto text = posted_text(req, res);
  if (text) send(res, state.api.check_text(*text));
}

// Bodies from this size on are read from the socket after httplib's first
// chunk (body_socket.hpp); smaller ones gain nothing from it.
constexpr std::uint64_t k_handover_min_bytes = 1u << 20;
// One read from the socket while the scan does not offer its ring yet (a
// safetensors header, a PyTorch zip): the memory an upload adds.
constexpr std::size_t k_socket_read_bytes = 1u << 20;
// Bytes queued before a socket read wakes up (SocketReader).
constexpr std::size_t k_socket_batch_bytes = 256u << 10;

// The body of an upload pushed into its scan, with the rate rule of
// docs/serve.md (too slow after the grace period: 408).
class UploadBody {
public:
  UploadBody(lineage::UploadScan& scan, const Limits& limits) : m_scan(scan), m_limits(limits) {}
  // Pushes the next bytes; false when the upload must stop (failed() or too_slow()).
  bool take(ByteView bytes) {
    auto wrote = m_scan.write(bytes);
    if (!wrote) {
      m_failed = wrote.error();
      return false;
    }
    return count(bytes.size());
  }
  // Receives the next bytes from `socket`, into the scan's ring when it offers
  // room (no copy), else through `buffer`. False when the upload must stop or
  // ended early (the client went away or sent nothing in time).
  bool receive(SocketReader& socket, std::uint64_t left, std::vector<std::uint8_t>& buffer,
               std::chrono::milliseconds timeout) {
    std::span<std::uint8_t> space = m_scan.write_space();
    const bool direct = !space.empty();
    if (!direct) {
      buffer.resize(k_socket_read_bytes);
      space = std::span(buffer);
    }
    space = space.first(static_cast<std::size_t>(std::min<std::uint64_t>(space.size(), left)));
    auto got = socket.receive(space, timeout);
    if (!got || *got == 0) return false;
    if (!direct) return take(ByteView(space.data(), *got));
    if (auto done = m_scan.commit(*got); !done) {
      m_failed = done.error();
      return false;
    }
    return count(*got);
  }
  std::uint64_t received() const { return m_received; }
  const std::optional<Error>& failed() const { return m_failed; }
  bool too_slow() const { return m_too_slow; }

private:
  // Counts bytes pushed; false once the upload is too slow.
  bool count(std::size_t bytes) {
    m_received += bytes;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    if (seconds > m_limits.upload_grace_s &&
        m_received < seconds * static_cast<double>(m_limits.min_upload_bytes_per_s)) {
      m_too_slow = true;
      return false;
    }
    return true;
  }

  lineage::UploadScan& m_scan;
  const Limits& m_limits;
  const std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::uint64_t m_received = 0;
  std::optional<Error> m_failed;
  bool m_too_slow = false;
};

// Reads the body of `req` into `body` until `size` bytes arrived; false when
// it ended early or a rule stopped it (body.failed() / too_slow()).
bool read_upload_body(const Request& req, const httplib::ContentReader& reader, std::uint64_t size,
                      const Limits& limits, UploadBody& body) {
  std::optional<int> socket;
  if (size >= k_handover_min_bytes && body_handover_possible(req))
    socket =
        find_connection_socket(req.local_addr, req.local_port, req.remote_addr, req.remote_port);
  bool handed_over = false;
  const bool read_all = reader([&](const char* data, std::size_t length) {
    if (!body.take(ByteView(reinterpret_cast<const std::uint8_t*>(data), length))) return false;
    // httplib's buffer is empty after its first chunk: the rest is in the socket.
    if (socket && body.received() < size) {
      handed_over = true;
      return false;
    }
    return true;
  });
  if (!handed_over) return read_all;
  std::vector<std::uint8_t> buffer;  // used until the scan offers its ring
  const std::chrono::milliseconds timeout(std::uint64_t{limits.read_timeout_s} * 1000);
  SocketReader reader_socket(*socket, k_socket_batch_bytes);
  while (body.received() < size) {
    if (!body.receive(reader_socket, size - body.received(), buffer, timeout)) return false;
  }
  return true;
}

// POST /api/upload: the body is pushed into an UploadScan as it arrives.
void post_upload(RouteState& state, const Request& req, Response& res,
                 const httplib::ContentReader& reader) {
  auto slot = state.active.try_acquire();
  if (!slot) return send_busy(res, "requests");
  auto upload_slot = state.uploads.try_acquire();
  if (!upload_slot) return send_busy(res, "uploads");
  if (req.is_multipart_form_data()) {
    res.set_header("Connection", "close");
    return send(res, error_reply(415, "unsupported-media-type",
                                 "send the model file itself as the body, not a form"));
  }
  const Limits& limits = state.api.config().limits;
  const std::uint64_t size = content_length(req).value_or(0);
  std::string name = req.has_param("name") ? req.get_param_value("name") : "upload";
  if (name.size() > 255) name.resize(255);
  scan::ScanOptions scan_options;
  scan_options.threads = state.api.config().scan_threads;
  lineage::UploadScan scan(name, size, lineage::FingerprintPass::k_build, scan_options);
  UploadBody body(scan, limits);
  const bool read_all = read_upload_body(req, reader, size, limits, body);
  if (body.too_slow() || body.failed() || !read_all) res.set_header("Connection", "close");
  if (body.too_slow())
    return send(
        res, error_reply(408, "too-slow",
                         "upload slower than " + std::to_string(limits.min_upload_bytes_per_s) +
                             " bytes/s on average; cut after " + std::to_string(body.received()) +
                             " bytes"));
  if (body.failed()) return send(res, error_reply(*body.failed(), Blame::k_request));
  if (!read_all)
    return send(res, error_reply(400, "incomplete",
                                 "the upload ended after " + std::to_string(body.received()) +
                                     " of " + std::to_string(size) + " bytes"));
  auto scanned = scan.finish();
  if (!scanned) return send(res, error_reply(scanned.error(), Blame::k_request));
  send(res, state.api.check_upload(std::move(*scanned), name));
}

// JSON bodies for the statuses httplib sets itself (unknown route, bad request).
void error_body(const Request& req, Response& res) {
  if (!res.body.empty()) return;
  const char* code = res.status == 404 ? "no-route" : res.status == 413 ? "too-large" : "http";
  std::string message = res.status == 404
                            ? "no such route: " + req.method + " " + req.path
                            : "the request was refused (HTTP " + std::to_string(res.status) + ")";
  send(res, error_reply(res.status, code, message));
}

void get_asset(const Request& req, Response& res) {
  auto asset = pages::find_asset(req.path);
  if (!asset) return send(res, error_reply(404, "no-route", "no such page: " + req.path));
  res.set_content(std::string(asset->body),
                  (std::string(asset->content_type) + "; charset=utf-8").c_str());
}

}  // namespace

void install_routes(httplib::Server& server, RouteState& state) {
  const Limits limits = state.api.config().limits;
  server.set_pre_routing_handler(
      [limits](const Request& req, Response& res) { return before_body(req, res, limits); });
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Content-Security-Policy",
                               "default-src 'self'; img-src 'self' data: blob:; "
                               "object-src 'none'; frame-ancestors 'none'; base-uri 'none'"}});
  auto guarded = [&state](auto&& body) {
    return [&state, body](const Request& req, Response& res) {
      auto slot = state.active.try_acquire();
      if (!slot) return send_busy(res, "requests");
      body(req, res);
    };
  };
  server.Get("/", get_asset);
  server.Get("/app.js", get_asset);
  server.Get("/app.css", get_asset);
  server.Get("/api/info",
             guarded([&state](const Request&, Response& res) { send(res, state.api.info()); }));
  server.Get("/api/check", guarded([&state](const Request& req, Response& res) {
               send(res, state.api.check_text(req.get_param_value("q")));
             }));
  server.Post("/api/check",
              [&state](const Request& req, Response& res) { post_check(state, req, res); });
  server.Post("/api/upload",
              [&state](const Request& req, Response& res, const httplib::ContentReader& reader) {
                post_upload(state, req, res, reader);
                // An upload's scan (rings, sketches, buffers) is freed by now, from the
                // arenas of this thread and of the scan's; give those pages back rather
                // than let every pooled thread keep its own high-water mark (measured:
                // +8 MB of peak RSS per .ckpt upload without it, docs/benchmarks.md#serve).
                malloc_trim(0);
              });
  server.Get(R"(/api/model/([^/]*))", guarded([&state](const Request& req, Response& res) {
               send(res, state.api.model(req.matches[1].str()));
             }));
  server.Get(R"(/api/graph/([^/]*)\.svg)", guarded([&state](const Request& req, Response& res) {
               send(res, state.api.graph_svg(req.matches[1].str()));
             }));
  server.Get(
      "/api/search", guarded([&state](const Request& req, Response& res) {
        const std::string limit = req.get_param_value("limit");
        send(res, state.api.search(req.get_param_value("q"),
                                   limit.empty() ? 50 : std::strtoul(limit.c_str(), nullptr, 10)));
      }));
  server.set_error_handler(error_body);
  server.set_exception_handler(
      [](const Request&, Response& res, std::exception_ptr) {  // NOLINT: contain httplib's throws
        send(res, error_reply(500, "internal", "the request failed inside the HTTP library"));
      });
}

}  // namespace pedigree::serve
