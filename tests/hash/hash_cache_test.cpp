#include "pedigree/hash/hash_cache.hpp"

#include <gtest/gtest.h>

#include "hash/testing.hpp"

namespace pedigree::hash {
namespace {

using pedigree::testing::TempDir;

ModelHashes sample(unsigned computed) {
  ModelHashes h;
  h.file = "m.safetensors";
  h.size = 42;
  h.computed = computed;
  if (computed & k_set_sha256) {
    h.sha256 = "sha";
    h.autov2 = "autov2";
  }
  if (computed & k_set_weights) {
    h.weights = "weights";
    h.components.emplace(std::string("unet"), std::string("c"));
  }
  return h;
}

FileStat stat_of(std::uint64_t size, std::int64_t mtime, std::uint64_t inode) {
  FileStat st;
  st.size = size;
  st.mtime_ns = mtime;
  st.inode = inode;
  st.device = 7;
  st.is_regular = true;
  return st;
}

TEST(HashCache, RoundTripsThroughItsFileAndChecksTheFileIdentity) {
  TempDir dir;
  const auto path = dir / "sub" / "hashes.json";
  auto cache = HashCache::load(path);  // missing: empty
  cache.put("/m", stat_of(42, 1000, 5), sample(k_set_sha256 | k_set_weights));
  ASSERT_TRUE(cache.save());
  auto again = HashCache::load(path);
  auto hit = again.find("/m", stat_of(42, 1000, 5), k_set_sha256);
  ASSERT_TRUE(hit);
  EXPECT_EQ(to_json(*hit), to_json(sample(k_set_sha256 | k_set_weights)));
  EXPECT_FALSE(again.find("/m", stat_of(43, 1000, 5), k_set_sha256));  // size changed
  EXPECT_FALSE(again.find("/m", stat_of(42, 1001, 5), k_set_sha256));  // mtime changed
  EXPECT_FALSE(again.find("/m", stat_of(42, 1000, 6), k_set_sha256));  // replaced file
  EXPECT_FALSE(again.find("/other", stat_of(42, 1000, 5), k_set_sha256));
  EXPECT_FALSE(again.find("/m", stat_of(42, 1000, 5), k_set_blake3));  // never computed
}

TEST(HashCache, MergesSetsComputedAtDifferentTimes) {
  TempDir dir;
  auto cache = HashCache::load(dir / "c.json");
  cache.put("/m", stat_of(1, 2, 3), sample(k_set_sha256));
  cache.put("/m", stat_of(1, 2, 3), sample(k_set_weights));
  auto hit = cache.find("/m", stat_of(1, 2, 3), k_set_sha256 | k_set_weights);
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->sha256 && hit->weights);
}

TEST(HashCache, CorruptCacheIsIgnoredAndRewritten) {
  TempDir dir;
  for (const std::string junk : {"{not json", "[]", R"({"version":1,"entries":{"/m":{"stat":1}}})",
                                 R"({"version":1,"entries":{"/m":{"stat":{"size":1,"mtime_ns":2,
                                 "inode":3,"device":7},"hashes":{"file":5}}}})"}) {
    pedigree::testing::write_bytes(dir / "c.json",
                                   std::vector<std::uint8_t>(junk.begin(), junk.end()));
    auto cache = HashCache::load(dir / "c.json");
    EXPECT_FALSE(cache.find("/m", stat_of(1, 2, 3), 0)) << junk;
    cache.put("/m", stat_of(1, 2, 3), sample(k_set_sha256));
    ASSERT_TRUE(cache.save());
    EXPECT_TRUE(HashCache::load(dir / "c.json").find("/m", stat_of(1, 2, 3), k_set_sha256));
  }
}

}  // namespace
}  // namespace pedigree::hash
