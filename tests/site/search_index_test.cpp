// The static site's search index (src/pedigree/site/search_index.cpp): which
// entries a model page yields, and how they are sorted, merged and sharded so
// that a prefix query finds every match from the manifest and a few shards.
#include "pedigree/site/search_index.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pedigree::site {
namespace {

using nlohmann::json;

json page(const std::string& sha, const std::string& name, const json& models) {
  return {{"sha256", sha}, {"name", name}, {"models", models}};
}

json model(const std::string& title, const std::string& file, const json& hashes,
           const std::string& status) {
  return {
      {"title", title}, {"file_name", file}, {"hashes", hashes}, {"from", {{"status", status}}}};
}

const std::string k_sha_a(64, 'a');
const std::string k_sha_b(64, 'b');

TEST(SiteSearchIndex, PageYieldsNamesHashesAndItsSha256) {
  std::vector<SearchEntry> names, hashes;
  add_page_entries(
      page(k_sha_a, "Anything V3",
           json::array({model("Anything V3", "Anything-V3.0.ckpt",
                              {{"autov1", "6569E224"}, {"sha256", k_sha_a}}, "trusted"),
                        model("", "", json::object(), "untrusted")})),
      names, hashes);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].key, "anything v3");
  EXPECT_EQ(names[0].name, "Anything V3");
  EXPECT_EQ(names[1].key, "anything-v3.0.ckpt");
  EXPECT_TRUE(names[1].trusted);
  ASSERT_EQ(hashes.size(), 3u);
  EXPECT_EQ(hashes[0].key, "6569e224");  // lower-cased, as queries are
  EXPECT_EQ(hashes[0].matched_by, "autov1");
  EXPECT_EQ(hashes[2].key, k_sha_a);
  EXPECT_EQ(hashes[2].matched_by, "sha256");
  EXPECT_TRUE(hashes[2].trusted);  // a trusted model event is about it
}

TEST(SiteSearchIndex, UntrustedStatementsAreSearchableButMarked) {
  std::vector<SearchEntry> names, hashes;
  add_page_entries(
      page(k_sha_b, "mine", json::array({model("Mine", "", json::object(), "untrusted")})), names,
      hashes);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_FALSE(names[0].trusted);
  ASSERT_EQ(hashes.size(), 1u);
  EXPECT_FALSE(hashes[0].trusted);
}

TEST(SiteSearchIndex, DuplicatesMergeAndTrustWins) {
  std::vector<SearchEntry> entries = {{"x", k_sha_a, "X", "name-prefix", false},
                                      {"x", k_sha_a, "X", "name-prefix", true},
                                      {"x", k_sha_b, "X", "name-prefix", false}};
  auto files = shard_entries(entries, "names", 10);
  ASSERT_EQ(files.size(), 2u);  // one shard and the manifest
  auto shard = json::parse(files[0].body);
  ASSERT_EQ(shard["entries"].size(), 2u);
  EXPECT_EQ(shard["entries"][0], json::array({"x", k_sha_a, "X", "name-prefix", true}));
  EXPECT_EQ(shard["entries"][1][1], k_sha_b);
}

TEST(SiteSearchIndex, ShardsAreSortedCutAndListedInTheManifest) {
  std::vector<SearchEntry> entries;
  for (int i = 24; i >= 0; --i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%02d", i);
    entries.push_back({key, k_sha_a, key, "name-prefix", false});
  }
  auto files = shard_entries(entries, "names", 10);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].path, "search/names/00000.json");
  EXPECT_EQ(files[2].path, "search/names/00002.json");
  EXPECT_EQ(files[3].path, "search/names.json");
  auto manifest = json::parse(files[3].body);
  EXPECT_EQ(manifest["schema"], "pedigree-site-search/1");
  EXPECT_EQ(manifest["entries"], 25);
  ASSERT_EQ(manifest["shards"].size(), 3u);
  EXPECT_EQ(manifest["shards"][1], json({{"first", "k10"}, {"file", "names/00001.json"}}));
  // Every key of a shard is at least its first key and below the next shard's.
  for (std::size_t s = 0; s < 3; ++s) {
    auto shard = json::parse(files[s].body);
    EXPECT_EQ(shard["entries"].size(), s < 2 ? 10u : 5u);
    std::string previous;
    for (const auto& e : shard["entries"]) {
      const std::string key = e[0];
      EXPECT_GE(key, manifest["shards"][s]["first"].get<std::string>());
      if (s + 1 < 3) {
        EXPECT_LT(key, manifest["shards"][s + 1]["first"].get<std::string>());
      }
      EXPECT_GT(key, previous);
      previous = key;
    }
  }
}

TEST(SiteSearchIndex, KeysSortAsUtf8Bytes) {
  // The page compares keys as UTF-8 bytes: "é" (C3 A9) sorts after "z".
  std::vector<SearchEntry> entries = {{"\xc3\xa9t\xc3\xa9", k_sha_a, "été", "name-prefix", false},
                                      {"zeta", k_sha_b, "zeta", "name-prefix", false}};
  auto shard = json::parse(shard_entries(entries, "names", 10)[0].body);
  EXPECT_EQ(shard["entries"][0][0], "zeta");
}

TEST(SiteSearchIndex, NoEntriesGiveAnEmptyManifest) {
  auto files = shard_entries({}, "hashes");
  ASSERT_EQ(files.size(), 1u);
  auto manifest = json::parse(files[0].body);
  EXPECT_EQ(manifest["entries"], 0);
  EXPECT_TRUE(manifest["shards"].empty());
}

}  // namespace
}  // namespace pedigree::site
