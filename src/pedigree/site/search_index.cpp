#include "pedigree/site/search_index.hpp"

#include <algorithm>
#include <cstdio>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::site {
namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool model_trusted(const json& model) {
  const auto from = model.find("from");
  return from != model.end() && from->is_object() && text_of(*from, "status") == "trusted";
}

}  // namespace

std::string site_json_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void add_page_entries(const json& view, std::vector<SearchEntry>& names,
                      std::vector<SearchEntry>& hashes) {
  const std::string sha = text_of(view, "sha256");
  const std::string shown = text_of(view, "name");
  bool any_trusted = false;
  const auto models = view.find("models");
  if (models != view.end() && models->is_array())
    for (const auto& m : *models) {
      if (!m.is_object()) continue;
      const bool trusted = model_trusted(m);
      any_trusted = any_trusted || trusted;
      // The names the server's search matches (Index::names_with_prefix).
      for (const char* field : {"title", "file_name"}) {
        const std::string name = text_of(m, field);
        if (!name.empty())
          names.push_back({to_lower_ascii(name), sha, name, "name-prefix", trusted});
      }
      const auto ids = m.find("hashes");
      if (ids == m.end() || !ids->is_object()) continue;
      for (const auto& [kind, value] : ids->items())
        if (value.is_string() && !value.get<std::string>().empty())
          hashes.push_back({to_lower_ascii(value.get<std::string>()), sha, shown, kind, trusted});
    }
  hashes.push_back({sha, sha, shown, "sha256", any_trusted});
}

std::vector<SiteFile> shard_entries(std::vector<SearchEntry> entries, const std::string& kind,
                                    std::size_t per_shard) {
  std::sort(entries.begin(), entries.end(), [](const SearchEntry& a, const SearchEntry& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.sha256 != b.sha256) return a.sha256 < b.sha256;
    if (a.matched_by != b.matched_by) return a.matched_by < b.matched_by;
    return a.name < b.name;
  });
  // One entry per (key, artifact, kind): the same identity stated by several
  // events is one search result, trusted when any statement of it is.
  std::vector<SearchEntry> merged;
  for (auto& e : entries) {
    if (!merged.empty() && merged.back().key == e.key && merged.back().sha256 == e.sha256 &&
        merged.back().matched_by == e.matched_by) {
      merged.back().trusted = merged.back().trusted || e.trusted;
      continue;
    }
    merged.push_back(std::move(e));
  }
  per_shard = std::max<std::size_t>(per_shard, 1);
  std::vector<SiteFile> files;
  json shards = json::array();
  for (std::size_t begin = 0; begin < merged.size(); begin += per_shard) {
    const std::size_t end = std::min(merged.size(), begin + per_shard);
    char name[32];
    std::snprintf(name, sizeof name, "%05zu.json", begin / per_shard);
    const std::string file = kind + "/" + name;
    json rows = json::array();
    for (std::size_t i = begin; i < end; ++i) {
      const auto& e = merged[i];
      rows.push_back(json::array({e.key, e.sha256, e.name, e.matched_by, e.trusted}));
    }
    shards.push_back({{"first", merged[begin].key}, {"file", file}});
    files.push_back({"search/" + file, site_json_text({{"entries", std::move(rows)}})});
  }
  files.push_back({"search/" + kind + ".json", site_json_text({{"schema", "pedigree-site-search/1"},
                                                               {"kind", kind},
                                                               {"entries", merged.size()},
                                                               {"shards", std::move(shards)}})});
  return files;
}

}  // namespace pedigree::site
