// pedigree serve [--listen HOST:PORT] [--ledger DIR] [limits]: the web page
// and JSON API (docs/serve.md) over the ledger's index, read only.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/serve/server.hpp"

namespace pedigree::cli {
namespace {

struct ServeCliOptions {
  std::string listen = "127.0.0.1:8080";
  std::string ledger;
  serve::Limits limits;
  unsigned scan_threads = 0;
};

int run_serve(const ServeCliOptions& opts) {
  auto address = serve::parse_listen(opts.listen);
  if (!address) return report_error(address.error());
  // Opening brings the index up to date, as every command does; from then on
  // the server only reads it.
  auto ctx = open_ledger_context(opts.ledger);
  if (!ctx) return report_error(ctx.error());
  serve::ServeConfig config;
  config.host = address->host;
  config.port = address->port;
  config.index_path = ctx->ledger.index_path();
  config.references_dir = lineage::ReferenceStore::dir_for_ledger(ctx->ledger.dir());
  config.ledger_label = ctx->ledger.dir().string();
  config.limits = opts.limits;
  config.scan_threads = opts.scan_threads;
  if (!serve::is_loopback(config.host))
    std::fprintf(stderr,
                 "pedigree serve: warning: listening on %s, not loopback: anyone who can reach "
                 "this address can query the ledger and upload files to be hashed\n",
                 terminal_safe(config.host).c_str());
  auto served = serve::run_server(config, [](const std::string& host, int port) {
    const bool v6 = host.find(':') != std::string::npos;
    std::printf("pedigree serve: listening on http://%s%s%s:%d/\n", v6 ? "[" : "",
                terminal_safe(host).c_str(), v6 ? "]" : "", port);
    std::fflush(stdout);
  });
  if (!served) return report_error(served.error());
  return k_exit_ok;
}

}  // namespace

void setup_serve(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ServeCliOptions>();
  auto* sub = app.add_subcommand(
      "serve", "Serve the web page and JSON API for checking models (loopback by default)");
  sub->add_option("--listen", opts->listen,
                  "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one; a "
                  "non-loopback host is warned about)");
  add_ledger_option(sub, opts->ledger);
  auto& l = opts->limits;
  sub->add_option("--max-body", l.max_body_bytes, "largest /api/check text or JSON body, bytes")
      ->capture_default_str();
  sub->add_option("--max-picture", l.max_picture_bytes, "largest picture posted, bytes")
      ->capture_default_str();
  sub->add_option("--max-upload", l.max_upload_bytes, "largest checkpoint upload, bytes")
      ->capture_default_str();
  sub->add_option("--max-active", l.max_active, "requests handled at once (more get 503)")
      ->capture_default_str();
  sub->add_option("--max-uploads", l.max_uploads, "checkpoint uploads at once (more get 503)")
      ->capture_default_str();
  sub->add_option("--threads", l.threads, "connections served at once")->capture_default_str();
  sub->add_option("--read-timeout", l.read_timeout_s,
                  "seconds a request may pause before it is dropped")
      ->capture_default_str();
  sub->add_option("--write-timeout", l.write_timeout_s,
                  "seconds a client may take to accept response bytes")
      ->capture_default_str();
  sub->add_option("--min-upload-rate", l.min_upload_bytes_per_s,
                  "bytes/s an upload must average once it has run --upload-grace s (else 408)")
      ->capture_default_str();
  sub->add_option("--upload-grace", l.upload_grace_s, "seconds before the upload rate is enforced")
      ->capture_default_str();
  sub->add_option("--cache-bytes", l.cache_bytes,
                  "bytes of answers kept for identical requests (0: none)")
      ->capture_default_str();
  sub->add_option("--scan-threads", opts->scan_threads,
                  "tensor threads per upload (default: all cores)");
  sub->callback([opts, &exit_code] { exit_code = run_serve(*opts); });
}

}  // namespace pedigree::cli
