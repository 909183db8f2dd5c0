// The JSON API of `pedigree serve` without the HTTP around it: each route is
// one function from request data to a Reply (status, type, body), calling
// the same library functions as the CLI (lineage::check_identifier,
// check_picture, check_scanned, build_graph, render_svg), so no rule of a
// verdict is written twice. The documented forms: docs/serve.md.
// Thread-safe: each call borrows its own index connection. Answers of the
// read-only GET routes are kept in a ReplyCache for identical requests, under
// the index generation they were made in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pedigree/lineage/check.hpp"
#include "pedigree/serve/config.hpp"
#include "pedigree/serve/index_pool.hpp"
#include "pedigree/serve/reply_cache.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::serve {

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// {"error": {"status", "code", "message"}} with `status`.
Reply error_reply(int status, std::string_view code, std::string_view message);
// `value` as indented JSON with `status`.
Reply json_reply(int status, const nlohmann::json& value);

// Where an Error came from, which decides its status: from the request's own
// content (a malformed picture: 422) or from the server's side (a damaged
// index: 500).
enum class Blame { k_request, k_server };
// The HTTP status for a library Error (docs/serve.md): InvalidArgument 400,
// NotFound 404, NotSupported 415, Corruption 422 (k_request) or 500
// (k_server), everything else 500.
int status_for(const Error& error, Blame blame);
Reply error_reply(const Error& error, Blame blame);

class Api {
public:
  explicit Api(const ServeConfig& config);

  // GET /api/check?q=TEXT, POST /api/check (text or {"input": TEXT}): the
  // verdict for pasted text, never read as a path. 200 with the check report
  // (the schema of `check --json`, docs/json/check.md) whatever the verdict.
  Reply check_text(std::string_view text);
  // POST /api/check with a picture body: the picture's verdict.
  Reply check_picture(std::string_view name, ByteView bytes);
  // The verdict for an uploaded model file once its scan has finished.
  Reply check_upload(lineage::FileScanResult scanned, const std::string& name);
  // GET /api/model/SHA256: identities, events with signers, parents,
  // children, the ancestry graph and the verdict. 404 when the ledger has
  // no event about it.
  Reply model(std::string_view sha256);
  // GET /api/graph/SHA256.svg: the ancestry drawn by Graphviz (image/svg+xml).
  Reply graph_svg(std::string_view sha256);
  // GET /api/search?q=TEXT: artifacts a hash or name denotes, then models
  // whose title or file name starts with TEXT; at most `limit`.
  Reply search(std::string_view query, std::size_t limit);
  // GET /api/info: the ledger, its counts and the server's limits.
  Reply info();

  const ServeConfig& config() const { return m_config; }

private:
  lineage::CheckOptions check_options() const;
  // The cached reply for `key` under the index's current generation, or the
  // one `make(index)` gives (stored when it is a 200).
  template <typename Make>
  Reply cached(const std::string& key, Make&& make);

  ServeConfig m_config;
  IndexPool m_pool;
  ReplyCache m_cache;
};

}  // namespace pedigree::serve
