// check_target over an in-memory FactSource: pictures made by
// tools/make-image-fixtures, pasted hashes, and the JSON form of the report.
#include "pedigree/lineage/check.hpp"

#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"
#include "pedigree/lineage/verdict_json.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::lineage {
namespace {

using testing::FactBuilder;
using testing::sha_of;

TEST(Check, ImageNamingTheLeakByAutoV2IsNaiLeak) {
  FactBuilder b;
  b.model("animefull-final-pruned", "nai-leak", "2022-10-06");
  b.facts().finalize();
  testing::TempDir dir;
  std::string autov2 = sha_of("animefull-final-pruned").substr(0, 10);
  auto r = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                "/tools/make-image-fixtures " + dir.path().string() +
                                " --model-hash " + autov2 + " --model-name whatever");
  ASSERT_EQ(r.exit_code, 0);
  MemorySource source(b.facts());
  for (const char* name : {"a1111_text.png", "a1111.jpg", "a1111.webp"}) {
    auto report = check_target(source, (dir / name).string());
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->kind, "image");
    EXPECT_EQ(report->verdict.verdict, VerdictClass::k_nai_leak) << name;
    auto j = to_json(*report);
    EXPECT_EQ(j["verdict"], "nai-leak");
    EXPECT_EQ(j["candidates"][0]["matched_by"], "autov2");
    EXPECT_EQ(j["image"]["models"][0]["hash"], autov2);
    for (const char* key : {"confidence", "nai_share", "paths", "evidence", "target"})
      EXPECT_TRUE(j.contains(key)) << key;
  }
  auto plain = check_target(source, (dir / "plain.png").string());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->verdict.verdict, VerdictClass::k_unknown);
}

TEST(Check, ComfyCheckpointNameResolvesByName) {
  FactBuilder b;
  b.model("NAI", "nai-leak", "2022-10-06");
  b.model("mymix", "", "2023-01-05");
  b.lineage("mymix", {{"NAI", "merge", "0.25"}, {"SD14", "merge", "0.75"}});
  b.facts().finalize();
  testing::TempDir dir;
  auto r = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                "/tools/make-image-fixtures " + dir.path().string() +
                                " --model-name mymix");
  ASSERT_EQ(r.exit_code, 0);
  MemorySource source(b.facts());
  auto report = check_target(source, (dir / "comfyui.png").string());
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->candidates.size(), 1u);  // mymix.safetensors; other-model.ckpt is unknown
  EXPECT_EQ(report->verdict.verdict, VerdictClass::k_nai_leak);
  ASSERT_TRUE(report->verdict.declared_share);
  EXPECT_NEAR(report->verdict.declared_share->estimate, 0.25, 1e-12);
}

TEST(Check, ModelFileIsHashedAndLookedUpBySha256) {
  testing::TempDir dir;
  testing::write_text(dir / "m.bin", "not a checkpoint, still a file");
  auto sha = testing::run_command("sha256sum " + (dir / "m.bin").string() + " | cut -c1-64");
  ASSERT_EQ(sha.exit_code, 0);
  std::string expected = sha.output.substr(0, 64);
  FactBuilder b;
  b.model("SD14", "base");
  b.facts().finalize();
  MemorySource source(b.facts());
  auto report = check_target(source, (dir / "m.bin").string());
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->identity.sha256, expected);
  EXPECT_EQ(report->verdict.verdict, VerdictClass::k_unknown);
  auto missing = check_target(source, (dir / "nope.bin").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::k_not_found);
}

}  // namespace
}  // namespace pedigree::lineage
