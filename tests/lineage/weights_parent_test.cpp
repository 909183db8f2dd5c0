// Lineage parents named only by their pedigree-weights-v1 hash: resolved to an
// artifact a trusted model event gives that hash, else an unknown root that
// leaves the ancestry incomplete (never silently dropped).
#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"
#include "pedigree/lineage/graph.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::lineage {
namespace {

using testing::FactBuilder;
using testing::sha_of;

const std::string k_nai_weights = sha_of("weights of NAI");
const std::string k_sd_weights = sha_of("weights of SD14");

FactBuilder weight_references() {
  FactBuilder b;
  b.model("NAI", "nai-leak", "2022-10-06", true, {{"weights", k_nai_weights}});
  b.model("SD14", "base", "2022-08-22", true, {{"weights", k_sd_weights}});
  return b;
}

Verdict decide_weights(FactBuilder& b, const std::string& label) {
  return testing::decide_label(b, label);
}

TEST(WeightsParent, ResolvesToTheReferenceCarryingTheHash) {
  auto b = weight_references();
  b.lineage("mix", {{"anything", "merge", "0.3", k_nai_weights}, {"SD14", "merge", "0.7"}});
  Verdict v = decide_weights(b, "mix");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  ASSERT_EQ(v.ancestry.paths.size(), 1u);
  EXPECT_EQ(v.ancestry.paths[0].steps.back().sha256, sha_of("NAI"));
  ASSERT_TRUE(v.declared_share);
  EXPECT_NEAR(v.declared_share->estimate, 0.3, 1e-12);
  EXPECT_TRUE(v.ancestry.complete);
  bool marked = false;
  for (const Edge* e : b.facts().parents_of(sha_of("mix")))
    if (e->parent == sha_of("NAI")) marked = e->parent_by_weights;
  EXPECT_TRUE(marked);
  EXPECT_NE(render_tree(b.facts(), sha_of("mix")).find("(by weights hash)"), std::string::npos);
}

TEST(WeightsParent, UnknownWeightsLeaveTheAncestryIncomplete) {
  auto b = weight_references();
  const std::string unknown = sha_of("weights nobody registered");
  b.lineage("half", {{"secret", "merge", "0.5", unknown}, {"SD14", "merge", "0.5"}});
  Verdict v = decide_weights(b, "half");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  EXPECT_FALSE(v.ancestry.complete);
  ASSERT_EQ(v.ancestry.unknown_roots.size(), 1u);
  EXPECT_EQ(v.ancestry.unknown_roots[0], std::string(k_weights_node_prefix) + unknown);
  // Shown with the name the event gave, and never mistaken for a SHA-256.
  EXPECT_EQ(b.facts().display_name(v.ancestry.unknown_roots[0]), "secret");
  EXPECT_EQ(short_node_id(v.ancestry.unknown_roots[0]), "weights:" + unknown.substr(0, 10));
}

TEST(WeightsParent, OnlyTrustedModelEventsResolveAHash) {
  auto b = weight_references();
  const std::string w = sha_of("weights of a fake");
  // An untrusted signer claims the SD base carries these weights: not used.
  b.model("SD14", "", "", false, {{"weights", w}});
  b.lineage("x", {{"fake", "merge", "1", w}});
  Verdict v = decide_weights(b, "x");
  EXPECT_FALSE(v.ancestry.complete);
  ASSERT_EQ(v.ancestry.unknown_roots.size(), 1u);
  EXPECT_EQ(v.ancestry.unknown_roots[0], std::string(k_weights_node_prefix) + w);
}

TEST(WeightsParent, AChildCarryingTheSameWeightsIsNotItsOwnParent) {
  // A conversion keeps the weights: child and parent share the hash.
  auto b = weight_references();
  const std::string w = sha_of("weights of a finetune");
  b.model("ft", "", "", true, {{"weights", w}});
  b.lineage("ft", {{"NAI", "finetune", ""}});
  b.model("ft-converted", "", "", true, {{"weights", w}});
  b.lineage("ft-converted", {{"ft", "conversion", "", w}});
  Verdict v = decide_weights(b, "ft-converted");
  EXPECT_TRUE(v.ancestry.cycles.empty());
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  ASSERT_EQ(v.ancestry.paths.size(), 1u);
  EXPECT_EQ(v.ancestry.paths[0].steps.size(), 3u);  // ft-converted, ft, NAI
}

TEST(WeightsParent, ANaiReferenceWinsOverACopyOfIt) {
  // Two artifacts carry NAI's weights: the reference and an undeclared copy.
  auto b = weight_references();
  b.model("renamed-nai", "", "", true, {{"weights", k_nai_weights}});
  b.lineage("m", {{"?", "merge", "0.5", k_nai_weights}, {"SD14", "merge", "0.5"}});
  Verdict v = decide_weights(b, "m");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_TRUE(v.ancestry.complete);
}

TEST(WeightsParent, AnEventWithNeitherDigestIsRefused) {
  FactBuilder b;
  nlohmann::json p = {
      {"parents", {{{"digest", {{"blake3", std::string(64, 'a')}}}, {"relation", "merge"}}}},
      {"method", "m"},
      {"basis", "other"}};
  EXPECT_THROW(b.add("lineage", "c", p, true), std::runtime_error);
}

}  // namespace
}  // namespace pedigree::lineage
