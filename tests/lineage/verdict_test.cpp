// The verdict engine on in-memory facts: shares, paths, trust, cycles, dating.
#include "pedigree/lineage/verdict.hpp"

#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"
#include "pedigree/lineage/resolve.hpp"

namespace pedigree::lineage {
namespace {

using testing::FactBuilder;
using testing::sha_of;

// NAI (leak) and SD1.4 (base) references, as the bundled ledger has them.
FactBuilder references() {
  FactBuilder b;
  b.model("NAI", "nai-leak", "2022-10-06", true, {{"autov1", "925997e9"}});
  b.model("SD14", "base", "2022-08-22", true, {{"autov1", "7460a6fa"}});
  b.model("NAI-official", "nai-official", "2024-08-20");
  return b;
}

Verdict check(FactBuilder& b, const std::string& label) {
  return testing::decide_label(b, label);
}

TEST(Verdict, ChainMultipliesWeightsAlongThePath) {
  auto b = references();
  b.lineage("A", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  b.lineage("B", {{"A", "merge", "0.4"}, {"SD14", "merge", "0.6"}});
  b.lineage("C", {{"B", "merge", "0.3"}, {"SD14", "merge", "0.7"}});
  Verdict v = check(b, "C");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  ASSERT_EQ(v.ancestry.paths.size(), 1u);
  EXPECT_EQ(v.ancestry.paths[0].steps.size(), 4u);  // C, B, A, NAI
  ASSERT_TRUE(v.declared_share);
  EXPECT_NEAR(v.declared_share->estimate, 0.5 * 0.4 * 0.3, 1e-12);
  EXPECT_TRUE(v.ancestry.complete);
  EXPECT_GE(v.confidence, 0.9);
}

TEST(Verdict, AddDifferenceKeepsSigns) {
  // AOM2_nsfw = AOM2_sfw + 0.3 (NAI - NAIsfw): NAI enters with +0.3, NAIsfw with -0.3.
  auto b = references();
  b.model("NAIsfw", "nai-leak", "2022-10-06");
  b.lineage("sfw", {{"SD14", "merge", "1"}});
  b.lineage("nsfw", {{"sfw", "merge", "1"},
                     {"NAI", "add-difference", "0.3"},
                     {"NAIsfw", "add-difference", "-0.3"}});
  Verdict v = check(b, "nsfw");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_EQ(v.ancestry.paths.size(), 2u);
  ASSERT_TRUE(v.declared_share);
  EXPECT_NEAR(v.declared_share->estimate, 0.0, 1e-12);  // net share cancels, presence does not
}

TEST(Verdict, DiamondSumsBothPaths) {
  auto b = references();
  b.lineage("L", {{"NAI", "merge", "0.6"}, {"SD14", "merge", "0.4"}});
  b.lineage("R", {{"NAI", "merge", "0.2"}, {"SD14", "merge", "0.8"}});
  b.lineage("D", {{"L", "merge", "0.5"}, {"R", "merge", "0.5"}});
  Verdict v = check(b, "D");
  EXPECT_EQ(v.ancestry.paths.size(), 2u);
  EXPECT_NEAR(v.declared_share->estimate, 0.5 * 0.6 + 0.5 * 0.2, 1e-12);
}

TEST(Verdict, CycleIsRefusedAndReported) {
  auto b = references();
  b.lineage("X", {{"Y", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  b.lineage("Y", {{"X", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  Verdict v = check(b, "X");
  ASSERT_EQ(v.ancestry.cycles.size(), 1u);
  EXPECT_FALSE(v.ancestry.complete);
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);  // a cycle never proves "clean"
}

TEST(Verdict, UntrustedEventsAreShownButNeverCount) {
  auto b = references();
  b.lineage("U", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}}, /*trusted=*/false, "k9");
  Verdict v = check(b, "U");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  EXPECT_EQ(v.ancestry.paths.size(), 0u);
  EXPECT_EQ(v.ancestry.ignored_paths.size(), 1u);
  bool shown = false;
  for (const auto& e : v.evidence) shown = shown || (!e.counts && e.says_nai);
  EXPECT_TRUE(shown);
}

TEST(Verdict, IgnoringAnEventNeverTurnsNaiIntoClean) {
  // A trusted recipe says SD14 only; an untrusted one says NAI: the answer is unknown, not clean.
  auto b = references();
  b.lineage("M", {{"SD14", "finetune", ""}});
  b.lineage("M", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}}, false, "k9");
  Verdict v = check(b, "M");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  // With both trusted, NAI is found and the recipes conflict.
  auto c = references();
  c.lineage("M", {{"SD14", "finetune", ""}});
  c.lineage("M", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}}, true, "k2");
  Verdict w = check(c, "M");
  EXPECT_EQ(w.verdict, VerdictClass::k_nai_leak);
  ASSERT_EQ(w.ancestry.conflicts.size(), 1u);
  EXPECT_NEAR(w.declared_share->low, 0.0, 1e-12);
  EXPECT_NEAR(w.declared_share->high, 0.5, 1e-12);
}

TEST(Verdict, RevokedEventIsIgnored) {
  auto b = references();
  std::string id = b.lineage("R", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  b.revoke("R", id);
  Verdict v = check(b, "R");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  EXPECT_EQ(v.ancestry.ignored_paths.size(), 1u);
  EXPECT_EQ(b.facts().revoked().count(id), 1u);
}

TEST(Verdict, RevocationBySomeoneElseDoesNotCount) {
  auto b = references();
  std::string id = b.lineage("R", {{"NAI", "merge", "0.5"}, {"SD14", "merge", "0.5"}});
  b.revoke("R", id, "k-other");
  Verdict v = check(b, "R");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
}

TEST(Verdict, CompleteAncestryToBasesIsNoNaiFound) {
  auto b = references();
  b.lineage("clean", {{"SD14", "finetune", ""}});
  Verdict v = check(b, "clean");
  EXPECT_EQ(v.verdict, VerdictClass::k_no_nai_found);
  EXPECT_NEAR(v.declared_share->estimate, 0.0, 1e-12);
}

TEST(Verdict, UnknownRootMakesAncestryIncomplete) {
  auto b = references();
  b.lineage("half", {{"SD14", "merge", "0.5"}, {"mystery", "merge", "0.5"}});
  Verdict v = check(b, "half");
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  ASSERT_EQ(v.ancestry.unknown_roots.size(), 1u);
  EXPECT_EQ(v.ancestry.unknown_roots[0], sha_of("mystery"));
}

TEST(Verdict, DatingBeforeReleaseMeansLeak) {
  auto b = references();
  b.model("old", "", "2023-03-01");
  b.claim("old", "yes");
  EXPECT_EQ(check(b, "old").verdict, VerdictClass::k_nai_leak);
  auto c = references();
  c.model("new", "", "2025-01-01");
  c.claim("new", "yes");
  Verdict v = check(c, "new");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai);
  EXPECT_NE(v.licence_note.find("CC BY-NC-SA 4.0"), std::string::npos);
}

TEST(Verdict, OfficialReleaseParentBindsItsLicence) {
  auto b = references();
  b.model("child", "", "2025-02-01");
  b.lineage("child", {{"NAI-official", "merge", "0.3"}, {"SD14", "merge", "0.7"}});
  Verdict v = check(b, "child");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_official);
  EXPECT_NE(v.licence_note.find("non-commercial"), std::string::npos);
}

TEST(Verdict, IdentityWithTheLeakIsDecisive) {
  auto b = references();
  Verdict v = check(b, "NAI");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_GE(v.confidence, 0.99);
}

TEST(Verdict, FingerprintOnlyEvidenceAndDisagreement) {
  auto b = references();
  b.facts().finalize();
  CheckInput in;
  in.target.kind = "file";
  in.target.sha256 = sha_of("fp-only");
  in.fingerprint = FingerprintResult{{0.3, 0.25, 0.35}, true, ""};
  Verdict v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_nai);
  ASSERT_TRUE(v.fingerprint_share);

