#include "pedigree/formats/tensor_data.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace pedigree::formats {
namespace {

std::string tensor_label(const TensorInfo& tensor) {
  return "tensor '" + tensor.name + "'";
}

Result<std::uint64_t> checked_nbytes(const TensorInfo& tensor) {
  std::uint64_t n = dtype_size(tensor.dtype);
  for (auto dim : tensor.shape) {
    if (__builtin_mul_overflow(n, dim, &n)) {
      return corruption(tensor_label(tensor) + ": byte size overflows 64 bits");
    }
  }
  return n;
}

// Reverses the bytes of each `width`-byte element in place (big-endian -> little-endian).
void swap_elements(std::span<std::uint8_t> bytes, std::size_t width) {
  if (width <= 1) return;
  for (std::size_t i = 0; i + width <= bytes.size(); i += width) {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                 bytes.begin() + static_cast<std::ptrdiff_t>(i + width));
  }
}

// Copies a strided tensor element by element; `base` points at element 0.
void gather_strided(const TensorInfo& tensor, const std::uint8_t* base, std::uint8_t* out) {
  const std::size_t width = dtype_size(tensor.dtype);
  const std::size_t rank = tensor.shape.size();
  const std::uint64_t inner = tensor.shape[rank - 1];
  const std::uint64_t inner_step = tensor.strides[rank - 1] * width;
  std::vector<std::uint64_t> index(rank, 0);
  for (;;) {
    std::uint64_t offset = 0;
    for (std::size_t d = 0; d + 1 < rank; ++d) offset += index[d] * tensor.strides[d] * width;
    const std::uint8_t* src = base + offset;
    if (inner_step == width) {
      std::memcpy(out, src, inner * width);
      out += inner * width;
    } else {
      for (std::uint64_t i = 0; i < inner; ++i, out += width) {
        std::memcpy(out, src + i * inner_step, width);
      }
    }
    // Advance the odometer over all but the last dimension.
    std::size_t d = rank - 1;
    for (;;) {
      if (d == 0) return;
      --d;
      if (++index[d] < tensor.shape[d]) break;
      index[d] = 0;
    }
  }
}

template <typename Out>
Out decode_one(DType dtype, const std::uint8_t* p) {
  switch (dtype) {
    case DType::k_bool: return *p != 0 ? Out{1} : Out{0};
    case DType::k_u8: return static_cast<Out>(*p);
    case DType::k_i8: return static_cast<Out>(static_cast<std::int8_t>(*p));
    case DType::k_i16: return static_cast<Out>(static_cast<std::int16_t>(load_le16(p)));
    case DType::k_u16: return static_cast<Out>(load_le16(p));
    case DType::k_f16: return static_cast<Out>(f16_to_float(load_le16(p)));
    case DType::k_bf16: return static_cast<Out>(bf16_to_float(load_le16(p)));
    case DType::k_i32: return static_cast<Out>(static_cast<std::int32_t>(load_le32(p)));
    case DType::k_u32: return static_cast<Out>(load_le32(p));
    case DType::k_f32: return static_cast<Out>(std::bit_cast<float>(load_le32(p)));
    case DType::k_f64: return static_cast<Out>(std::bit_cast<double>(load_le64(p)));
    case DType::k_i64: return static_cast<Out>(static_cast<std::int64_t>(load_le64(p)));
    case DType::k_u64: return static_cast<Out>(load_le64(p));
    case DType::k_f8_e5m2: return static_cast<Out>(f8_e5m2_to_float(*p));
    case DType::k_f8_e4m3: return static_cast<Out>(f8_e4m3_to_float(*p));
  }
  return Out{0};
}

// Every F16 bit pattern's value.
const std::array<float, 65536>& f16_values() {
  static const auto table = [] {
    std::array<float, 65536> t{};
    for (std::uint32_t bits = 0; bits < t.size(); ++bits)
      t[bits] = f16_to_float(static_cast<std::uint16_t>(bits));
    return t;
  }();
  return table;
}

