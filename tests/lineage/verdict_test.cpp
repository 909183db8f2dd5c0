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
  // +0.3 NAI is a path to NAI; -0.3 NAIsfw is a subtracted term, not a path.
  ASSERT_EQ(v.ancestry.paths.size(), 1u);
  EXPECT_EQ(v.ancestry.paths[0].steps.back().sha256, sha_of("NAI"));
  ASSERT_EQ(v.ancestry.subtracted_paths.size(), 1u);
  EXPECT_EQ(v.ancestry.subtracted_paths[0].steps.back().sha256, sha_of("NAIsfw"));
  ASSERT_TRUE(v.declared_share);
  EXPECT_NEAR(v.declared_share->estimate, 0.0, 1e-12);  // net share cancels, presence does not
  std::size_t declared_paths = 0, subtracted = 0;
  for (const auto& e : v.evidence) {
    if (e.summary.starts_with("declared path to")) ++declared_paths;
    if (e.summary.starts_with("subtracted term")) {
      ++subtracted;
      EXPECT_FALSE(e.counts);
      EXPECT_FALSE(e.says_nai);
    }
  }
  EXPECT_EQ(declared_paths, 1u);
  EXPECT_EQ(subtracted, 1u);
}

// A lineage parent with 26 block weights (BASE, IN00-IN11, M00, OUT00-OUT11).
nlohmann::json block_parent(const std::string& label, const std::string& relation,
                            const std::vector<double>& blocks) {
  nlohmann::json list = nlohmann::json::array();
  for (double w : blocks) list.push_back(std::to_string(w));
  return {{"digest", {{"sha256", sha_of(label)}}},
          {"name", label},
          {"relation", relation},
          {"block_weights", list}};
}

void block_lineage(FactBuilder& b, const std::string& child, const nlohmann::json& parents) {
  b.add("lineage", child, {{"parents", parents}, {"method", "test"}, {"basis", "author-statement"}},
        true);
}

nlohmann::json weight_parent(const std::string& label, const std::string& relation,
                             const std::string& weight) {
  return {{"digest", {{"sha256", sha_of(label)}}},
          {"name", label},
          {"relation", relation},
          {"weight", weight}};
}

TEST(Verdict, BlockWeightsArePerBlockAndParameterWeighted) {
  // NAI only in the middle block: the share is M00's part of the UNet's parameters.
  auto b = references();
  std::vector<double> nai(26, 0.0), sd(26, 1.0);
  nai[13] = 1.0;  // M00
  sd[13] = 0.0;
  block_lineage(b, "mid", {block_parent("NAI", "merge", nai), block_parent("SD14", "merge", sd)});
  Verdict v = check(b, "mid");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  double total = 0;
  for (double p : k_sd1_unet_block_params) total += p;
  EXPECT_DOUBLE_EQ(total, 859520964.0);  // the published SD1 UNet size
  ASSERT_TRUE(v.declared_share) << "block weights were ignored";
  EXPECT_NEAR(v.declared_share->estimate, k_sd1_unet_block_params[13] / total, 1e-12);
  ASSERT_EQ(v.ancestry.paths.size(), 1u);
  ASSERT_TRUE(v.ancestry.paths[0].product);
  EXPECT_NEAR(*v.ancestry.paths[0].product, k_sd1_unet_block_params[13] / total, 1e-12);
}

TEST(Verdict, NestedBlockWeightsMultiplyBlockByBlock) {
  // Two block-weighted merges that keep NAI in disjoint blocks leave no NAI:
  // the per-block product is 0 everywhere although each mean is positive.
  auto b = references();
  std::vector<double> in_only(26, 0.0), rest(26, 1.0);
  for (int k = 1; k <= 12; ++k) in_only[k] = 1.0, rest[k] = 0.0;
  block_lineage(b, "inner",
                {block_parent("NAI", "merge", in_only), block_parent("SD14", "merge", rest)});
  block_lineage(b, "outer",
                {block_parent("inner", "merge", rest), block_parent("SD14", "merge", in_only)});
  Verdict v = check(b, "outer");
  ASSERT_TRUE(v.declared_share);
  EXPECT_NEAR(v.declared_share->estimate, 0.0, 1e-12);
  ASSERT_EQ(v.ancestry.paths.size(), 1u);  // the chain is still declared
  EXPECT_NEAR(*v.ancestry.paths[0].product, 0.0, 1e-12);
}