  auto c = references();
  c.lineage("d", {{"NAI", "merge", "0.8"}, {"SD14", "merge", "0.2"}});
  c.facts().finalize();
  in.target.sha256 = sha_of("d");
  Verdict w = decide(c.facts(), in);
  EXPECT_TRUE(w.shares_disagree);
}

TEST(Verdict, WeakAutoV1MatchIsCappedAndCollisionsListed) {
  auto b = references();
  b.model("other", "", "", true, {{"autov1", "925997e9"}});  // a collision
  b.facts().finalize();
  Resolution r = resolve(b.facts(), "925997E9");
  EXPECT_TRUE(r.weak);
  ASSERT_EQ(r.candidates.size(), 2u);
  Resolution full = resolve(b.facts(), "SHA256:" + sha_of("NAI"));
  ASSERT_EQ(full.candidates.size(), 1u);
  EXPECT_FALSE(full.weak);
  Resolution v2 = resolve(b.facts(), "AutoV2:" + sha_of("NAI").substr(0, 10));
  ASSERT_EQ(v2.candidates.size(), 1u);
  EXPECT_EQ(v2.candidates[0].matched_by, "autov2");
  CheckInput in;
  in.target.sha256 = sha_of("NAI");
  in.target.weak_match = true;
  in.target.matched_by = "autov1";
  Verdict v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_LE(v.confidence, 0.4);
}

TEST(Verdict, UnknownHashIsUnknownWithAWayToContribute) {
  auto b = references();
  b.facts().finalize();
  Resolution r = resolve(b.facts(), "0123456789");
  EXPECT_TRUE(r.candidates.empty());
  CheckInput in;
  in.target.input = "0123456789";
  Verdict v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  ASSERT_FALSE(v.next_steps.empty());
  EXPECT_NE(v.next_steps[0].find("attest"), std::string::npos);
}

}  // namespace
}  // namespace pedigree::lineage
