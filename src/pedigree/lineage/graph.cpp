#include "pedigree/lineage/graph.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

#include "pedigree/lineage/ancestry.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/terminal_text.hpp"

namespace pedigree::lineage {
namespace {

std::string fmt_weight(const std::optional<double>& w) {
  if (!w) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", *w);
  return buf;
}

// Text from the ledger as the inside of a DOT quoted string: controls and
// bidi overrides escaped visibly (terminal_safe), '"' as \", '&' as &amp;, and
// '\\' as "&#92;&#92;": Graphviz decodes entities before label escapes, so
// this shows one backslash, while a raw '\\' could escape the closing quote
// (a name ending in one) or form a label escape ("\n", "\l", "\r").
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : terminal_safe(s)) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "&#92;&#92;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void tree_lines(const FactBase& facts, const std::string& node, int depth,
                std::set<std::string>& on_stack, std::set<std::string>& printed, std::string& out,
                std::size_t& lines) {
  for (const Edge* e : facts.parents_of(node)) {
    if (++lines > k_max_graph_nodes) {
      out += std::string(2 * depth + 2, ' ') + "... (truncated)\n";
      return;
    }
    std::string line = std::string(2 * depth + 2, ' ') + "<- " + terminal_safe(e->relation);
    if (auto w = effective_weight(*e)) line += " " + fmt_weight(w);
    line += "  " + terminal_safe(facts.display_name(e->parent)) + "  [" +
            terminal_safe(short_node_id(e->parent)) + "]";
    if (e->parent_by_weights) line += "  (by weights hash)";
    Role role = facts.role_of(e->parent);
    if (role != Role::k_none) line += "  (" + std::string(role_name(role)) + ")";
    if (e->from.status != EventStatus::k_trusted)
      line += "  {" + std::string(event_status_name(e->from.status)) + ", not counted}";
    if (on_stack.contains(e->parent)) {
      out += line + "  (cycle: refused)\n";
      continue;
    }
    if (printed.contains(e->parent) && !facts.parents_of(e->parent).empty()) {
      out += line + "  (see above)\n";
      continue;
    }
    out += line + "\n";
    printed.insert(e->parent);
    if (is_nai_role(role) || role == Role::k_base) continue;
    on_stack.insert(e->parent);
    tree_lines(facts, e->parent, depth + 1, on_stack, printed, out, lines);
    on_stack.erase(e->parent);
  }
}

}  // namespace

AncestryGraph build_graph(const FactBase& facts, const std::string& target) {
  AncestryGraph g;
  g.target = target;
  Ancestry anc = trace_ancestry(facts, target);
  std::set<std::pair<std::string, std::string>> path_edges;
  std::set<std::string> path_nodes;
  for (const auto& p : anc.paths)
    for (std::size_t i = 0; i < p.steps.size(); ++i) {
      path_nodes.insert(p.steps[i].sha256);
      if (i > 0) path_edges.insert({p.steps[i - 1].sha256, p.steps[i].sha256});
    }
  std::map<std::string, std::size_t> seen;
  std::deque<std::string> queue{target};
  seen[target] = 0;
  while (!queue.empty()) {
    std::string node = queue.front();
    queue.pop_front();
    Role role = facts.role_of(node);
    g.nodes.push_back(
        {node, facts.display_name(node), role, is_nai_role(role), path_nodes.contains(node)});
    if (is_nai_role(role) || (role == Role::k_base && node != target)) continue;
    for (const Edge* e : facts.parents_of(node)) {
      g.edges.push_back(
          {e->child, e->parent, e->relation, effective_weight(*e), e->from.status, e->from.event_id,
           e->from.status == EventStatus::k_trusted && path_edges.contains({e->child, e->parent})});
      if (seen.contains(e->parent)) continue;
      if (seen.size() >= k_max_graph_nodes) {
        g.truncated = true;
        continue;
      }
      seen[e->parent] = seen.size();
      queue.push_back(e->parent);
    }
  }
  return g;
}

std::string to_dot(const AncestryGraph& g) {
  std::string out = "digraph ancestry {\n  rankdir=BT;\n  node [shape=box, fontname=\"sans\"];\n";
  for (const auto& n : g.nodes) {
    out += "  \"" + dot_escape(n.sha256) + "\" [label=\"" + dot_escape(n.name) + "\\n" +
           dot_escape(short_node_id(n.sha256)) +
           (n.role != Role::k_none ? "\\n(" + std::string(role_name(n.role)) + ")" : "") + "\"";
    if (n.nai)
      out += ", style=filled, fillcolor=\"#f4b4b4\", color=red";
    else if (n.on_nai_path)
      out += ", color=red";
    if (n.sha256 == g.target) out += ", penwidth=2";
    out += "];\n";
  }
  for (const auto& e : g.edges) {
    std::string label = e.relation + (e.weight ? " " + fmt_weight(e.weight) : "");
    out += "  \"" + dot_escape(e.child) + "\" -> \"" + dot_escape(e.parent) + "\" [label=\"" +
           dot_escape(label) + "\"";
    if (e.on_nai_path) out += ", color=red, penwidth=2";
    if (e.status != EventStatus::k_trusted)
      out += ", style=dashed, color=grey, fontcolor=grey, xlabel=\"" +
             std::string(event_status_name(e.status)) + "\"";
    out += "];\n";
  }
  return out + "}\n";
}