template <typename Out>
Result<void> convert(DType dtype, ByteView elements, std::span<Out> out) {
  const std::size_t width = dtype_size(dtype);
  if (elements.size() != out.size() * width) {
    return invalid_argument("convert " + std::string(dtype_name(dtype)) + ": " +
                            std::to_string(elements.size()) + " bytes for " +
                            std::to_string(out.size()) + " elements of " + std::to_string(width) +
                            " bytes");
  }
  const std::uint8_t* p = elements.data();
  // The two dtypes of nearly every checkpoint, without the per-element switch (a fifth
  // of a re-alignment pass went to it, measured with perf): F16 through a table of all
  // 65,536 patterns (built once from f16_to_float, so exact), BF16 by its shift.
  if (dtype == DType::k_f16) {
    const auto& table = f16_values();
    for (auto& value : out) {
      value = static_cast<Out>(table[load_le16(p)]);
      p += 2;
    }
    return {};
  }
  if (dtype == DType::k_bf16) {
    for (auto& value : out) {
      value = static_cast<Out>(bf16_to_float(load_le16(p)));
      p += 2;
    }
    return {};
  }
  for (auto& value : out) {
    value = decode_one<Out>(dtype, p);
    p += width;
  }
  return {};
}

template <typename Out>
Result<std::vector<Out>> convert_all(DType dtype, ByteView elements) {
  const std::size_t width = dtype_size(dtype);
  if (elements.size() % width != 0) {
    return invalid_argument("convert " + std::string(dtype_name(dtype)) + ": " +
                            std::to_string(elements.size()) + " bytes is not a whole number of " +
                            std::to_string(width) + "-byte elements");
  }
  std::vector<Out> out(elements.size() / width);
  PD_TRY(convert<Out>(dtype, elements, out));
  return out;
}

}  // namespace

Result<ByteRange> tensor_byte_range(const TensorInfo& tensor) {
  PD_ASSIGN_OR_RETURN(std::uint64_t nbytes, checked_nbytes(tensor));
  if (nbytes == 0) return ByteRange{tensor.offset, tensor.offset};
  if (tensor.strides.size() != tensor.shape.size()) {
    return corruption(tensor_label(tensor) + ": " + std::to_string(tensor.strides.size()) +
                      " strides for " + std::to_string(tensor.shape.size()) + " dimensions");
  }
  const std::uint64_t width = dtype_size(tensor.dtype);
  std::uint64_t last = 0;  // element index of the last element, relative to offset
  bool overflow = false;
  for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
    std::uint64_t step = 0;
    overflow |= __builtin_mul_overflow(tensor.shape[d] - 1, tensor.strides[d], &step);
    overflow |= __builtin_add_overflow(last, step, &last);
  }
  std::uint64_t end = 0;
  overflow |= __builtin_mul_overflow(last, width, &end);
  overflow |= __builtin_add_overflow(end, width, &end);
  overflow |= __builtin_add_overflow(end, tensor.offset, &end);
  if (overflow) return corruption(tensor_label(tensor) + ": byte range overflows 64 bits");
  return ByteRange{tensor.offset, end};
}

Result<void> gather_elements(const TensorInfo& tensor, ByteView window, std::uint64_t window_offset,
                             std::span<std::uint8_t> out) {
  PD_ASSIGN_OR_RETURN(std::uint64_t nbytes, checked_nbytes(tensor));
  if (out.size() != nbytes) {
    return invalid_argument(tensor_label(tensor) + ": output holds " + std::to_string(out.size()) +
                            " bytes, tensor needs " + std::to_string(nbytes));
  }
  if (nbytes == 0) return {};
  PD_ASSIGN_OR_RETURN(ByteRange range, tensor_byte_range(tensor));
  if (range.begin < window_offset || range.end - window_offset > window.size()) {
    return corruption(tensor_label(tensor) + ": bytes " + std::to_string(range.begin) + ".." +
                      std::to_string(range.end) + " lie outside the readable bytes " +
                      std::to_string(window_offset) + ".." +
                      std::to_string(window_offset + window.size()));
  }
  const std::uint8_t* base = window.data() + (range.begin - window_offset);
  if (tensor.is_contiguous()) {
    std::memcpy(out.data(), base, nbytes);
  } else {
    gather_strided(tensor, base, out.data());
  }
  if (tensor.big_endian) swap_elements(out, dtype_size(tensor.dtype));
  return {};
}

