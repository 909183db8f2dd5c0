// The three outcomes of fingerprint evidence (lineage/fingerprint_quality.hpp)
// and how the verdict uses them: only "absent" counts toward clean; an
// inconclusive estimate lists its reasons and a share significantly above 0
// keeps other clean evidence from giving `no-nai-found`.
#include "pedigree/lineage/fingerprint_quality.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "fingerprint/family.hpp"
#include "lineage/lineage_support.hpp"
#include "pedigree/lineage/fingerprint_policy.hpp"

namespace pedigree::lineage {
namespace {

using testing::FactBuilder;
using testing::sha_of;

// An estimate that passes every condition of "absent".
FingerprintResult clean_estimate() {
  FingerprintResult r;
  r.share = {0.001, 0.0, 0.01};
  r.coverage.unet_params = 1.0;
  r.max_block_delta = 0.05;
  r.fit_r2 = 0.3;
  return r;
}

std::vector<std::string> codes(const FingerprintResult& r) {
  std::vector<std::string> out;
  for (const auto& reason : r.reasons) out.push_back(reason.code);
  return out;
}

// A file checked whose fingerprint is clean_estimate() (not yet classified).
CheckInput file_with_clean_estimate() {
  CheckInput in;
  in.target.kind = "file";
  in.target.sha256 = sha_of("target");
  in.fingerprint = clean_estimate();
  return in;
}

TEST(FingerprintQuality, AbsentOnlyWhenEveryConditionHolds) {
  auto r = clean_estimate();
  classify(r);
  EXPECT_EQ(r.outcome, FingerprintOutcome::k_absent);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_EQ(r.detection_limit, policy::k_detection_limit);

  auto low_coverage = clean_estimate();
  low_coverage.coverage.unet_params = policy::k_min_unet_coverage - 0.001;
  classify(low_coverage);
  EXPECT_EQ(codes(low_coverage), std::vector<std::string>{"coverage"});

  auto far = clean_estimate();
  far.max_block_delta = policy::k_max_block_relative_delta * 1.5;
  classify(far);
  EXPECT_EQ(codes(far), std::vector<std::string>{"alignment"});

  auto wide = clean_estimate();
  wide.share.high = policy::k_detection_limit;  // the upper end must lie strictly below
  classify(wide);
  EXPECT_EQ(codes(wide), std::vector<std::string>{"interval"});

  auto ambiguous = clean_estimate();
  ambiguous.share = {0.02, 0.0194, 0.0207};  // the 2% merge: significant, under the presence rule
  classify(ambiguous);
  EXPECT_EQ(codes(ambiguous), std::vector<std::string>{"ambiguous-share"});

  auto present = clean_estimate();
  present.estimator_fired = true;
  present.coverage.unet_params = 0.1;  // what was read shows NAI: coverage does not matter
  classify(present);
  EXPECT_EQ(present.outcome, FingerprintOutcome::k_present);
}

// The presence rule firing on weights beyond the alignment bound is not evidence (it was
// calibrated on weights in their base's frame; held-out NAI-free fine-tunes with negated units
// read "present" at 13-19%): inconclusive for alignment, and the verdict is `unknown`, not
// `nai`. Once a confident re-alignment has put the weights in the base's frame, it counts.
TEST(FingerprintQuality, PresenceOnMisalignedWeightsIsNotEvidence) {
  auto b = FactBuilder();
  b.model("SD14", "base", "2022-08-22");
  b.facts().finalize();
  CheckInput in = file_with_clean_estimate();
  in.fingerprint->estimator_fired = true;
  in.fingerprint->share = {0.15, 0.0, 0.30};
  in.fingerprint->max_block_delta = policy::k_max_block_relative_delta * 1.2;
  classify(*in.fingerprint);
  EXPECT_EQ(in.fingerprint->outcome, FingerprintOutcome::k_inconclusive);
  EXPECT_FALSE(in.fingerprint->nai_detected);
  ASSERT_EQ(codes(*in.fingerprint), (std::vector<std::string>{"alignment", "interval"}));
  EXPECT_NE(in.fingerprint->reasons[0].detail.find("presence rule fired"), std::string::npos)
      << in.fingerprint->reasons[0].detail;
  EXPECT_EQ(decide(b.facts(), in).verdict, VerdictClass::k_unknown);

  // Re-aligned, but not confidently: still not evidence.
  in.fingerprint->realigned = UnitRealignment{};
  in.fingerprint->realigned->confident = false;
  classify(*in.fingerprint);
  EXPECT_EQ(in.fingerprint->outcome, FingerprintOutcome::k_inconclusive);

  // Confidently re-aligned (every unit matched): the rest is the weights' own change.
  in.fingerprint->realigned->confident = true;
  classify(*in.fingerprint);
  EXPECT_EQ(in.fingerprint->outcome, FingerprintOutcome::k_present);
  EXPECT_TRUE(in.fingerprint->nai_detected);
  const VerdictClass now = decide(b.facts(), in).verdict;
  EXPECT_TRUE(now == VerdictClass::k_nai || now == VerdictClass::k_nai_leak ||
              now == VerdictClass::k_nai_official);

  // And "absent" still needs the bound, re-aligned or not.
  auto far = clean_estimate();
  far.max_block_delta = policy::k_max_block_relative_delta * 1.2;
  far.realigned = UnitRealignment{};
  far.realigned->confident = true;
  classify(far);
  EXPECT_EQ(codes(far), std::vector<std::string>{"alignment"});

  in.fingerprint->realigned.reset();
  in.fingerprint->max_block_delta = policy::k_max_block_relative_delta;  // at the bound: aligned
  classify(*in.fingerprint);
  EXPECT_EQ(in.fingerprint->outcome, FingerprintOutcome::k_present);
}

TEST(FingerprintQuality, InconclusiveNeverCountsTowardClean) {
  auto b = FactBuilder();
  b.model("SD14", "base", "2022-08-22");
  b.facts().finalize();
  CheckInput in = file_with_clean_estimate();
  classify(*in.fingerprint);
  Verdict v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_no_nai_found);
  EXPECT_NE(v.summary.find("rules out NAI above 3% of the UNet"), std::string::npos) << v.summary;