TEST(Verdict, Aom3RecipeHasTwoPathsTwoSubtractedTermsAndADeclaredShare) {
  // AOM3 (OrangeMixs README): temp01 = AOM2sfw + BW (NAI full - NAI sfw);
  // AOM3 = temp01 + BW (Gape60 - NAI full); Gape60 is a NAI finetune.
  auto b = references();
  b.model("NAIsfw", "nai-leak", "2022-10-06");
  b.lineage("gape", {{"NAI", "finetune", ""}});
  b.lineage("sfw", {{"SD14", "merge", "1"}});
  std::vector<double> plus(26, 0.0), minus(26, 0.0);
  for (int k : {1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}) {
    plus[k] = 0.5;
    minus[k] = -0.5;
  }
  block_lineage(b, "temp01",
                {weight_parent("sfw", "merge", "1"), block_parent("NAI", "add-difference", plus),
                 block_parent("NAIsfw", "add-difference", minus)});
  block_lineage(
      b, "aom3",
      {weight_parent("temp01", "merge", "1"), block_parent("gape", "add-difference", plus),
       block_parent("NAI", "add-difference", minus)});
  Verdict v = check(b, "aom3");
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  EXPECT_EQ(v.ancestry.paths.size(), 2u);  // via temp01 to NAI, via Gape60 to NAI
  for (const auto& p : v.ancestry.paths) {
    ASSERT_TRUE(p.product) << "a block-weighted step was taken as undeclared";
    EXPECT_GT(*p.product, 0);
  }
  EXPECT_EQ(v.ancestry.subtracted_paths.size(), 2u);  // - NAI sfw in temp01, - NAI full in AOM3
  for (const auto& p : v.ancestry.subtracted_paths) EXPECT_LT(*p.product, 0);
  ASSERT_TRUE(v.declared_share);  // every weight is declared (block by block)
  EXPECT_NEAR(v.declared_share->estimate, 0.0, 1e-12);
}

TEST(Verdict, OnlySubtractedNaiIsNeverCleanByAncestry) {
  auto b = references();
  b.lineage("x", {{"SD14", "merge", "1"},
                  {"NAI", "add-difference", "-0.2"},
                  {"SD14", "add-difference", "0.2"}});
  Verdict v = check(b, "x");
  EXPECT_TRUE(v.ancestry.paths.empty());
  EXPECT_EQ(v.ancestry.subtracted_paths.size(), 1u);
  EXPECT_NE(v.verdict, VerdictClass::k_no_nai_found);
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

// Every dating argument says what the dates are: SD1.4 predates the leak,
// SD1.5 (2022-10-20) does not, and a month alone is not "before" a day in it.
TEST(Verdict, BaseIdentityWordingFollowsTheDates) {
  auto b = references();
  b.model("SD15", "base", "2022-10-20");
  b.model("SDmonth", "base", "2022-10");
  b.model("SDundated", "base");
  b.facts().finalize();
  auto base_text = [&](const std::string& label) {
    lineage::CheckInput in;
    in.target.input = label;
    in.target.kind = "hash";
    in.target.sha256 = sha_of(label);
    Verdict v = decide(b.facts(), in);
    EXPECT_EQ(v.verdict, VerdictClass::k_no_nai_found) << label;
    for (const auto& e : v.evidence)
      if (e.kind == "identity") return e.summary;
    return std::string();
  };
  std::string sd14 = base_text("SD14");
  EXPECT_NE(sd14.find("published 2022-08-22, before the NAI leak of 2022-10-06"), std::string::npos)
      << sd14;
  std::string sd15 = base_text("SD15");
  EXPECT_EQ(sd15.find("postdates"), std::string::npos) << sd15;
  EXPECT_EQ(sd15.find("before the NAI leak"), std::string::npos) << sd15;
  EXPECT_NE(sd15.find("published 2022-10-20, after the NAI leak of 2022-10-06"), std::string::npos)
      << sd15;
  EXPECT_NE(sd15.find("trusted role"), std::string::npos) << sd15;
  std::string month = base_text("SDmonth");
  EXPECT_NE(month.find("not surely before the NAI leak"), std::string::npos) << month;
  std::string undated = base_text("SDundated");
  EXPECT_NE(undated.find("publication date is unknown"), std::string::npos) << undated;
}

TEST(Verdict, PublishedBeforeReleaseWordingAndMonthPrecision) {
  auto b = references();
  b.model("old", "", "2023-03-01");
  b.claim("old", "yes");
  Verdict v = check(b, "old");
  EXPECT_NE(v.summary.find("published (2023-03-01) before the official release"), std::string::npos)
      << v.summary;
  // "2024-08" may be after 2024-08-20: not a proof of the leak.
  auto c = references();
  c.model("august", "", "2024-08");
  c.claim("august", "yes");
  Verdict a = check(c, "august");
  EXPECT_EQ(a.verdict, VerdictClass::k_nai);
  EXPECT_NE(a.licence_note.find("2024-08-20 or later"), std::string::npos) << a.licence_note;
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
  in.fingerprint.emplace();
  in.fingerprint->share = {0.3, 0.25, 0.35};
  in.fingerprint->nai_detected = true;
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
  Resolution r = *resolve(b.facts(), "925997E9");
  EXPECT_TRUE(r.weak);
  ASSERT_EQ(r.candidates.size(), 2u);
  Resolution full = *resolve(b.facts(), "SHA256:" + sha_of("NAI"));
  ASSERT_EQ(full.candidates.size(), 1u);
  EXPECT_FALSE(full.weak);
  Resolution v2 = *resolve(b.facts(), "AutoV2:" + sha_of("NAI").substr(0, 10));
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
  Resolution r = *resolve(b.facts(), "0123456789");
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
