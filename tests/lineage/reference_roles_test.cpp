// Reference roles count only from signers trusted for references, and the
// verdict's components (docs/trust.md "References", docs/json/check.md).
#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"

namespace pedigree::lineage {
namespace {

using testing::decide_label;
using testing::FactBuilder;
using testing::sha_of;

bool ignored_role(const Verdict& v) {
  for (const auto& e : v.evidence)
    if (e.kind == "identity" && !e.counts &&
        e.summary.find("not trusted for references") != std::string::npos)
      return true;
  return false;
}

const ComponentFinding& component(const Verdict& v, const std::string& name) {
  for (const auto& c : v.components)
    if (c.component == name) return c;
  throw std::runtime_error("no component " + name);
}

TEST(ReferenceRoles, ABaseRoleFromASignerWithoutTheScopeIsIgnored) {
  FactBuilder b;
  b.without_reference("mallory");
  b.add("model", "merge", {{"title", "merge"}, {"role", "base"}, {"published", "2021-01-01"}}, true,
        "mallory");
  Verdict v = decide_label(b, "merge");
  EXPECT_EQ(b.facts().role_of(sha_of("merge")), Role::k_none);
  EXPECT_EQ(b.facts().published(sha_of("merge")), "2021-01-01");  // the event itself counts
  EXPECT_NE(v.verdict, VerdictClass::k_no_nai_found);
  EXPECT_TRUE(ignored_role(v));
  EXPECT_TRUE(v.references.empty());
}

TEST(ReferenceRoles, AnIgnoredNaiRoleStillKeepsTheVerdictFromClean) {
  FactBuilder b;
  b.without_reference("mallory");
  b.model("sd14", "base");
  b.add("model", "x", {{"title", "x"}, {"role", "nai-leak"}}, true, "mallory");
  b.lineage("x", {{"sd14", "finetune", ""}});
  Verdict v = decide_label(b, "x");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  EXPECT_TRUE(ignored_role(v));
}

TEST(ReferenceRoles, TheVerdictNamesWhoDefinedEachReference) {
  FactBuilder b;
  std::string base_event = b.model("sd14", "base", "2022-08-22");
  b.lineage("child", {{"sd14", "finetune", ""}});
  Verdict v = decide_label(b, "child");
  EXPECT_EQ(v.verdict, VerdictClass::k_no_nai_found);
  ASSERT_EQ(v.references.size(), 1u);
  EXPECT_EQ(v.references[0].sha256, sha_of("sd14"));
  EXPECT_EQ(v.references[0].role, Role::k_base);
  EXPECT_EQ(v.references[0].used_for, "lineage");
  EXPECT_EQ(v.references[0].event_id, base_event);
  EXPECT_EQ(v.references[0].signer, "k1");
}

TEST(ReferenceRoles, ALeakedVaeAloneIsNaiLeakAndSaysSo) {
  FactBuilder b;
  b.model("animevae", "nai-vae", "2022-10-06", true, {{"vae", "abc123"}});
  b.model("target");
  b.facts().finalize();
  CheckInput in;
  in.target.input = "target";
  in.target.kind = "hash";
  in.target.sha256 = sha_of("target");
  in.target.vae_hash = "abc123";
  Verdict v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_NE(v.summary.find("VAE only"), std::string::npos) << v.summary;
  EXPECT_EQ(component(v, "vae").nai, "yes");
  EXPECT_EQ(component(v, "unet").nai, "unknown");
  EXPECT_EQ(component(v, "text_encoder").nai, "no");
  // The same VAE hash from a signer without the reference scope proves nothing.
  FactBuilder c;
  c.without_reference("mallory");
  c.add("model", "animevae",
        {{"title", "animevae"}, {"role", "nai-vae"}, {"hashes", {{"vae", "abc123"}}}}, true,
        "mallory");
  c.model("target");
  c.facts().finalize();
  Verdict w = decide(c.facts(), in);
  EXPECT_NE(w.verdict, VerdictClass::k_nai_leak);
  EXPECT_EQ(component(w, "vae").nai, "unknown");
}

}  // namespace
}  // namespace pedigree::lineage
