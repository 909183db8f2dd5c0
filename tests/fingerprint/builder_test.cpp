#include "pedigree/fingerprint/builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fingerprint/family.hpp"
#include "pedigree/fingerprint/sketcher.hpp"

namespace pedigree::fingerprint {
namespace {

using formats::DType;
using testing::Family;

// ||a - b|| / ||b|| over every cell of every tensor.
double relative_distance(const Fingerprint& a, const Fingerprint& b) {
  double diff = 0, norm = 0;
  EXPECT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t t = 0; t < a.tensors.size(); ++t) {
    EXPECT_EQ(a.tensors[t].name, b.tensors[t].name);
    for (std::size_t i = 0; i < a.tensors[t].cells.size(); ++i) {
      const double d = a.tensors[t].cells[i] - b.tensors[t].cells[i];
      diff += d * d;
      norm += b.tensors[t].cells[i] * b.tensors[t].cells[i];
    }
  }
  return std::sqrt(diff / norm);
}

TEST(FingerprintBuilder, WeightedSumOfModelsGivesWeightedSumOfFingerprints) {
  Family family(1);
  auto a = family.finetune(1, 1, false);
  auto b = family.finetune(0, 1, true);
  auto merged = testing::combine({{0.3, &a}, {0.7, &b}});
  Fingerprint fa = testing::fingerprint_of(family, a), fb = testing::fingerprint_of(family, b);
  Fingerprint fm = testing::fingerprint_of(family, merged);
  Fingerprint expected = fa;
  for (std::size_t t = 0; t < expected.tensors.size(); ++t)
    for (std::size_t i = 0; i < expected.tensors[t].cells.size(); ++i)
      expected.tensors[t].cells[i] = 0.3 * fa.tensors[t].cells[i] + 0.7 * fb.tensors[t].cells[i];
  // Each side was stored as fp16 (relative rounding 2^-11 per element).
  EXPECT_LT(relative_distance(fm, expected), 1e-3);
  // The merge differs from both parents by far more than rounding.
  EXPECT_GT(relative_distance(fm, fa), 1e-2);
}

TEST(FingerprintBuilder, DtypeChangesOnlyRounding) {
  Family family(2);
  auto w = family.finetune(1, 1, false);
  Fingerprint f32 = testing::fingerprint_of(family, w, DType::k_f32);
  EXPECT_LT(relative_distance(testing::fingerprint_of(family, w, DType::k_f16), f32), 1e-3);
  EXPECT_LT(relative_distance(testing::fingerprint_of(family, w, DType::k_bf16), f32), 1e-2);
}

TEST(FingerprintBuilder, ValueHashesSeeFp16RoundedValues) {
  Family family(3);
  auto w = family.finetune(1, 1, false);
  // Round every value to fp16 first: F32 and F16 storage then hold the same fp16 values.
  for (auto& t : w)
    for (auto& v : t) v = detail::half_to_float(detail::float_to_half(static_cast<float>(v)));
  Fingerprint f16 = testing::fingerprint_of(family, w, DType::k_f16);
  Fingerprint f32 = testing::fingerprint_of(family, w, DType::k_f32);
  for (std::size_t t = 0; t < f16.tensors.size(); ++t) {
    EXPECT_EQ(f16.tensors[t].value_hash, f32.tensors[t].value_hash) << f16.tensors[t].name;
    EXPECT_EQ(f16.tensors[t].cells, f32.tensors[t].cells) << "same values, same order, same sums";
  }
  w[0][5] += 0.01;
  Fingerprint changed = testing::fingerprint_of(family, w, DType::k_f16);
  const std::string& name = family.specs()[0].name;
  EXPECT_NE(changed.find(name)->value_hash, f16.find(name)->value_hash);
}

TEST(FingerprintBuilder, IndependentOfTensorOrderPiecesAndStoredPrefix) {
  Family family(4);
  auto w = family.finetune(1, 1, false);
  std::vector<std::vector<std::uint8_t>> bytes;
  for (const auto& t : w) bytes.push_back(testing::encode(t, DType::k_f16));
  std::vector<TensorData> forward, reversed;
  for (std::size_t t = 0; t < w.size(); ++t)
    forward.push_back({family.specs()[t].name, DType::k_f16, family.specs()[t].shape, bytes[t]});
  for (std::size_t t = w.size(); t-- > 0;)
    reversed.push_back(
        {"state_dict." + family.specs()[t].name, DType::k_f16, family.specs()[t].shape, bytes[t]});
  auto a = fingerprint_tensors(forward);
  auto b = fingerprint_tensors(reversed);
  ASSERT_TRUE(a && b);
  // Streamed in odd-sized pieces through the TensorSink interface, tensors interleaved.
  std::vector<std::optional<TensorPlan>> plan;
  for (const auto& t : forward) {
    plan.push_back(TensorPlan{t.name, *place_tensor(t.name), t.dtype, t.shape});
  }
  FingerprintBuilder builder(plan);
  for (std::size_t t = 0; t < forward.size(); ++t) builder.begin_tensor(t);
  std::vector<std::uint64_t> done(forward.size(), 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t t = 0; t < forward.size(); ++t) {
      const std::uint64_t n = forward[t].bytes.size() / 2;
      if (done[t] == n) continue;
      const std::uint64_t take = std::min<std::uint64_t>(37 + t, n - done[t]);
      builder.tensor_data(t, done[t], forward[t].bytes.subspan(done[t] * 2, take * 2));
      done[t] += take;
      progress = true;
    }
  }
  for (std::size_t t = 0; t < forward.size(); ++t) builder.end_tensor(t);
  auto c = builder.finish();
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(a->tensors.size(), b->tensors.size());
  for (std::size_t t = 0; t < a->tensors.size(); ++t) {
    EXPECT_EQ(a->tensors[t].name, b->tensors[t].name);
    EXPECT_EQ(a->tensors[t].cells, b->tensors[t].cells);
    EXPECT_EQ(a->tensors[t].cells, c->tensors[t].cells);
    EXPECT_EQ(a->tensors[t].value_hash, c->tensors[t].value_hash);
  }
}

