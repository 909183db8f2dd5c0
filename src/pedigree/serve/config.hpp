// What `pedigree serve` is told: where to listen, which ledger index to read
// and the limits that keep one client from exhausting the server
// (docs/serve.md lists every limit, its default and the status it yields).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "pedigree/util/error.hpp"

namespace pedigree::serve {

struct Limits {
  std::uint64_t max_body_bytes = 64 * 1024;       // /api/check text or JSON bodies (413)
  std::uint64_t max_picture_bytes = 32ull << 20;  // a picture posted to /api/check (413)
  std::uint64_t max_upload_bytes = 16ull << 30;   // a checkpoint posted to /api/upload (413)
  unsigned max_active = 32;       // requests handled at once; more get 503 + Retry-After
  unsigned max_uploads = 2;       // checkpoint uploads at once; more get 503
  unsigned threads = 64;          // connections served at once (the rest wait to be accepted)
  unsigned read_timeout_s = 10;   // longest wait for the next bytes of a request (then closed)
  unsigned write_timeout_s = 10;  // longest wait for a client to take response bytes
  // An upload slower than this on average, once it has run upload_grace_s, is cut (408).
  std::uint64_t min_upload_bytes_per_s = 64 * 1024;
  unsigned upload_grace_s = 10;
  unsigned keep_alive_s = 5;  // an idle keep-alive connection is closed after this
  // Bytes of answers kept for identical requests (reply_cache.hpp); 0: none.
  std::uint64_t cache_bytes = 32ull << 20;
};

struct ServeConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the chosen one is reported through on_ready)
  std::filesystem::path index_path;      // the ledger's SQLite index, up to date (read only here)
  std::filesystem::path references_dir;  // local reference fingerprints (read, never written)
  std::string ledger_label;              // shown on the page (the ledger directory)
  unsigned scan_threads = 0;             // tensor lanes per upload (0: all cores)
  Limits limits;
};

// Parses `--listen`: "HOST:PORT", "[IPV6]:PORT" or "PORT" (loopback).
// PORT 0 picks a free port. InvalidArgument for anything else.
struct ListenAddress {
  std::string host;
  int port = 0;
};
Result<ListenAddress> parse_listen(const std::string& text);

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& host);

}  // namespace pedigree::serve
