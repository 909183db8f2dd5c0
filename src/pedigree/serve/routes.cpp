#include "pedigree/serve/routes.hpp"

#include <chrono>
#include <cstdlib>

#include "pedigree/lineage/upload_scan.hpp"
#include "pedigree/pages/assets.hpp"

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
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t received = 0;
  std::optional<Error> failed;
  bool too_slow = false;
  const bool read_all = reader([&](const char* data, std::size_t length) {
    auto wrote = scan.write(ByteView(reinterpret_cast<const std::uint8_t*>(data), length));
    if (!wrote) {
      failed = wrote.error();
      return false;
    }
    received += length;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > limits.upload_grace_s &&
        received < seconds * static_cast<double>(limits.min_upload_bytes_per_s)) {
      too_slow = true;
      return false;
    }
    return true;
  });
  if (too_slow || failed || !read_all) res.set_header("Connection", "close");
  if (too_slow)
    return send(
        res,
        error_reply(408, "too-slow",
                    "upload slower than " + std::to_string(limits.min_upload_bytes_per_s) +
                        " bytes/s on average; cut after " + std::to_string(received) + " bytes"));
  if (failed) return send(res, error_reply(*failed, Blame::k_request));
  if (!read_all)
    return send(res, error_reply(400, "incomplete",
                                 "the upload ended after " + std::to_string(received) + " of " +
                                     std::to_string(size) + " bytes"));
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
