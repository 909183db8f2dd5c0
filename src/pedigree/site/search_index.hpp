// The static site's search index (docs/site.md): what the browse box of the
// page searches when there is no server. Two sorted lists, names (lower-cased
// titles and file names of model events) and hashes (every identity of every
// model event, and the SHA-256 itself), cut into shards of at most
// k_entries_per_shard entries with a small manifest of each shard's first
// key. A prefix query reads the manifest, finds the one shard where its range
// starts and reads on while entries still match: two or three small files
// whatever the ledger's size, no server, no build step.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pedigree::site {

inline constexpr std::size_t k_entries_per_shard = 2000;

struct SearchEntry {
  std::string key;         // what a query is a prefix of (lower-case ASCII folded)
  std::string sha256;      // the artifact
  std::string name;        // shown: the title or file name as written, or the model's name
  std::string matched_by;  // "name-prefix", or the hash kind ("sha256", "autov1", ...)
  bool trusted = false;    // some event giving this key is signed by a key trusted for `model`
};

// The text of every JSON file of the site: compact, invalid UTF-8 replaced
// (U+FFFD), a final newline; the same bytes for the same value.
std::string site_json_text(const nlohmann::json& value);

// The entries of one model page (pages::model_page's view): names from every
// model event's title and file name, hashes from every model event's
// identities plus the SHA-256 (trusted when any model event is). Appended to
// `names` and `hashes`.
void add_page_entries(const nlohmann::json& view, std::vector<SearchEntry>& names,
                      std::vector<SearchEntry>& hashes);

struct SiteFile {
  std::string path;  // relative to the site's root, '/'-separated
  std::string body;
};

// Sorts `entries` by key (bytes) then SHA-256, merges duplicates (trusted if
// any is) and cuts them into shards: "search/KIND.json" (the manifest:
// {"schema":"pedigree-site-search/1","kind","entries","shards":[{"first","file"}]})
// and "search/KIND/NNNNN.json" ({"entries":[[key,sha256,name,matched_by,trusted],...]}).
std::vector<SiteFile> shard_entries(std::vector<SearchEntry> entries, const std::string& kind,
                                    std::size_t per_shard = k_entries_per_shard);

}  // namespace pedigree::site
