// The page of one model, shared by `pedigree serve` (GET /api/model/SHA256,
// GET /api/graph/SHA256.svg) and `pedigree site` (model/XX/SHA256.json and
// .svg): what the ledger's index holds about a model, who said it and whether
// it counts, and the verdict `check` gives from the ledger alone. One
// implementation, so a static site and the server can never disagree.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pedigree/index/index.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::pages {

// Most children listed on a model page (a base model may have thousands).
inline constexpr std::size_t k_max_children_listed = 200;

// The options every page's verdict is computed with: fingerprints built as
// `check` builds them, but reference bootstrap stores nothing (neither the
// server nor a site generator ever writes to the ledger). `scan_threads` 0
// means all cores.
lineage::CheckOptions read_only_check_options(unsigned scan_threads);

struct ModelPage {
  // {"schema":"pedigree-model/1","sha256","name","role","published","names",
  //  "models":[...],"claims":[...],"events":[...],"parents":[...],
  //  "children":[...],"children_truncated","graph":{...},"check":{report}}
  // (docs/serve.md); object keys sorted, so its text is deterministic.
  nlohmann::json view;
  // The ancestry in Graphviz DOT (lineage::to_dot), for lineage::render_svg.
  std::string dot;
};

// The page of `sha256` (64 lower-case hex) read through `index` (used by one
// thread at a time) with the local reference fingerprints in `references`.
// NotFound when no event is about it; index errors as they come.
Result<ModelPage> model_page(index::Index& index, const std::filesystem::path& references,
                             const std::string& sha256, const lineage::CheckOptions& options);

// The ancestry of `sha256` in DOT, as in the page; NotFound as above.
Result<std::string> model_graph_dot(index::Index& index, const std::string& sha256);

}  // namespace pedigree::pages