Result<std::vector<std::uint8_t>> read_tensor_bytes(const File& source, const TensorInfo& tensor,
                                                    std::uint64_t max_bytes) {
  PD_ASSIGN_OR_RETURN(std::uint64_t nbytes, checked_nbytes(tensor));
  PD_ASSIGN_OR_RETURN(ByteRange range, tensor_byte_range(tensor));
  const std::uint64_t span = range.end - range.begin;
  if (nbytes > max_bytes || span > max_bytes) {
    return invalid_argument(source.path().string() + ": " + tensor_label(tensor) + " spans " +
                            std::to_string(std::max(nbytes, span)) + " bytes, above the limit of " +
                            std::to_string(max_bytes));
  }
  if (range.end > source.size()) {
    return corruption(source.path().string() + ": " + tensor_label(tensor) + ": bytes " +
                      std::to_string(range.begin) + ".." + std::to_string(range.end) +
                      " lie beyond the end of the file (" + std::to_string(source.size()) +
                      " bytes)");
  }
  std::vector<std::uint8_t> out(nbytes);
  if (nbytes == 0) return out;
  if (tensor.is_contiguous()) {
    PD_TRY(source.read_exact(range.begin, out));
    if (tensor.big_endian) swap_elements(out, dtype_size(tensor.dtype));
    return out;
  }
  std::vector<std::uint8_t> window(span);
  PD_TRY(source.read_exact(range.begin, window));
  PD_TRY(gather_elements(tensor, window, range.begin, out));
  return out;
}

Result<std::vector<std::uint8_t>> read_tensor_bytes(const Checkpoint& checkpoint, std::size_t index,
                                                    std::uint64_t max_bytes) {
  if (index >= checkpoint.tensors.size()) {
    return invalid_argument("tensor index " + std::to_string(index) + " out of range (" +
                            std::to_string(checkpoint.tensors.size()) + " tensors)");
  }
  const TensorInfo& tensor = checkpoint.tensors[index];
  if (tensor.source >= checkpoint.sources.size()) {
    return invalid_argument(tensor_label(tensor) + ": source " + std::to_string(tensor.source) +
                            " out of range");
  }
  PD_ASSIGN_OR_RETURN(File file, File::open_read(checkpoint.sources[tensor.source]));
  return read_tensor_bytes(file, tensor, max_bytes);
}

float f16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  const std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa x 2^-24, exact in float
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

float f8_e4m3_to_float(std::uint8_t bits) {
  const bool negative = (bits & 0x80u) != 0;
  const int exponent = (bits >> 3) & 0xF;
  const int mantissa = bits & 0x7;
  if (exponent == 0xF && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  float magnitude = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -9)
                                  : std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);
  return negative ? -magnitude : magnitude;
}

float f8_e5m2_to_float(std::uint8_t bits) {
  const bool negative = (bits & 0x80u) != 0;
  const int exponent = (bits >> 2) & 0x1F;
  const int mantissa = bits & 0x3;
  float magnitude = 0;
  if (exponent == 0x1F) {
    if (mantissa != 0) return std::numeric_limits<float>::quiet_NaN();
    magnitude = std::numeric_limits<float>::infinity();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -16);
  } else {
    magnitude = std::ldexp(static_cast<float>(4 + mantissa), exponent - 17);
  }
  return negative ? -magnitude : magnitude;
}

Result<void> convert_to_float(DType dtype, ByteView elements, std::span<float> out) {
  return convert<float>(dtype, elements, out);
}
Result<void> convert_to_double(DType dtype, ByteView elements, std::span<double> out) {
  return convert<double>(dtype, elements, out);
}
Result<std::vector<float>> to_floats(DType dtype, ByteView elements) {
  return convert_all<float>(dtype, elements);
}
Result<std::vector<double>> to_doubles(DType dtype, ByteView elements) {
  return convert_all<double>(dtype, elements);
}

}  // namespace pedigree::formats
