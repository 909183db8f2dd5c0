#include "pedigree/fingerprint/estimate.hpp"

#include <gtest/gtest.h>

#include "fingerprint/family.hpp"
#include "pedigree/fingerprint/report.hpp"
#include "pedigree/fingerprint/serialize.hpp"

namespace pedigree::fingerprint {
namespace {

using testing::Family;
using testing::Weights;

// The family every estimate test uses: fingerprints of its reference models.
struct World {
  Family family{42};
  Weights sd15 = family.finetune(0, 1, false);
  Weights nai = family.finetune(1, 1, true);
  Weights anime1 = family.finetune(1, 1, true);  // independent, known (nuisance)
  Weights anime2 = family.finetune(1, 1, true);  // independent, known (nuisance)
  Weights anime3 = family.finetune(1, 1, true);  // independent, unknown: the hard negative
  Fingerprint f_base = fp(family.base()), f_sd15 = fp(sd15), f_nai = fp(nai), f_anime1 = fp(anime1),
              f_anime2 = fp(anime2);

  Fingerprint fp(const Weights& w) { return testing::fingerprint_of(family, w); }
  std::vector<Reference> refs(bool with_nuisance = true) const {
    std::vector<Reference> r{{"nai", &f_nai, ShareSign::k_nonnegative, false},
                             {"sd15", &f_sd15, ShareSign::k_free, false}};
    if (with_nuisance) {
      r.push_back({"anime1", &f_anime1, ShareSign::k_free, true});
      r.push_back({"anime2", &f_anime2, ShareSign::k_free, true});
    }
    return r;
  }
};

World& world() {
  static World w;
  return w;
}

TEST(Estimate, RecoversAWeightedSum) {
  World& w = world();
  Fingerprint target = w.fp(testing::combine({{0.7, &w.sd15}, {0.3, &w.nai}}));
  auto e = estimate(target, w.f_base, w.refs());
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_NEAR(e->shares[0].overall.share, 0.3, 0.01);
  EXPECT_NEAR(e->shares[1].overall.share, 0.7, 0.01);
  EXPECT_TRUE(e->shares[0].present);
  EXPECT_TRUE(e->shares[0].size_reliable);
  EXPECT_LT(e->shares[0].overall.stderr, 0.01);
  for (const auto& [block, r2] : e->r2) EXPECT_GT(r2, 0.99) << block;
  EXPECT_NE(e->summary.find("nai is present"), std::string::npos) << e->summary;
}

TEST(Estimate, RecoversAddDifferenceOntoAnIndependentModel) {
  World& w = world();
  // anime1 + 0.5 (nai - base): nai's share 0.5, anime1's 1.
  Fingerprint target =
      w.fp(testing::combine({{1, &w.anime1}, {0.5, &w.nai}, {-0.5, &w.family.base()}}));
  auto e = estimate(target, w.f_base, w.refs());
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_NEAR(e->shares[0].overall.share, 0.5, 0.01);
  EXPECT_NEAR(e->shares[2].overall.share, 1.0, 0.02);
}

TEST(Estimate, RecoversATripleSumWithANegativeTerm) {
  World& w = world();
  // base + 0.6 (nai - base) - 0.2 (sd15 - base), the add-difference "negative" share of SD1.5.
  Fingerprint target =
      w.fp(testing::combine({{0.6, &w.nai}, {-0.2, &w.sd15}, {0.6, &w.family.base()}}));
  auto e = estimate(target, w.f_base, w.refs());
  ASSERT_TRUE(e);
  EXPECT_NEAR(e->shares[0].overall.share, 0.6, 0.01);
  EXPECT_NEAR(e->shares[1].overall.share, -0.2, 0.01);
}

TEST(Estimate, FindsABlockCopiedVerbatim) {
  World& w = world();
  // An MBW merge: input block 4 taken whole from nai (alpha = 1), the rest from sd15.
  Weights target = testing::combine({{0.5, &w.sd15}, {0.5, &w.anime1}});
  for (std::size_t t = 0; t < target.size(); ++t) {
    if (w.family.specs()[t].name.starts_with("model.diffusion_model.input_blocks.4."))
      target[t] = w.nai[t];
  }
  auto e = estimate(w.fp(target), w.f_base, w.refs());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->verbatim, std::vector<std::string>{"IN04=nai"});
  EXPECT_NEAR(e->shares[0].blocks.at("IN04").share, 1.0, 0.01);
  EXPECT_NEAR(e->shares[0].blocks.at("IN01").share, 0.0, 0.01);
  EXPECT_TRUE(e->shares[0].present);
}

TEST(Estimate, AVerbatimBlockIsPresenceWhateverTheThresholds) {
  World& w = world();
  Weights target = testing::combine({{0.5, &w.sd15}, {0.5, &w.anime1}});
  const Weights no_copy = target;
  for (std::size_t t = 0; t < target.size(); ++t) {
    if (w.family.specs()[t].name.starts_with("model.diffusion_model.input_blocks.4."))
      target[t] = w.nai[t];
  }
  EstimateOptions unreachable;  // no share can pass these: only the copy can decide
  unreachable.overall_threshold = unreachable.block_threshold = 2.0;
  auto copied = estimate(w.fp(target), w.f_base, w.refs(), unreachable);
  ASSERT_TRUE(copied);
  EXPECT_EQ(copied->verbatim, std::vector<std::string>{"IN04=nai"});
  EXPECT_TRUE(copied->shares[0].present);
  auto clean = estimate(w.fp(no_copy), w.f_base, w.refs(), unreachable);
  ASSERT_TRUE(clean);
  EXPECT_FALSE(clean->shares[0].present);
}

TEST(Estimate, ABlockAloneCountsOnlyWhenTheOverallShareLeansTheSameWay) {
  // The presence rule on given shares: one block far above its threshold and z.
  std::vector<Reference> refs{{"nai", nullptr, ShareSign::k_nonnegative, false}};
  Fingerprint empty;
  auto decide = [&](double overall) {
    Estimate e;
    ReferenceEstimate r;
    r.name = "nai";
    r.overall = {overall, 0.01};
    r.blocks["OUT11"] = {0.5, 0.02};
    e.shares.push_back(r);
    detail::describe(empty, empty, refs, EstimateOptions{}, e);
    return e.shares[0].present;
  };
  EXPECT_FALSE(decide(0.0)) << "overall share at zero: a lone block is not enough";
  EXPECT_FALSE(decide(0.009)) << "less than one standard error above zero";
  EXPECT_TRUE(decide(0.015)) << "the overall share leans the same way";
}

TEST(Estimate, ABlockFromFewJackknifeGroupsIsReadAgainstStudentsT) {
  // Measured on a tiny family: an independent fine-tune's OUT10 read 26% +- 5.6% from 8
  // jackknife groups (normal z 4.7) with the overall share 3.8% +- 1.8%.
  std::vector<Reference> refs{{"nai", nullptr, ShareSign::k_nonnegative, false}};
  Fingerprint empty;
  auto decide = [&](double block_share, unsigned groups) {
    Estimate e;
    ReferenceEstimate r;
    r.name = "nai";
    r.overall = {0.038, 0.0176};
    r.blocks["OUT10"] = r.blocks_free["OUT10"] = {block_share, 0.056};
    e.shares.push_back(r);
    if (groups > 0) e.block_groups["OUT10"] = groups;
    detail::describe(empty, empty, refs, EstimateOptions{}, e);
    return e.shares[0].present;
  };
  EXPECT_TRUE(decide(0.263, 0)) << "without the group count the normal z of 4 applies";
  EXPECT_FALSE(decide(0.263, 8)) << "8 groups: 7 degrees of freedom need t of about 8";
  EXPECT_FALSE(decide(0.263, 16)) << "16 groups: t of about 5.5";
  EXPECT_TRUE(decide(0.6, 8)) << "a block 10.7 standard errors above 0 still counts";
}

TEST(Estimate, HardNegativeIsNotFlaggedWhileAFlatFitIsFooled) {
  World& w = world();
  Fingerprint target = w.fp(w.anime3);
  auto matrix = estimate(target, w.f_base, w.refs());
  ASSERT_TRUE(matrix);
  EXPECT_FALSE(matrix->shares[0].present) << matrix->summary;
  EXPECT_LT(matrix->shares[0].overall.share, 0.05);
  // The naive fit (no projection, no nuisance models) credits nai with the shared directions.
  EstimateOptions flat;
  flat.projection_rank = 0;
  auto naive = estimate(target, w.f_base, w.refs(false), flat);
  ASSERT_TRUE(naive);
  EXPECT_GT(naive->shares[0].overall.share, 0.1);
}

TEST(Estimate, WorksOnFingerprintsReadBackFromFpFiles) {
  World& w = world();
  Fingerprint target = w.fp(testing::combine({{0.9, &w.sd15}, {0.1, &w.nai}}));
  auto load = [](const Fingerprint& f) {
    std::string bytes = serialize(f);
    return *parse({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  };
  Fingerprint t = load(target), b = load(w.f_base), n = load(w.f_nai), s = load(w.f_sd15);
  Fingerprint a1 = load(w.f_anime1), a2 = load(w.f_anime2);
  std::vector<Reference> refs{{"nai", &n, ShareSign::k_nonnegative, false},
                              {"sd15", &s, ShareSign::k_free, false},
                              {"anime1", &a1, ShareSign::k_free, true},
                              {"anime2", &a2, ShareSign::k_free, true}};
  auto e = estimate(t, b, refs);
  ASSERT_TRUE(e);
  EXPECT_NEAR(e->shares[0].overall.share, 0.1, 0.01);
  EXPECT_TRUE(e->shares[0].present);
}

TEST(Estimate, RefusesMismatchedSketchParameters) {
  World& w = world();
  Fingerprint other = w.f_nai;
  other.params.of(Component::k_unet).matrix_side = 8;
  std::vector<Reference> refs{{"nai", &other, ShareSign::k_nonnegative, false}};
  auto e = estimate(w.f_sd15, w.f_base, refs);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::k_invalid_argument);
  EXPECT_NE(e.error().message().find("UNet size 8/"), std::string::npos) << e.error().message();
}

TEST(Estimate, OnlyTheUNetSketchSizeMustAgree) {
  World& w = world();
  Fingerprint other = w.f_nai;  // a text encoder or VAE sketched differently does not matter
  other.params.of(Component::k_text_encoder).matrix_side = 4;
  std::vector<Reference> refs{{"nai", &other, ShareSign::k_nonnegative, false}};
  EXPECT_TRUE(estimate(w.f_sd15, w.f_base, refs));
}

}  // namespace
}  // namespace pedigree::fingerprint
