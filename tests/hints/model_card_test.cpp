// The YAML front matter of Hugging Face model cards, as the Hub documents it
// (huggingface.co/docs/hub/model-cards, "Specifying a base model"), built here.
#include <gtest/gtest.h>

#include "pedigree/hints/hints.hpp"

namespace pedigree::hints {
namespace {

TEST(HfModelCard, ReadsAScalarBaseModelRelationAndLicence) {
  auto h = parse_hf_model_card(
      "---\nlicense: creativeml-openrail-m\ntags:\n- stable-diffusion\n- anime\n"
      "base_model: NovelAI/nai-anime-v1-full\nbase_model_relation: merge\n---\n# My merge\n",
      "README.md");
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->site, "huggingface");
  ASSERT_EQ(h->base_models.size(), 1u);
  EXPECT_EQ(h->base_models[0], "NovelAI/nai-anime-v1-full");
  EXPECT_EQ(h->relation, "merge");
  EXPECT_EQ(h->licence, "creativeml-openrail-m");
}

TEST(HfModelCard, ReadsBlockAndFlowListsAndSkipsNestedKeys) {
  auto block = parse_hf_model_card(
      "---\nmodel-index:\n  - name: x\n    results: []\nbase_model:\n  - a/one\n  - \"b/two\"  \n"
      "widget:\n- text: 'hi: there'\n---\n",
      "card");
  ASSERT_TRUE(block) << block.error().message();
  EXPECT_EQ(block->base_models, (std::vector<std::string>{"a/one", "b/two"}));
  EXPECT_TRUE(block->relation.empty());
  // Items at the key's own indentation, as many cards write them.
  auto flush = parse_hf_model_card("---\nbase_model:\n- a/one\n- b/two\ntags:\n- x\n---\n", "card");
  ASSERT_TRUE(flush) << flush.error().message();
  EXPECT_EQ(flush->base_models, (std::vector<std::string>{"a/one", "b/two"}));
  auto flow = parse_hf_model_card("---\r\nbase_model: [a/one, 'b/two']\r\n---\r\n", "card");
  ASSERT_TRUE(flow) << flow.error().message();
  EXPECT_EQ(flow->base_models, (std::vector<std::string>{"a/one", "b/two"}));
  auto none = parse_hf_model_card("---\nlicense: mit\n---\n", "card");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->base_models.empty());
}

TEST(HfModelCard, RefusesMalformedFrontMatterNamingTheLine) {
  const std::pair<const char*, const char*> bad[] = {
      {"# no front matter\n", "no YAML front matter"},
      {"---\nbase_model: a/b\n", "no closing ---"},
      {"---\nbase_model: a/b\nbase_model_relation: distilled\n---\n", "line 3"},
      {"---\nbase_model: [a/b, c\n---\n", "malformed [list]"},
      {"---\nbase_model: \"a/b\n---\n", "not a model id"},
      {"---\njust text\n---\n", "expected `key: value`"},
      {"---\nbase_model:\n  oops: 1\n---\n", "list item"},
      {"---\nbase_model_relation: merge\n---\n", "without base_model"},
      {"---\nbase_model: a/b\nbase_model: c/d\n---\n", "twice"},
      {"---\nbase_model:\n\t- a/b\n---\n", "tab"},
  };
  for (const auto& [text, why] : bad) {
    auto h = parse_hf_model_card(text, "README.md");
    ASSERT_FALSE(h) << text;
    EXPECT_EQ(h.error().code(), ErrorCode::k_corruption);
    EXPECT_NE(h.error().message().find(why), std::string::npos) << h.error().message();
    EXPECT_NE(h.error().message().find("README.md"), std::string::npos);
  }
}

}  // namespace
}  // namespace pedigree::hints
