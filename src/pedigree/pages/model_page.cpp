#include "pedigree/pages/model_page.hpp"

#include "pedigree/lineage/graph.hpp"
#include "pedigree/lineage/index_source.hpp"
#include "pedigree/lineage/verdict_json.hpp"

namespace pedigree::pages {
namespace {

using nlohmann::json;

json provenance_json(lineage::IndexSource& source, const lineage::Provenance& p) {
  auto who = source.key_identity(p.signer);
  return {{"event", p.event_id},
          {"signer", p.signer},
          {"signer_identity", who ? *who : std::string()},
          {"status", lineage::event_status_name(p.status)}};
}

json models_json(lineage::IndexSource& source, const lineage::ArtifactFacts& a) {
  json out = json::array();
  for (const auto& m : a.models) {
    json entry = {
        {"title", m.title},
        {"file_name", m.file_name},
        {"published", m.published},
        {"license", m.license},
        {"source", m.source},
        {"role", m.role == lineage::Role::k_none ? json() : json(lineage::role_name(m.role))},
        {"role_trusted", m.role_trusted},
        {"hashes", m.hashes}};
    entry["from"] = provenance_json(source, m.from);
    out.push_back(std::move(entry));
  }
  return out;
}

json claims_json(lineage::IndexSource& source, const lineage::ArtifactFacts& a) {
  json out = json::array();
  for (const auto& c : a.claims)
    out.push_back({{"contains_nai", c.contains_nai},
                   {"basis", c.basis},
                   {"evidence", c.evidence},
                   {"from", provenance_json(source, c.from)}});
  return out;
}

json edge_json(const index::EdgeRow& e, const std::string& other, const std::string& name) {
  return {{"sha256", other},        {"name", name},
          {"relation", e.relation}, {"weight", e.weight ? json(*e.weight) : json()},
          {"method", e.method},     {"basis", e.basis},
          {"event", e.event},       {"signer", e.signer},
          {"trusted", e.trusted}};
}

Result<json> events_json(index::Index& index, lineage::IndexSource& source,
                         const std::string& sha256) {
  PD_ASSIGN_OR_RETURN(auto rows, index.events_of(sha256));
  json out = json::array();
  for (const auto& r : rows) {
    auto who = source.key_identity(r.signer);
    out.push_back({{"id", r.id},
                   {"predicate", r.predicate},
                   {"signer", r.signer},
                   {"signer_identity", who ? *who : std::string()},
                   {"status", r.status},
                   {"trusted", r.trusted},
                   {"error", r.error}});
  }
  return out;
}

// Parents and children (at most k_max_children_listed) into `view`.
Result<void> add_edges(index::Index& index, const lineage::FactBase& facts,
                       const std::string& sha256, json& view) {
  json parents = json::array();
  PD_ASSIGN_OR_RETURN(auto parent_rows, index.parents(sha256));
  for (const auto& e : parent_rows)
    parents.push_back(edge_json(e, e.parent, facts.display_name(e.parent)));
  view["parents"] = std::move(parents);
  PD_ASSIGN_OR_RETURN(auto child_rows, index.children(sha256));
  const bool truncated = child_rows.size() > k_max_children_listed;
  if (truncated) child_rows.resize(k_max_children_listed);
  json children = json::array();
  for (const auto& e : child_rows) children.push_back(edge_json(e, e.child, ""));
  view["children"] = std::move(children);
  view["children_truncated"] = truncated;
  return {};
}

}  // namespace

lineage::CheckOptions read_only_check_options(unsigned scan_threads) {
  lineage::CheckOptions options;
  options.scan.threads = scan_threads;
  options.fingerprint = lineage::FingerprintPass::k_build;
  // Reference bootstrap stores nothing: pages never write to the ledger.
  options.references = lineage::ReferenceStore(std::filesystem::path());
  return options;
}

Result<ModelPage> model_page(index::Index& index, const std::filesystem::path& references,
                             const std::string& sha256, const lineage::CheckOptions& options) {
  lineage::IndexSource source(index, lineage::ReferenceStore(references));
  PD_ASSIGN_OR_RETURN(const lineage::FactBase* facts, source.load({sha256}));
  const lineage::ArtifactFacts* a = facts->artifact(sha256);
  if (a == nullptr) return not_found(sha256 + ": the ledger has no event about it");
  const lineage::AncestryGraph graph = lineage::build_graph(*facts, sha256);
  const lineage::Role role = facts->role_of(sha256);
  ModelPage page;
  page.view = {{"schema", "pedigree-model/1"},
               {"sha256", sha256},
               {"name", facts->display_name(sha256)},
               {"role", role == lineage::Role::k_none ? json() : json(lineage::role_name(role))},
               {"published", facts->published(sha256)},
               {"names", a->names},
               {"models", models_json(source, *a)},
               {"claims", claims_json(source, *a)},
               {"graph", lineage::to_json(graph)}};
  page.dot = lineage::to_dot(graph);
  PD_ASSIGN_OR_RETURN(page.view["events"], events_json(index, source, sha256));
  PD_TRY(add_edges(index, *facts, sha256, page.view));
  // The verdict, exactly as `pedigree check SHA256` gives it (a fresh source:
  // its loads are its own).
  lineage::IndexSource check_source(index, lineage::ReferenceStore(references));
  PD_ASSIGN_OR_RETURN(auto report, lineage::check_identifier(check_source, sha256, options));
  page.view["check"] = lineage::to_json(report);
  return page;
}

Result<std::string> model_graph_dot(index::Index& index, const std::string& sha256) {
  lineage::IndexSource source(index, lineage::ReferenceStore(std::filesystem::path()));
  PD_ASSIGN_OR_RETURN(const lineage::FactBase* facts, source.load({sha256}));
  if (facts->artifact(sha256) == nullptr)
    return not_found(sha256 + ": the ledger has no event about it");
  return lineage::to_dot(lineage::build_graph(*facts, sha256));
}

}  // namespace pedigree::pages
