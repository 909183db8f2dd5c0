#include "pedigree/serve/api.hpp"

#include <algorithm>

#include "pedigree/lineage/graph.hpp"
#include "pedigree/lineage/index_source.hpp"
#include "pedigree/lineage/verdict_json.hpp"
#include "pedigree/pages/model_page.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::serve {
namespace {

using nlohmann::json;

// Leading and trailing blanks of pasted text (a copied line keeps its newline).
// The lower-case SHA-256 `text` spells, or nullopt.
std::optional<std::string> sha256_of(std::string_view text) {
  if (text.size() != 64 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(c) != 0; }))
    return std::nullopt;
  return to_lower_ascii(text);
}

json limits_json(const Limits& l) {
  return {{"max_body_bytes", l.max_body_bytes},
          {"max_picture_bytes", l.max_picture_bytes},
          {"max_upload_bytes", l.max_upload_bytes},
          {"max_active", l.max_active},
          {"max_uploads", l.max_uploads},
          {"threads", l.threads},
          {"read_timeout_s", l.read_timeout_s},
          {"write_timeout_s", l.write_timeout_s},
          {"min_upload_bytes_per_s", l.min_upload_bytes_per_s},
          {"upload_grace_s", l.upload_grace_s},
          {"keep_alive_s", l.keep_alive_s},
          {"cache_bytes", l.cache_bytes}};
}

// The error's code as the API spells it (docs/serve.md).
std::string_view code_slug(ErrorCode code) {
  switch (code) {
    case ErrorCode::k_invalid_argument: return "invalid-argument";
    case ErrorCode::k_not_found: return "not-found";
    case ErrorCode::k_corruption: return "corruption";
    case ErrorCode::k_io: return "io";
    case ErrorCode::k_not_supported: return "not-supported";
    case ErrorCode::k_untrusted: return "untrusted";
    case ErrorCode::k_conflict: return "conflict";
    case ErrorCode::k_internal: return "internal";
  }
  return "internal";
}

}  // namespace

Reply json_reply(int status, const json& value) {
  return {status, "application/json",
          value.dump(2, ' ', false, json::error_handler_t::replace) + "\n"};
}

Reply error_reply(int status, std::string_view code, std::string_view message) {
  return json_reply(status,
                    {{"error", {{"status", status}, {"code", code}, {"message", message}}}});
}

int status_for(const Error& error, Blame blame) {
  switch (error.code()) {
    case ErrorCode::k_invalid_argument: return 400;
    case ErrorCode::k_not_found: return 404;
    case ErrorCode::k_not_supported: return 415;
    case ErrorCode::k_corruption: return blame == Blame::k_request ? 422 : 500;
    default: return 500;
  }
}

Reply error_reply(const Error& error, Blame blame) {
  return error_reply(status_for(error, blame), code_slug(error.code()), error.message());
}

Api::Api(const ServeConfig& config)
    : m_config(config),
      m_pool(config.index_path),
      m_cache(static_cast<std::size_t>(config.limits.cache_bytes)) {}

template <typename Make>
Reply Api::cached(const std::string& key, Make&& make) {
  auto lease = m_pool.acquire();
  if (!lease) return error_reply(lease.error(), Blame::k_server);
  auto generation = m_pool.generation(*lease);
  if (!generation) return error_reply(generation.error(), Blame::k_server);
  if (auto hit = m_cache.get(key, *generation)) return *hit;
  Reply reply = make(**lease);
  if (reply.status == 200) m_cache.put(key, *generation, reply);
  return reply;
}

lineage::CheckOptions Api::check_options() const {
  return pages::read_only_check_options(m_config.scan_threads);
}

Reply Api::check_text(std::string_view text) {
  text = trim(text);
  if (text.empty()) return error_reply(400, "invalid-argument", "nothing to check: give q=TEXT");
  return cached("check\n" + std::string(text), [&](index::Index& index) {
    lineage::IndexSource source(index, lineage::ReferenceStore(m_config.references_dir));
    auto report = lineage::check_identifier(source, text, check_options());
    if (!report) return error_reply(report.error(), Blame::k_server);
    return json_reply(200, lineage::to_json(*report));
  });
}

Reply Api::check_picture(std::string_view name, ByteView bytes) {
  auto lease = m_pool.acquire();
  if (!lease) return error_reply(lease.error(), Blame::k_server);
  lineage::IndexSource source(**lease, lineage::ReferenceStore(m_config.references_dir));
  auto report = lineage::check_picture(source, name, bytes);
  if (!report) return error_reply(report.error(), Blame::k_request);
  return json_reply(200, lineage::to_json(*report));
}