  in.fingerprint->max_block_delta = 2.0;  // e.g. a conv rescaled before its GroupNorm
  classify(*in.fingerprint);
  v = decide(b.facts(), in);
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  ASSERT_FALSE(v.evidence.empty());
  EXPECT_EQ(v.evidence.back().strength, "inconclusive");
  EXPECT_FALSE(v.evidence.back().counts);
  EXPECT_NE(v.evidence.back().summary.find("alignment"), std::string::npos);
}

TEST(FingerprintQuality, AmbiguousShareBlocksOtherCleanEvidence) {
  auto b = FactBuilder();
  b.model("SD14", "base", "2022-08-22");
  b.lineage("child", {{"SD14", "finetune", ""}});  // complete trusted ancestry: clean alone
  b.facts().finalize();
  CheckInput in;
  in.target.kind = "file";
  in.target.sha256 = sha_of("child");
  EXPECT_EQ(decide(b.facts(), in).verdict, VerdictClass::k_no_nai_found);

  in.fingerprint = clean_estimate();
  in.fingerprint->coverage.unet_params = 0.5;  // inconclusive, no hint of NAI: ancestry decides
  classify(*in.fingerprint);
  EXPECT_EQ(decide(b.facts(), in).verdict, VerdictClass::k_no_nai_found);

  in.fingerprint = clean_estimate();
  in.fingerprint->share = {0.02, 0.0194, 0.0207};  // significantly above 0: not clean
  classify(*in.fingerprint);
  EXPECT_EQ(decide(b.facts(), in).verdict, VerdictClass::k_unknown);
}

// Alignment and coverage read from real fingerprints of the test family.
TEST(FingerprintQuality, AlignmentSeparatesFineTunesFromRescaledWeights) {
  fingerprint::testing::Family family(5);
  const auto base = fingerprint::testing::fingerprint_of(family, family.base());
  const auto tuned = fingerprint::testing::fingerprint_of(family, family.finetune(1, 1, false));
  const Alignment fine = alignment_with(tuned, base);
  EXPECT_LT(fine.max_block_delta, 0.2);  // the family's updates are ~5% of the weights
  auto w = family.base();
  for (auto& v : w[0]) v *= 4;  // the first tensor (a conv of IN01) times 4
  const Alignment scaled = alignment_with(fingerprint::testing::fingerprint_of(family, w), base);
  EXPECT_GT(scaled.max_block_delta, policy::k_max_block_relative_delta);
  EXPECT_EQ(scaled.block, "IN01");

  auto partial = tuned;
  auto unet = std::find_if(partial.tensors.begin(), partial.tensors.end(), [](const auto& t) {
    return t.component == fingerprint::Component::k_unet;
  });
  ASSERT_NE(unet, partial.tensors.end());
  partial.tensors.erase(unet);  // one UNet tensor missing
  const FingerprintCoverage c = unet_coverage(partial, base);
  EXPECT_EQ(c.missing_tensors, 1u);
  EXPECT_LT(c.unet_params, 1.0);
  EXPECT_EQ(unet_coverage(tuned, base).unet_params, 1.0);
}

}  // namespace
}  // namespace pedigree::lineage
