#include "pedigree/formats/tensor.hpp"

#include <array>

namespace pedigree::formats {
namespace {

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  std::size_t size;
  bool floating;
};

constexpr std::array<DTypeEntry, 15> k_dtypes = {{
    {DType::k_bool, "BOOL", 1, false},
    {DType::k_u8, "U8", 1, false},
    {DType::k_i8, "I8", 1, false},
    {DType::k_i16, "I16", 2, false},
    {DType::k_u16, "U16", 2, false},
    {DType::k_f16, "F16", 2, true},
    {DType::k_bf16, "BF16", 2, true},
    {DType::k_i32, "I32", 4, false},
    {DType::k_u32, "U32", 4, false},
    {DType::k_f32, "F32", 4, true},
    {DType::k_f64, "F64", 8, true},
    {DType::k_i64, "I64", 8, false},
    {DType::k_u64, "U64", 8, false},
    {DType::k_f8_e5m2, "F8_E5M2", 1, true},
    {DType::k_f8_e4m3, "F8_E4M3", 1, true},
}};

const DTypeEntry& entry(DType dtype) { return k_dtypes[static_cast<std::size_t>(dtype)]; }

}  // namespace

std::size_t dtype_size(DType dtype) { return entry(dtype).size; }
std::string_view dtype_name(DType dtype) { return entry(dtype).name; }
bool dtype_is_floating(DType dtype) { return entry(dtype).floating; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& e : k_dtypes) {
    if (e.name == name) return e.dtype;
  }
  return std::nullopt;
}

std::string_view format_name(Format format) {
  switch (format) {
  case Format::k_safetensors: return "safetensors";
  case Format::k_torch_zip: return "torch-zip";
  case Format::k_torch_legacy: return "torch-legacy";
  case Format::k_diffusers: return "diffusers";
  }
  return "unknown";
}

std::uint64_t TensorInfo::numel() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::vector<std::uint64_t> contiguous_strides(const std::vector<std::uint64_t>& shape) {
  std::vector<std::uint64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

bool TensorInfo::is_contiguous() const {
  if (numel() <= 1) return true;
  std::uint64_t expected = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;  // stride of a size-1 dimension is irrelevant
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

}  // namespace pedigree::formats
