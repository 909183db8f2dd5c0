// lineage::render_svgs: several graphs drawn by one Graphviz run give the
// same bytes as each drawn by a run of its own (the static site draws in
// batches, the server one at a time; their SVGs must not differ).
#include <gtest/gtest.h>

#include "pedigree/lineage/graph.hpp"

namespace pedigree::lineage {
namespace {

TEST(GraphBatch, EachDrawingIsTheDrawingOfItsOwnRun) {
  const std::vector<std::string> dots = {
      "digraph ancestry { \"a\" -> \"b\" }\n",
      "digraph ancestry { \"p<?xml\" -> \"q\" }\n",  // text that looks like a document start
      "digraph ancestry { \"r\" }\n"};
  auto batch = render_svgs(dots);
  ASSERT_TRUE(batch) << batch.error().message();  // Graphviz is in tools/install-deps
  ASSERT_EQ(batch->size(), dots.size());
  for (std::size_t i = 0; i < dots.size(); ++i) {
    auto alone = render_svg(dots[i]);
    ASSERT_TRUE(alone) << alone.error().message();
    EXPECT_EQ((*batch)[i], *alone) << i;
    EXPECT_EQ((*batch)[i].rfind("<?xml", 0), 0u) << i;
  }
}

TEST(GraphBatch, NothingToDrawIsNoRun) {
  auto none = render_svgs({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(GraphBatch, AGraphGraphvizRefusesFailsTheBatch) {
  auto bad = render_svgs({"digraph ancestry { a }\n", "this is not dot\n"});
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace pedigree::lineage
