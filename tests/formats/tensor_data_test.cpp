#include "pedigree/formats/tensor_data.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "formats/fixtures.hpp"
#include "pedigree/formats/checkpoint.hpp"

namespace pedigree::formats {
namespace {

using testing::json_number;
using testing::load_json;

const TensorInfo* find_tensor(const Checkpoint& checkpoint, std::string_view name) {
  for (const auto& t : checkpoint.tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void expect_same_value(double actual, double expected, const std::string& where) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << where;
  } else {
    EXPECT_EQ(actual, expected) << where;  // exact: every stored value is representable
  }
}

TEST(TensorData, ReadsEveryValueTorchWrote) {
  auto expected = load_json("safetensors_expected.json")["good_basic.safetensors"];
  auto checkpoint = open_checkpoint(testing::data_path("good_basic.safetensors"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  for (std::size_t i = 0; i < checkpoint->tensors.size(); ++i) {
    const auto& t = checkpoint->tensors[i];
    SCOPED_TRACE(t.name);
    const auto& e = expected["tensors"][t.name];
    auto bytes = read_tensor_bytes(*checkpoint, i);
    ASSERT_TRUE(bytes) << bytes.error().message();
    EXPECT_EQ(testing::sha256_hex(*bytes), e["sha256"].get<std::string>());
    auto doubles = to_doubles(t.dtype, *bytes);
    ASSERT_TRUE(doubles);
    ASSERT_EQ(doubles->size(), e["values"].size());
    auto floats = to_floats(t.dtype, *bytes);
    ASSERT_TRUE(floats);
    for (std::size_t j = 0; j < doubles->size(); ++j) {
      double want = json_number(e["values"][j]);
      expect_same_value((*doubles)[j], want, "element " + std::to_string(j));
      if (t.dtype != DType::k_f64 && t.dtype != DType::k_i64 && t.dtype != DType::k_i32) {
        expect_same_value((*floats)[j], want, "float element " + std::to_string(j));
      } else {
        EXPECT_EQ((*floats)[j], static_cast<float>(want));  // rounded to nearest
      }
    }
  }
}

// Reads tensor `name` of good_float_codes.safetensors and converts it to float.
std::vector<float> codes_as_float(const Checkpoint& checkpoint, std::string_view name) {
  const TensorInfo* t = find_tensor(checkpoint, name);
  if (!t) return {};
  auto file = File::open_read(checkpoint.sources[0]);
  auto bytes = read_tensor_bytes(*file, *t);
  auto values = to_floats(t->dtype, *bytes);
  return values ? *values : std::vector<float>{};
}

TEST(TensorData, DecodesEvery16BitPatternLikeTorch) {
  auto checkpoint = open_checkpoint(testing::data_path("good_float_codes.safetensors"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  for (auto [bits, reference] :
       {std::pair{"f16_bits", "f16_as_f32"}, {"bf16_bits", "bf16_as_f32"}}) {
    SCOPED_TRACE(bits);
    auto ours = codes_as_float(*checkpoint, bits);
    auto torch = codes_as_float(*checkpoint, reference);  // F32 decoding is a plain bit copy
    ASSERT_EQ(ours.size(), 65536u);
    ASSERT_EQ(torch.size(), 65536u);
    int mismatches = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      bool same = std::isnan(torch[i]) ? std::isnan(ours[i])
                                       : std::bit_cast<std::uint32_t>(ours[i]) ==
                                             std::bit_cast<std::uint32_t>(torch[i]);
      if (!same && ++mismatches < 5) ADD_FAILURE() << "pattern index " << i;
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(TensorData, DecodesEvery8BitFloatPatternAsTheSpecSays) {
  auto expected = load_json("safetensors_expected.json")["good_float_codes.safetensors"];
  auto checkpoint = open_checkpoint(testing::data_path("good_float_codes.safetensors"));
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  for (auto [name, key] : {std::pair{"e4m3_bits", "e4m3"}, {"e5m2_bits", "e5m2"}}) {
    auto ours = codes_as_float(*checkpoint, name);
    ASSERT_EQ(ours.size(), 256u);
    for (std::size_t i = 0; i < 256; ++i) {
      double want = json_number(expected[key][i]);
      expect_same_value(ours[i], want, std::string(key) + " pattern " + std::to_string(i));
      std::vector<double> as_double(1);
      std::uint8_t byte = static_cast<std::uint8_t>(i);
      ASSERT_TRUE(
          convert_to_double(key == std::string("e4m3") ? DType::k_f8_e4m3 : DType::k_f8_e5m2,
                            ByteView(&byte, 1), as_double));
      expect_same_value(as_double[0], want, std::string(key) + " double " + std::to_string(i));
    }
  }
}

TEST(TensorData, GathersAStridedViewInRowMajorOrder) {
  auto expected = load_json("safetensors_expected.json")["good_basic.safetensors"];
  auto checkpoint = open_checkpoint(testing::data_path("good_basic.safetensors"));
  ASSERT_TRUE(checkpoint);
  TensorInfo view = *find_tensor(*checkpoint, "model.weight");  // F32 [2, 3]
  view.shape = {3, 2};
  view.strides = {1, 3};  // its transpose, as torch's x.t() would store it
  ASSERT_FALSE(view.is_contiguous());
  auto file = File::open_read(checkpoint->sources[0]);
  ASSERT_TRUE(file);
  auto bytes = read_tensor_bytes(*file, view);
  ASSERT_TRUE(bytes) << bytes.error().message();
  auto values = to_doubles(view.dtype, *bytes);
  ASSERT_TRUE(values);
  const auto& want = expected["model_weight_transposed"];
  ASSERT_EQ(values->size(), want.size());
  for (std::size_t i = 0; i < values->size(); ++i) EXPECT_EQ((*values)[i], want[i].get<double>());

  // The same gather from an in-memory window holding just the storage.
  auto storage = read_file(checkpoint->sources[0]);
  ASSERT_TRUE(storage);
  ByteView all = testing::as_bytes(*storage);
  std::vector<std::uint8_t> out(view.nbytes());
  ASSERT_TRUE(gather_elements(view, all.subspan(view.storage_begin, 24), view.storage_begin, out));
  EXPECT_EQ(out, *bytes);
  EXPECT_FALSE(gather_elements(view, all.subspan(view.storage_begin, 20), view.storage_begin, out));
}

TEST(TensorData, SwapsBigEndianElements) {
  auto expected = load_json("safetensors_expected.json")["good_basic.safetensors"];
  auto checkpoint = open_checkpoint(testing::data_path("good_basic.safetensors"));
  ASSERT_TRUE(checkpoint);
  TensorInfo be = *find_tensor(*checkpoint, "raw.be_f32");  // 24 raw bytes of big-endian F32
  be.dtype = DType::k_f32;
  be.shape = {6};
  be.strides = {1};
  be.big_endian = true;
  auto file = File::open_read(checkpoint->sources[0]);
  auto bytes = read_tensor_bytes(*file, be);
  ASSERT_TRUE(bytes) << bytes.error().message();
  auto values = to_doubles(DType::k_f32, *bytes);
  ASSERT_TRUE(values);
  const auto& want = expected["big_endian_f32"];
  ASSERT_EQ(values->size(), want.size());
  for (std::size_t i = 0; i < values->size(); ++i) EXPECT_EQ((*values)[i], want[i].get<double>());
}

TEST(TensorData, RefusesRangesBeyondTheFileAndOverflowingShapes) {
  auto checkpoint = open_checkpoint(testing::data_path("good_unpadded.safetensors"));
  ASSERT_TRUE(checkpoint);
  auto file = File::open_read(checkpoint->sources[0]);
  TensorInfo t = checkpoint->tensors[0];
  t.offset = file->size() - 2;  // 8 bytes needed, 2 left
  auto beyond = read_tensor_bytes(*file, t);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(beyond.error().message().find("beyond the end of the file"), std::string::npos);

  TensorInfo huge = checkpoint->tensors[0];
  huge.shape = {1ull << 40, 1ull << 40};
  huge.strides = contiguous_strides(huge.shape);
  auto overflow = read_tensor_bytes(*file, huge);
  ASSERT_FALSE(overflow);
  EXPECT_NE(overflow.error().message().find("overflows"), std::string::npos);

  TensorInfo big = checkpoint->tensors[0];
  big.shape = {1ull << 30};
  big.strides = {1};
  auto limited = read_tensor_bytes(*file, big, 1 << 20);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code(), ErrorCode::k_invalid_argument);

  TensorInfo bad_rank = checkpoint->tensors[0];
  bad_rank.strides = {};
  EXPECT_FALSE(read_tensor_bytes(*file, bad_rank));
}

TEST(TensorData, ConversionRefusesMismatchedSizes) {
  const std::uint8_t bytes[6] = {};
  std::vector<float> out(2);
  EXPECT_FALSE(convert_to_float(DType::k_f32, ByteView(bytes, 6), out));
  EXPECT_FALSE(to_doubles(DType::k_f32, ByteView(bytes, 6)));
  EXPECT_TRUE(to_doubles(DType::k_f16, ByteView(bytes, 6)));
}

}  // namespace
}  // namespace pedigree::formats
