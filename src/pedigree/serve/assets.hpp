// The web page's files (src/pedigree/serve/web/), compiled into the binary
// by CMake at configure time: no build step, no CDN, nothing read at run time.
#pragma once

#include <optional>
#include <string_view>

namespace pedigree::serve {

struct Asset {
  std::string_view content_type;  // e.g. "text/html" (all UTF-8)
  std::string_view body;
};

// The asset served at `path` ("/", "/app.js", "/app.css"); nullopt for others.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace pedigree::serve
