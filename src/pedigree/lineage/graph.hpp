// The ancestry of an artifact as a graph (every declared edge, any status),
// for `pedigree tree` and `pedigree graph`: NAI references and the edges on
// trusted paths to them are marked so renderers can highlight them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/lineage/facts.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::lineage {

// Largest graph rendered (a hostile ledger cannot make rendering unbounded).
inline constexpr std::size_t k_max_graph_nodes = 5000;

struct GraphNode {
  std::string sha256;
  std::string name;
  Role role = Role::k_none;
  bool nai = false;          // a NAI reference (leak or official)
  bool on_nai_path = false;  // on a trusted path from the target to NAI
};

struct GraphEdge {
  std::string child, parent, relation;
  std::optional<double> weight;
  EventStatus status = EventStatus::k_trusted;
  std::string event_id;
  bool on_nai_path = false;
};

struct AncestryGraph {
  std::string target;
  std::vector<GraphNode> nodes;  // target first, then breadth-first
  std::vector<GraphEdge> edges;
  bool truncated = false;
};

// Collects the ancestry of `target` from `facts` (breadth-first, cycle-safe).
AncestryGraph build_graph(const FactBase& facts, const std::string& target);

// Graphviz DOT text (NAI nodes red, trusted NAI paths bold red, untrusted and
// revoked edges dashed grey).
std::string to_dot(const AncestryGraph& graph);
// {"target", "nodes":[{sha256,name,role,nai,on_nai_path}], "edges":[{child,parent,relation,
//  weight,status,event,on_nai_path}], "truncated"}.
nlohmann::json to_json(const AncestryGraph& graph);
// Renders DOT to SVG with Graphviz `dot` found on PATH. NotSupported with an
// install hint when `dot` is missing; IOError when it fails.
Result<std::string> render_svg(const std::string& dot);
// Renders several DOT graphs with one `dot` process (its start dominates a
// small graph), one SVG per graph in order. Errors as render_svg; IOError
// when Graphviz does not return one document per graph. Thread-safe.
Result<std::vector<std::string>> render_svgs(const std::vector<std::string>& dots);
// The ancestry as an indented tree: one line per parent edge with relation,
// weight and status; repeated subtrees and cycles are cut with a note.
std::string render_tree(const FactBase& facts, const std::string& target);

}  // namespace pedigree::lineage