Reply Api::check_upload(lineage::FileScanResult scanned, const std::string& name) {
  auto lease = m_pool.acquire();
  if (!lease) return error_reply(lease.error(), Blame::k_server);
  lineage::IndexSource source(**lease, lineage::ReferenceStore(m_config.references_dir));
  auto report = lineage::check_scanned(source, std::move(scanned), name, check_options());
  if (!report) return error_reply(report.error(), Blame::k_server);
  return json_reply(200, lineage::to_json(*report));
}

Reply Api::model(std::string_view sha256) {
  auto sha = sha256_of(sha256);
  if (!sha) return error_reply(400, "invalid-argument", "a model is named by its 64-hex SHA-256");
  return cached("model\n" + *sha, [&](index::Index& index) {
    auto page = pages::model_page(index, m_config.references_dir, *sha, check_options());
    if (!page) return error_reply(page.error(), Blame::k_server);
    return json_reply(200, page->view);
  });
}

Reply Api::graph_svg(std::string_view sha256) {
  auto sha = sha256_of(sha256);
  if (!sha) return error_reply(400, "invalid-argument", "a model is named by its 64-hex SHA-256");
  // Graphviz takes tens of milliseconds per drawing: worth keeping.
  return cached("graph\n" + *sha, [&](index::Index& index) {
    auto dot = pages::model_graph_dot(index, *sha);
    if (!dot) return error_reply(dot.error(), Blame::k_server);
    auto svg = lineage::render_svg(*dot);
    if (!svg) return error_reply(svg.error(), Blame::k_server);
    return Reply{200, "image/svg+xml", std::move(*svg)};
  });
}

Reply Api::search(std::string_view query, std::size_t limit) {
  query = trim(query);
  if (query.empty()) return error_reply(400, "invalid-argument", "nothing to search: give q=TEXT");
  limit = std::clamp<std::size_t>(limit, 1, 200);
  auto lease = m_pool.acquire();
  if (!lease) return error_reply(lease.error(), Blame::k_server);
  json results = json::array();
  std::vector<std::string> seen;
  lineage::IndexSource source(**lease, lineage::ReferenceStore(std::filesystem::path()));
  auto resolved = source.resolve(query);
  if (!resolved && resolved.error().code() != ErrorCode::k_invalid_argument)
    return error_reply(resolved.error(), Blame::k_server);
  if (resolved)
    for (const auto& c : resolved->candidates) {
      if (results.size() >= limit) break;
      seen.push_back(c.sha256);
      results.push_back({{"sha256", c.sha256},
                         {"name", c.name},
                         {"matched_by", c.matched_by},
                         {"trusted", c.trusted}});
    }
  auto named = (*lease)->names_with_prefix(to_lower_ascii(query), limit);
  if (!named) return error_reply(named.error(), Blame::k_server);
  for (const auto& m : *named) {
    if (results.size() >= limit) break;
    if (std::find(seen.begin(), seen.end(), m.sha256) != seen.end()) continue;
    seen.push_back(m.sha256);
    results.push_back({{"sha256", m.sha256},
                       {"name", m.name},
                       {"matched_by", "name-prefix"},
                       {"trusted", m.trusted}});
  }
  return json_reply(200, {{"schema", "pedigree-search/1"},
                          {"query", std::string(query)},
                          {"results", std::move(results)}});
}

Reply Api::info() {
  auto lease = m_pool.acquire();
  if (!lease) return error_reply(lease.error(), Blame::k_server);
  auto counts = (*lease)->counts();
  if (!counts) return error_reply(counts.error(), Blame::k_server);
  auto commit = (*lease)->last_commit();
  if (!commit) return error_reply(commit.error(), Blame::k_server);
  return json_reply(200, {{"schema", "pedigree-info/1"},
                          {"version", PEDIGREE_VERSION},
                          {"ledger", m_config.ledger_label},
                          {"commit", commit->value_or("")},
                          {"events",
                           {{"valid", counts->valid},
                            {"untrusted", counts->untrusted},
                            {"invalid", counts->invalid},
                            {"unknown_key", counts->unknown_key},
                            {"revoked", counts->revoked},
                            {"duplicate", counts->duplicate}}},
                          {"limits", limits_json(m_config.limits)}});
}

}  // namespace pedigree::serve
