// `pedigree serve`: the web page and the JSON API over HTTP/1.1
// (cpp-httplib from Debian), in this process, until SIGINT or SIGTERM.
// Routes, statuses and limits: docs/serve.md. Nothing here writes to the
// ledger; the index is read through a pool of connections (index_pool.hpp).
#pragma once

#include <functional>
#include <string>

#include "pedigree/serve/config.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::serve {

// Binds `config.host:config.port`, calls `on_ready(host, port)` once the
// socket listens (port 0 picks a free one), serves until SIGINT/SIGTERM and
// returns. IOError when the address cannot be bound; InvalidArgument for
// limits of 0. Exceptions from the HTTP library are caught: a request that
// throws gets a 500 JSON error and the server goes on.
Result<void> run_server(const ServeConfig& config,
                        const std::function<void(const std::string& host, int port)>& on_ready);

}  // namespace pedigree::serve
