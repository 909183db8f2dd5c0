// Ancestry graphs: DOT/JSON/SVG rendering and the indented tree.
#include "pedigree/lineage/graph.hpp"

#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"

namespace pedigree::lineage {
namespace {

using testing::FactBuilder;
using testing::sha_of;

FactBuilder diamond() {
  FactBuilder b;
  b.model("NAI", "nai-leak", "2022-10-06");
  b.model("SD14", "base");
  b.lineage("L", {{"NAI", "merge", "0.6"}, {"SD14", "merge", "0.4"}});
  b.lineage("R", {{"SD14", "finetune", ""}});
  b.lineage("D", {{"L", "merge", "0.5"}, {"R", "merge", "0.5"}});
  b.lineage("D", {{"SD14", "merge", "1"}}, /*trusted=*/false, "k9");
  b.facts().finalize();
  return b;
}

TEST(Graph, MarksNaiAndTheTrustedPathsToIt) {
  auto b = diamond();
  AncestryGraph g = build_graph(b.facts(), sha_of("D"));
  EXPECT_EQ(g.nodes.size(), 5u);  // D, L, R, NAI, SD14
  EXPECT_EQ(g.nodes.front().sha256, sha_of("D"));
  int nai = 0, on_path = 0, untrusted = 0;
  for (const auto& n : g.nodes) nai += n.nai, on_path += n.on_nai_path;
  for (const auto& e : g.edges) untrusted += e.status == EventStatus::k_untrusted;
  EXPECT_EQ(nai, 1);
  EXPECT_EQ(on_path, 3);  // D, L, NAI
  EXPECT_EQ(untrusted, 1);
  auto j = to_json(g);
  EXPECT_EQ(j["nodes"].size(), 5u);
  EXPECT_EQ(j["edges"].size(), 6u);
}

TEST(Graph, DotRendersWithGraphviz) {
  auto b = diamond();
  std::string dot = to_dot(build_graph(b.facts(), sha_of("D")));
  EXPECT_NE(dot.find("fillcolor"), std::string::npos);
  EXPECT_NE(dot.find("style=dashed"), std::string::npos);
  auto svg = render_svg(dot);  // Graphviz is in tools/install-deps
  ASSERT_TRUE(svg) << svg.error().message();
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  EXPECT_NE(svg->find("NAI"), std::string::npos);
}

TEST(Graph, TreeShowsRelationsWeightsAndCutsCycles) {
  FactBuilder b;
  b.model("SD14", "base");
  b.lineage("X", {{"Y", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  b.lineage("Y", {{"X", "merge", "0.25"}});
  b.facts().finalize();
  std::string tree = render_tree(b.facts(), sha_of("X"));
  EXPECT_NE(tree.find("<- merge 0.5  Y"), std::string::npos) << tree;
  EXPECT_NE(tree.find("<- merge 0.25  X"), std::string::npos) << tree;
  EXPECT_NE(tree.find("cycle: refused"), std::string::npos) << tree;
  EXPECT_NE(tree.find("(base)"), std::string::npos) << tree;
}

}  // namespace
}  // namespace pedigree::lineage