nlohmann::json to_json(const AncestryGraph& g) {
  nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
  for (const auto& n : g.nodes)
    nodes.push_back(
        {{"sha256", n.sha256},
         {"name", n.name},
         {"role", n.role == Role::k_none ? nlohmann::json() : nlohmann::json(role_name(n.role))},
         {"nai", n.nai},
         {"on_nai_path", n.on_nai_path}});
  for (const auto& e : g.edges)
    edges.push_back({{"child", e.child},
                     {"parent", e.parent},
                     {"relation", e.relation},
                     {"weight", e.weight ? nlohmann::json(*e.weight) : nlohmann::json()},
                     {"status", event_status_name(e.status)},
                     {"event", e.event_id},
                     {"on_nai_path", e.on_nai_path}});
  return {{"target", g.target}, {"nodes", nodes}, {"edges", edges}, {"truncated", g.truncated}};
}

Result<std::string> render_svg(const std::string& dot) {
  PD_ASSIGN_OR_RETURN(auto svgs, render_svgs({dot}));
  return std::move(svgs.front());
}

Result<std::vector<std::string>> render_svgs(const std::vector<std::string>& dots) {
  if (dots.empty()) return std::vector<std::string>();
  bool found = false;
  if (const char* path = std::getenv("PATH")) {
    std::string p(path);
    for (std::size_t start = 0; start <= p.size();) {
      std::size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      auto candidate = std::filesystem::path(p.substr(start, end - start)) / "dot";
      if (::access(candidate.c_str(), X_OK) == 0) found = true;
      start = end + 1;
    }
  }
  if (!found)
    return not_supported(
        "Graphviz `dot` is not installed: install it (Debian: apt-get install "
        "graphviz) or use --format dot|json");
  // A directory of its own per call (threads of one process render at once).
  std::string pattern = (std::filesystem::temp_directory_path() / "pedigree-graph-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return io_error("cannot create a temporary directory for Graphviz");
  const std::filesystem::path dir = pattern;
  std::string input;
  for (const auto& d : dots) input += d + "\n";
  auto in = dir / "g.dot", out = dir / "g.svg";
  auto written = write_file_atomic(in, input);
  // One `dot` for every graph: its start (~50 ms) would otherwise dominate.
  // With several graphs it writes one SVG document after another on stdout.
  std::string cmd = "dot -Tsvg '" + in.string() + "' > '" + out.string() + "' 2>/dev/null";
  int rc = written ? std::system(cmd.c_str()) : -1;
  auto svg = read_file(out, std::uint64_t(1) << 40);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!written) return std::unexpected(written.error());
  if (rc != 0 || !svg) return io_error("Graphviz `dot` failed to render the graph");
  // Each document starts with the XML declaration; names inside are escaped
  // (`<` as &lt;), so the declaration cannot occur inside one.
  static constexpr std::string_view k_declaration = "<?xml ";
  std::vector<std::string> svgs;
  std::size_t at = svg->find(k_declaration);
  while (at != std::string::npos) {
    std::size_t next = svg->find(k_declaration, at + 1);
    svgs.push_back(svg->substr(at, next == std::string::npos ? std::string::npos : next - at));
    // Graphviz names the top group of every graph after the first of a run
    // with its multi-page form; each drawing gets the name a run of its own
    // gives it, so that its bytes never depend on the batch it was drawn in.
    static constexpr std::string_view k_paged = "<g id=\"page0,1_graph0\" class=\"graph\"";
    if (auto paged = svgs.back().find(k_paged); paged != std::string::npos)
      svgs.back().replace(paged, k_paged.size(), "<g id=\"graph0\" class=\"graph\"");
    at = next;
  }
  if (svgs.size() != dots.size())
    return io_error("Graphviz `dot` rendered " + std::to_string(svgs.size()) + " of " +
                    std::to_string(dots.size()) + " graphs");
  return svgs;
}

std::string render_tree(const FactBase& facts, const std::string& target) {
  std::string out = terminal_safe(facts.display_name(target)) + "  [" +
                    terminal_safe(short_node_id(target)) + "]";
  Role role = facts.role_of(target);
  if (role != Role::k_none) out += "  (" + std::string(role_name(role)) + ")";
  out += "\n";
  std::set<std::string> on_stack{target}, printed{target};
  std::size_t lines = 0;
  tree_lines(facts, target, 0, on_stack, printed, out, lines);
  if (facts.parents_of(target).empty() && role == Role::k_none) out += "  (no declared parents)\n";
  return out;
}

}  // namespace pedigree::lineage
