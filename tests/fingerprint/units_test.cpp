// Unit signatures and the aligned sketch (fingerprint/units.hpp): a merge whose
// hidden units were re-ordered and rescaled without changing its function is
// sketched again in the base's frame and estimated as the merge it is.
#include "pedigree/fingerprint/units.hpp"

#include <gtest/gtest.h>

#include <numeric>
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

  std::size_t index_of(const std::string& name) const {
    for (std::size_t t = 0; t < family.specs().size(); ++t)
      if (family.specs()[t].name == name) return t;
    ADD_FAILURE() << name;
    return 0;
  }
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
Weights evade(const UnitsWorld& w, Weights merge, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto& specs = w.family.specs();
  for (std::size_t t = 0; t < specs.size(); ++t) {
    const std::string& name = specs[t].name;
    if (name.find("in_layers.2.") != std::string::npos) {
      for (double& v : merge[t]) v *= 4;
      continue;
    }
    if (!name.ends_with("ff.net.0.proj.weight")) continue;
    const std::size_t down = w.index_of(name.substr(0, name.size() - 17) + "net.2.weight");
    const std::uint64_t hidden = specs[t].shape[0] / 2, in = specs[t].shape[1];
    const std::uint64_t out = specs[down].shape[0];
    std::vector<std::uint64_t> perm(hidden);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    auto up = merge[t], down_w = merge[down];
    for (std::uint64_t j = 0; j < hidden; ++j) {
      for (std::uint64_t c = 0; c < in; ++c) {
        up[j * in + c] = 3 * merge[t][perm[j] * in + c];
        up[(hidden + j) * in + c] = merge[t][(hidden + perm[j]) * in + c];
      }
      for (std::uint64_t r = 0; r < out; ++r)
        down_w[r * hidden + j] = merge[down][r * hidden + perm[j]] / 3;
    }
    merge[t] = up;
    merge[down] = down_w;
  }
  return merge;
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