TEST(FingerprintBuilder, MissingOrOutOfOrderElementsAreCorruption) {
  std::vector<std::uint8_t> bytes(4 * 64, 0);
  std::vector<std::optional<TensorPlan>> plan{
      TensorPlan{"model.diffusion_model.out.2.weight",
                 *place_tensor("model.diffusion_model.out.2.weight"),
                 DType::k_f32,
                 {8, 8}}};
  FingerprintBuilder builder(plan);
  builder.begin_tensor(0);
  builder.tensor_data(0, 8, ByteView(bytes).first(32));  // skips elements 0..7
  builder.end_tensor(0);
  auto fp = builder.finish();
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(fp.error().message().find("out.2.weight"), std::string::npos);
}

TEST(FingerprintBuilder, PlacesTensorsInMbwBlocks) {
  EXPECT_EQ(block_name(place_tensor("model.diffusion_model.time_embed.0.weight")->block), "IN00");
  EXPECT_EQ(block_name(place_tensor("model.diffusion_model.input_blocks.11.0.skip.weight")->block),
            "IN11");
  EXPECT_EQ(block_name(place_tensor("model.diffusion_model.middle_block.2.x")->block), "M00");
  EXPECT_EQ(block_name(place_tensor("model.diffusion_model.output_blocks.0.0.x")->block), "OUT00");
  EXPECT_EQ(block_name(place_tensor("model.diffusion_model.out.0.bias")->block), "OUT11");
  EXPECT_EQ(place_tensor("cond_stage_model.transformer.x")->component, Component::k_text_encoder);
  EXPECT_EQ(place_tensor("model_ema.diffusion_modelout2weight")->component, Component::k_ema_unet);
  EXPECT_FALSE(place_tensor("model_ema.decay"));
  EXPECT_FALSE(place_tensor("alphas_cumprod"));
  EXPECT_FALSE(place_tensor("model.diffusion_model.input_blocks.12.0.x"));
}

}  // namespace
}  // namespace pedigree::fingerprint
