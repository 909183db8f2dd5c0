#include "pedigree/fingerprint/builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "fingerprint/family.hpp"
#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/tensor_data.hpp"

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
  EXPECT_EQ(place_tensor("model_ema.diffusion_modelout2weight")->component, Component::k_unet_ema);
  EXPECT_FALSE(place_tensor("model_ema.decay"));
  EXPECT_FALSE(place_tensor("alphas_cumprod"));
  EXPECT_FALSE(place_tensor("model.diffusion_model.input_blocks.12.0.x"));
}

}  // namespace
}  // namespace pedigree::fingerprint

namespace pedigree::fingerprint {
namespace {

// fp8 codes (NaNs excluded) and the same values as F32: every fp8 value is exact in F32.
struct Fp8Pair {
  std::vector<std::uint8_t> codes, f32;
};
Fp8Pair fp8_values(std::size_t n, float (*decode)(std::uint8_t), std::uint64_t seed) {
  Fp8Pair out;
  std::uint64_t state = seed;
  while (out.codes.size() < n) {
    auto code = static_cast<std::uint8_t>(detail::mix64(++state) & 0xff);
    const float v = decode(code);
    if (!std::isfinite(v)) continue;
    out.codes.push_back(code);
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) out.f32.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  return out;
}

TEST(FingerprintBuilder, Fp8TensorsAreSketchedAsTheirValues) {
  for (auto [dtype, decode] : {std::pair{DType::k_f8_e4m3, &formats::f8_e4m3_to_float},
                               std::pair{DType::k_f8_e5m2, &formats::f8_e5m2_to_float}}) {
    const std::string matrix = "model.diffusion_model.input_blocks.1.1.proj_in.weight";
    const std::string flat = "model.diffusion_model.input_blocks.1.1.proj_in.bias";
    auto m = fp8_values(40 * 24, decode, 1), v = fp8_values(40, decode, 2);
    std::vector<TensorData> as_fp8 = {{matrix, dtype, {40, 24}, m.codes},
                                      {flat, dtype, {40}, v.codes}};
    std::vector<TensorData> as_f32 = {{matrix, DType::k_f32, {40, 24}, m.f32},
                                      {flat, DType::k_f32, {40}, v.f32}};
    auto a = fingerprint_tensors(as_fp8), b = fingerprint_tensors(as_f32);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->tensors.size(), 2u) << "fp8 tensors were not sketched";
    for (std::size_t t = 0; t < 2; ++t) {
      EXPECT_EQ(a->tensors[t].cells, b->tensors[t].cells) << a->tensors[t].name;
      EXPECT_EQ(a->tensors[t].value_hash, b->tensors[t].value_hash) << a->tensors[t].name;
    }
    EXPECT_EQ(a->coverage->of(Component::k_unet).tensors_sketched, 2u);
  }
}

TEST(FingerprintBuilder, CoverageCountsSkippedTensorsByReason) {
  const std::vector<std::uint8_t> f16_out(4 * 320 * 9 * 2, 0), f16_small(6 * 2, 0), i8(6, 0),
      f32_betas(4 * 4, 0);
  std::vector<TensorData> tensors = {
      // canonical SD1.x name and shape: counts toward the SD1.x UNet
      {"model.diffusion_model.out.2.weight", DType::k_f16, {4, 320, 3, 3}, f16_out},
      // canonical name, another shape
      {"model.diffusion_model.out.0.weight", DType::k_f16, {6}, f16_small},
      // a dtype the sketch cannot read
      {"model.diffusion_model.out.0.bias", DType::k_i8, {6}, i8},
      // under the UNet prefix, outside its layout
      {"model.diffusion_model.extra_head.weight", DType::k_f16, {6}, f16_small},
      // outside every component: not counted
      {"betas", DType::k_f32, {4}, f32_betas},
  };
  auto fp = fingerprint_tensors(tensors);
  ASSERT_TRUE(fp) << fp.error().message();
  ASSERT_TRUE(fp->coverage);
  const auto& unet = fp->coverage->of(Component::k_unet);
  EXPECT_EQ(unet.tensors_present, 4u);
  EXPECT_EQ(unet.tensors_sketched, 2u);
  EXPECT_EQ(unet.params_sketched, 4u * 320 * 9 + 6);
  EXPECT_EQ(unet.tensors_skipped[static_cast<std::size_t>(SkipReason::k_unsupported_dtype)], 1u);
  EXPECT_EQ(unet.tensors_skipped[static_cast<std::size_t>(SkipReason::k_unknown_name)], 1u);
  EXPECT_EQ(fp->coverage->skipped_dtypes.at("I8"), 1u);
  EXPECT_EQ(unet.skipped_examples.size(), 2u);
  EXPECT_EQ(fp->coverage->sd1_tensors_total, formats::sd1_unet_layout().size());
  EXPECT_EQ(fp->coverage->sd1_tensors_sketched, 1u);
  EXPECT_EQ(fp->coverage->sd1_params_sketched, 4u * 320 * 9);
  EXPECT_EQ(fp->coverage->sd1_tensors_shape_mismatch, 1u);
  // Skipped tensors leave the fingerprint itself unchanged.
  EXPECT_EQ(fp->tensors.size(), 2u);
}

}  // namespace
}  // namespace pedigree::fingerprint
