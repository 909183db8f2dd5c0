// AUTOMATIC1111's cache.json (folder/a1111_cache.hpp): the SHA-256 it stored
// is used only for the checkpoint it names and only while the file's mtime is
// the one A1111 saw; anything else in the file is ignored or refused.
#include "pedigree/folder/a1111_cache.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "support/ledger_support.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

const std::string k_sha = "6109a997aeea3fb263cd1231a21d556efa898f5806928d6f5137d96197b5d3ce";

std::string mtime_text(const FileStat& stat) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(stat.mtime_ns) / 1e9);
  return buf;
}

TEST(A1111Cache, GivesTheStoredHashWhileTheFileIsUnchanged) {
  TempDir dir;
  const fs::path model = dir / "models" / "Stable-diffusion" / "sub" / "m.safetensors";
  write_text(model, "weights");
  auto stat = stat_file(model);
  ASSERT_TRUE(stat);
  std::string upper = k_sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  write_text(dir / "cache.json", R"({"hashes": {"checkpoint/sub/m.safetensors": {"mtime": )" +
                                     mtime_text(*stat) + R"(, "sha256": ")" + upper +
                                     R"("}, "lora/m.safetensors": {"mtime": 1, "sha256": ")" +
                                     k_sha + R"("}}})");
  auto cache = A1111Cache::load(dir.path());
  ASSERT_TRUE(cache) << cache.error().message();
  EXPECT_EQ(cache->size(), 1u);                       // the LoRA entry is not a checkpoint's
  EXPECT_EQ(cache->sha256_for(model, *stat), k_sha);  // stored upper-case, given lower-case

  FileStat touched = *stat;
  touched.mtime_ns += 2000;  // 2 us later: the file may have changed since A1111 hashed it
  EXPECT_FALSE(cache->sha256_for(model, touched));
  EXPECT_FALSE(cache->sha256_for(dir / "models" / "Stable-diffusion" / "other.ckpt", *stat));
}

TEST(A1111Cache, AMissingFileIsAnEmptyCache) {
  TempDir dir;
  auto cache = A1111Cache::load(dir.path());
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->size(), 0u);
}

TEST(A1111Cache, UnfinishedOrOddEntriesAreSkippedAndBrokenFilesRefused) {
  auto odd = A1111Cache::parse(R"({"hashes": {
      "checkpoint/a.ckpt": {"mtime": 1},
      "checkpoint/b.ckpt": {"mtime": 1, "sha256": "abc"},
      "checkpoint/c.ckpt": {"mtime": "1", "sha256": ")" +
                                   k_sha + R"("},
      "checkpoint/e.ckpt": 7}})",
                               "/install", "cache.json");
  ASSERT_TRUE(odd) << odd.error().message();
  EXPECT_EQ(odd->size(), 0u);

  // nlohmann/json refuses a number out of a double's range (1e999) as it parses.
  for (const std::string text : {"[]", "{\"hashes\": []}", "not json", "",
                                 "{\"hashes\": {\"checkpoint/d\": {\"mtime\": 1e999}}}"}) {
    auto r = A1111Cache::parse(text, "/install", "cache.json");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), ErrorCode::k_corruption);
    EXPECT_TRUE(r.error().message().starts_with("cache.json: ")) << r.error().message();
  }
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto nested = A1111Cache::parse("{\"hashes\": " + deep + "}", "/install", "cache.json");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message().find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace pedigree::folder
