// The web page's files (src/pedigree/pages/web/), compiled into the binary by
// CMake at configure time: no build step, no CDN, nothing read at run time.
// `pedigree serve` serves them; `pedigree site` writes them into a static
// site. The same files in both: the page finds out which one it runs in from
// a mark on its <html> element (data-pedigree="server" or "static").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pedigree::pages {

struct Asset {
  std::string_view path;          // as served: "/", "/app.js", "/app.css"
  std::string_view file_name;     // in a static site: "index.html", "app.js", "app.css"
  std::string_view content_type;  // e.g. "text/html" (all UTF-8)
  std::string_view body;
};

// The asset served at `path`; nullopt for others.
std::optional<Asset> find_asset(std::string_view path);

// Every asset, in a fixed order.
std::vector<Asset> all_assets();

// Where the page runs: behind `pedigree serve` (the JSON API) or as a static
// site (pre-rendered JSON files beside it).
enum class PageMode { k_server, k_static };

// The body of `asset` for `mode`: index.html carries the mode mark; the
// other files are the same in both.
std::string asset_body(const Asset& asset, PageMode mode);

}  // namespace pedigree::pages
