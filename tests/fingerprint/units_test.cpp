// Unit signatures and the aligned sketch (fingerprint/units.hpp): a merge whose
// hidden units were re-ordered and rescaled without changing its function is
// sketched again in the base's frame and estimated as the merge it is.
#include "pedigree/fingerprint/units.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "e2e/model_files.hpp"
#include "fingerprint/family.hpp"
#include "pedigree/fingerprint/estimate.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/checkpoint.hpp"
#include "support/temp_dir.hpp"

namespace pedigree::fingerprint {
namespace {

using testing::Family;
using testing::Weights;

struct UnitsWorld {
  Family family{42};
  Weights sd15 = family.finetune(0, 1, false);
  Weights nai = family.finetune(1, 1, true);
  pedigree::testing::TempDir dir;

  formats::Checkpoint write(const std::string& name, const Weights& w) {
    const auto path = dir / (name + ".safetensors");
    pedigree::testing::write_family_model(family, w, path);
    auto c = formats::open_checkpoint(path);
    EXPECT_TRUE(c) << c.error().message();
    return *c;
  }
  UnitSignatures sign(const formats::Checkpoint& c) {
    auto s = unit_signatures(c);
    EXPECT_TRUE(s) << s.error().message();
    return *s;
  }
  double nai_share(const Fingerprint& target) {
    const Fingerprint base = testing::fingerprint_of(family, family.base());
    const Fingerprint f_nai = testing::fingerprint_of(family, nai);
    const Fingerprint f_sd15 = testing::fingerprint_of(family, sd15);
    std::vector<Reference> refs{{"nai", &f_nai, ShareSign::k_nonnegative, false},
                                {"sd15", &f_sd15, ShareSign::k_free, false}};
    auto e = estimate(target, base, refs);
    EXPECT_TRUE(e) << e.error().message();
    return e->shares[0].overall.share;
  }
};

// A 30% NAI merge with every GEGLU layer's hidden units shuffled, their value rows
// scaled by 3 (ff.net.2's columns by 1/3), and every ResBlock conv1 scaled by 4.
Weights evade(const UnitsWorld& w, const Weights& merge, std::uint64_t seed) {
  Weights out = testing::permute_geglu_units(w.family.specs(), merge, 3.0, seed);
  for (std::size_t t = 0; t < out.size(); ++t)
    if (w.family.specs()[t].name.find("in_layers.2.") != std::string::npos)
      for (double& v : out[t]) v *= 4;
  return out;
}

TEST(Units, SignaturesRoundTripAndTamperingIsRefused) {
  UnitsWorld w;
  const auto sig = w.sign(w.write("base", w.family.base()));
  // Seven GEGLU layers and seven ResBlocks in the family.
  ASSERT_EQ(sig.groups.size(), 14u);
  const std::string bytes = serialize_units(sig);
  auto back =
      parse_units(ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(serialize_units(*back), bytes);
  for (std::size_t at : {std::size_t(0), std::size_t(20), bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    EXPECT_FALSE(
        parse_units(ByteView(reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size())))
        << at;
  }
  const std::string cut = bytes.substr(0, bytes.size() - 7);
  auto truncated =
      parse_units(ByteView(reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size()));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code(), ErrorCode::k_corruption);
}

// Each part of a signature is a unit vector times 127: a file with a longer part (one
// that would out-match its own unit) is refused with the unit it names, whatever its trailer.
TEST(Units, ASignaturePartThatIsNotAUnitVectorIsRefused) {
  UnitsWorld w;
  auto sig = w.sign(w.write("base", w.family.base()));
  ASSERT_FALSE(sig.groups.empty());
  auto& g = sig.groups[0];
  const std::size_t part = 1 * g.parts;  // unit 1, part 0
  std::int8_t* cells = g.signature.data() + part * k_unit_part_dims;
  bool nonzero = false;
  for (std::uint32_t d = 0; d < k_unit_part_dims; ++d) nonzero |= cells[d] != 0;
  ASSERT_TRUE(nonzero);
  for (std::uint32_t d = 0; d < k_unit_part_dims; ++d)
    cells[d] = static_cast<std::int8_t>(cells[d] / 2);  // half as long, trailer re-computed
  const std::string bytes = serialize_units(sig);
  auto back =
      parse_units(ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(back.error().message().find("unit 1 part 0"), std::string::npos)
      << back.error().message();
}

TEST(Units, UnitsInPlaceGiveTheOrdinaryFingerprint) {
  UnitsWorld w;
  const Weights merge = testing::combine({{0.7, &w.sd15}, {0.3, &w.nai}});
  const auto checkpoint = w.write("merge", merge);
  const auto alignment = align_units(w.sign(w.write("base", w.family.base())), w.sign(checkpoint));
  EXPECT_TRUE(alignment.confident()) << alignment.describe();
  EXPECT_TRUE(alignment.identity()) << alignment.describe();
  EXPECT_EQ(alignment.groups.size(), 14u);
  const Fingerprint own = testing::fingerprint_of(w.family, merge);
  auto aligned = aligned_fingerprint(checkpoint, alignment, own);
  ASSERT_TRUE(aligned) << aligned.error().message();
  EXPECT_EQ(serialize(*aligned), serialize(own));
}

TEST(Units, PermutedAndRescaledMergeIsEstimatedInTheBaseFrame) {
  UnitsWorld w;
  const Weights merge = testing::combine({{0.7, &w.sd15}, {0.3, &w.nai}});
  const auto edited = w.write("evaded", evade(w, merge, 7));
  const double before = w.nai_share(testing::fingerprint_of(w.family, evade(w, merge, 7)));
  const auto alignment = align_units(w.sign(w.write("base", w.family.base())), w.sign(edited));
  EXPECT_TRUE(alignment.confident()) << alignment.describe();
  // Every GEGLU unit but the few a shuffle leaves in place moved; every unit was rescaled.
  EXPECT_GT(alignment.moved, 7u * 64 * 9 / 10) << alignment.describe();
  EXPECT_EQ(alignment.rescaled, 7u * 64 + 7u * 48) << alignment.describe();
  auto aligned =
      aligned_fingerprint(edited, alignment, testing::fingerprint_of(w.family, evade(w, merge, 7)));
  ASSERT_TRUE(aligned) << aligned.error().message();
  const double after = w.nai_share(*aligned);
  EXPECT_NEAR(after, 0.3, 0.03) << "before alignment " << before;
  EXPECT_GT(std::fabs(before - 0.3), 0.1) << "the edit did not hide the merge";
}

// The evasion above with every other GEGLU unit negated as well (value row and down column):
// the flipped units match their base units by the flippable parts' absolute cosine, their
// signs are undone with the scales, and the share is measured as for the plain merge.
TEST(Units, SignFlippedUnitsAreRealigned) {
  UnitsWorld w;
  const Weights merge = testing::combine({{0.7, &w.sd15}, {0.3, &w.nai}});
  const Weights flipped = testing::negate_geglu_units(w.family.specs(), evade(w, merge, 7), 2);
  const auto edited = w.write("flipped", flipped);
  const Fingerprint own = testing::fingerprint_of(w.family, flipped);
  const auto alignment = align_units(w.sign(w.write("base", w.family.base())), w.sign(edited));
  EXPECT_TRUE(alignment.confident()) << alignment.describe();
  EXPECT_EQ(alignment.flipped, 7u * 64 / 2) << alignment.describe();
  EXPECT_NE(alignment.describe().find("sign flips"), std::string::npos) << alignment.describe();
  auto aligned = aligned_fingerprint(edited, alignment, own);
  ASSERT_TRUE(aligned) << aligned.error().message();
  EXPECT_NEAR(w.nai_share(*aligned), 0.3, 0.03) << "before alignment " << w.nai_share(own);
}

// One self-attention layer (4 heads of 4 dimensions) whose heads are re-ordered, whose q/k
// dimensions are re-ordered inside each head (and v/out ones otherwise), with q scaled by 2 and
// k by 1/2, v by 4 and to_out.0's columns by 1/4 (powers of two: exact in fp16), and some
// pairs negated. Every logit and output is unchanged; aligned, it is the original to the last
// bit of its sketch.
TEST(Units, AttentionHeadsAndTheirDimensionsAreRealigned) {
  pedigree::testing::TempDir dir;
  const std::string p = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.";
  const std::vector<testing::Spec> specs = {{p + "to_q.weight", {16, 16}},
                                            {p + "to_k.weight", {16, 16}},
                                            {p + "to_v.weight", {16, 16}},
                                            {p + "to_out.0.weight", {16, 16}},
                                            {p + "to_out.0.bias", {16}}};
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0, 0.05);
  Weights original;
  for (const auto& spec : specs) {
    original.emplace_back(testing::numel(spec));
    for (double& v : original.back()) v = normal(rng);
  }
  // Row r of the edited q/k comes from row qk[r]; of v (and column of to_out.0) from vo[r].
  const std::vector<int> heads = {2, 0, 3, 1};
  const std::vector<int> inside_qk = {1, 3, 0, 2}, inside_vo = {3, 2, 1, 0};
  std::vector<int> qk(16), vo(16);
  for (int h = 0; h < 4; ++h)
    for (int d = 0; d < 4; ++d) {
      qk[h * 4 + d] = heads[h] * 4 + inside_qk[d];
      vo[h * 4 + d] = heads[h] * 4 + inside_vo[d];
    }
  // Some rows negated too: a q row with its k row, a v row with its to_out.0 column.
  auto qk_sign = [](int r) { return r % 2 ? -1.0 : 1.0; };
  auto vo_sign = [](int r) { return r % 3 ? 1.0 : -1.0; };
  Weights edited = original;
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) {
      edited[0][r * 16 + c] = qk_sign(r) * 2 * original[0][qk[r] * 16 + c];
      edited[1][r * 16 + c] = qk_sign(r) * original[1][qk[r] * 16 + c] / 2;
      edited[2][r * 16 + c] = vo_sign(r) * 4 * original[2][vo[r] * 16 + c];
      edited[3][c * 16 + r] = vo_sign(r) * original[3][c * 16 + vo[r]] / 4;
    }
  auto write = [&](const std::string& name, const Weights& w) {
    std::vector<std::pair<testing::Spec, const std::vector<double>*>> tensors;
    for (std::size_t t = 0; t < specs.size(); ++t) tensors.push_back({specs[t], &w[t]});
    pedigree::testing::write_f16_safetensors(tensors, dir / (name + ".safetensors"));
    auto c = formats::open_checkpoint(dir / (name + ".safetensors"));
    EXPECT_TRUE(c) << c.error().message();
    return *c;
  };
  auto fingerprint_of = [&](const Weights& w) {
    std::vector<std::vector<std::uint8_t>> storage;
    std::vector<TensorData> tensors;
    for (const auto& t : w) storage.push_back(testing::encode(t, formats::DType::k_f16));
    for (std::size_t t = 0; t < w.size(); ++t)
      tensors.push_back({specs[t].name, formats::DType::k_f16, specs[t].shape, storage[t]});
    return *fingerprint_tensors(tensors);
  };
  const auto base = write("original", original), target = write("edited", edited);
  auto base_units = unit_signatures(base), target_units = unit_signatures(target);
  ASSERT_TRUE(base_units && target_units);
  ASSERT_EQ(base_units->groups.size(), 2u);  // q/k and v/out
  const auto alignment = align_units(*base_units, *target_units);
  EXPECT_TRUE(alignment.confident()) << alignment.describe();
  EXPECT_EQ(alignment.moved, 32u) << alignment.describe();  // no row of either group stayed
  EXPECT_EQ(alignment.rescaled, 32u) << alignment.describe();
  EXPECT_EQ(alignment.flipped, 8u + 6u) << alignment.describe();
  auto aligned = aligned_fingerprint(target, alignment, fingerprint_of(edited));
  ASSERT_TRUE(aligned) << aligned.error().message();
  EXPECT_EQ(serialize(*aligned), serialize(fingerprint_of(original)));
  EXPECT_NE(serialize(fingerprint_of(edited)), serialize(fingerprint_of(original)));
}

// One GEGLU group of hand-made signatures (one part per unit), unit vectors times 127.
UnitGroup group_of(const std::vector<std::vector<double>>& units) {
  UnitGroup g;
  g.kind = UnitGroupKind::k_geglu;
  g.prefix = "model.diffusion_model.middle_block.1.transformer_blocks.0.ff.";
  g.units = static_cast<std::uint32_t>(units.size());
  g.parts = 1;
  for (const auto& u : units) {
    double norm = 0;
    for (double x : u) norm += x * x;
    for (double x : u)
      g.signature.push_back(static_cast<std::int8_t>(std::lround(127 * x / std::sqrt(norm))));
    g.magnitude.push_back(1.0f);
  }
  return g;
}

// `n` random unit vectors (one signature part each).
std::vector<std::vector<double>> random_units(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<std::vector<double>> units(n, std::vector<double>(k_unit_part_dims));
  for (auto& u : units)
    for (double& x : u) x = normal(rng);
  return units;
}

// The alignment of one hand-made target group with one hand-made base group.
UnitAlignment align_groups(const std::vector<std::vector<double>>& base,
                           const std::vector<std::vector<double>>& target) {
  UnitSignatures b, t;
  b.groups.push_back(group_of(base));
  t.groups.push_back(group_of(target));
  return align_units(b, t);
}

// Two target units claim the same base unit (one is that unit, the other was pulled
// towards it by its update but still leans to its own): the clear pass leaves both; their
// joint assignment is clear (the pairing the other way loses by far), so the group aligns.
// A pair whose two pairings are equally good stays ambiguous.
TEST(Units, TwoUnitsClaimingOneBaseUnitAreResolvedJointly) {
  auto base = random_units(12, 3);
  std::vector<std::vector<double>> target(base.rbegin(), base.rend());  // every unit moved
  // Target unit 11 is base unit 0; target unit 10 is base unit 1 drawn towards base unit 0.
  for (std::size_t d = 0; d < k_unit_part_dims; ++d)
    target[10][d] = 0.55 * base[0][d] + 0.45 * base[1][d];
  const auto alignment = align_groups(base, target);
  EXPECT_TRUE(alignment.confident()) << alignment.describe();
  ASSERT_EQ(alignment.groups.size(), 1u);
  for (std::uint32_t j = 0; j < 12; ++j) EXPECT_EQ(alignment.groups[0].base_unit[j], 11 - j) << j;

  // Base units 0 and 1 made the same: nothing tells the two claimants apart.
  base[1] = base[0];
  target = {base.rbegin(), base.rend()};
  const auto tied = align_groups(base, target);
  EXPECT_FALSE(tied.confident()) << tied.describe();
  EXPECT_EQ(tied.ambiguous, 2u) << tied.describe();
}

// A group that was not re-ordered, one of whose units moved far from its base unit (a
// strongly trained cross-attention row): that unit has no clear match and keeps its place.
// Up to 0.1% of the units may be left so; more make the alignment unconfident.
TEST(Units, AFewUnitsWithoutAClearMatchAreTolerated) {
  const auto base = random_units(2000, 4);
  // A unit turned orthogonal to its base unit (cosine 0: no match of its own).
  auto turned = [](const std::vector<double>& u) {
    std::vector<double> v(u.size());
    const std::size_t h = u.size() / 2;
    for (std::size_t d = 0; d < h; ++d) {
      v[d] = -u[d + h];
      v[d + h] = u[d];
    }
    return v;
  };
  auto aligned_with = [&](std::size_t far_units) {
    auto target = base;
    for (std::size_t k = 0; k < far_units; ++k) target[5 + 100 * k] = turned(base[5 + 100 * k]);
    return align_groups(base, target);
  };
  const auto one = aligned_with(1);
  EXPECT_TRUE(one.confident()) << one.describe();
  EXPECT_GE(one.ambiguous, 1u) << one.describe();
  EXPECT_EQ(one.groups[0].base_unit[5], 5u) << "an unmatched unit keeps its place";
  EXPECT_EQ(one.moved, 0u) << one.describe();
  const auto three = aligned_with(3);
  EXPECT_GE(three.ambiguous, 3u) << three.describe();
  EXPECT_FALSE(three.confident()) << three.describe();
}

TEST(Units, UnrelatedWeightsDoNotAlignConfidently) {
  UnitsWorld w;
  Family other{7};
  const auto alignment =
      align_units(w.sign(w.write("base", w.family.base())), w.sign(w.write("other", other.base())));
  EXPECT_FALSE(alignment.confident()) << alignment.describe();
  EXPECT_GT(alignment.ambiguous, alignment.units / 2) << alignment.describe();
}

}  // namespace
}  // namespace pedigree::fingerprint
