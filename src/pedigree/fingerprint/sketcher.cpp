#include "pedigree/fingerprint/sketcher.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>

#include "pedigree/fingerprint/half_convert.hpp"
#include "pedigree/formats/tensor_data.hpp"

namespace pedigree::fingerprint::detail {
namespace {

// fp16 bits -> float, with infinities and NaNs mapped to 0 (they never enter a sketch).
const std::array<float, 65536>& finite_half_table() {
  static const auto table = [] {
    auto t = std::make_unique<std::array<float, 65536>>();
    for (std::uint32_t h = 0; h < 65536; ++h) {
      float v = half_to_float(static_cast<std::uint16_t>(h));
      (*t)[h] = std::isfinite(v) ? v : 0.0f;
    }
    return t;
  }();
  return *table;
}

struct DecodeF16 {
  static constexpr std::size_t k_size = 2;
  static constexpr std::uint64_t k_sign = 0x8000;
  static std::uint64_t load(const std::uint8_t* p) { return load_le16(p); }
  static std::uint16_t to_half(std::uint64_t bits) { return static_cast<std::uint16_t>(bits); }
  static double value(const std::array<float, 65536>& table, std::uint64_t bits) {
    return table[bits];
  }
};

struct DecodeBF16 {
  static constexpr std::size_t k_size = 2;
  static constexpr std::uint64_t k_sign = 0x8000;
  static std::uint64_t load(const std::uint8_t* p) { return load_le16(p); }
  static float as_float(std::uint64_t bits) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(bits << 16));
  }
  static std::uint16_t to_half(std::uint64_t bits) { return float_to_half(as_float(bits)); }
  static double value(const std::array<float, 65536>&, std::uint64_t bits) {
    float v = as_float(bits);
    return std::isfinite(v) ? v : 0.0;
  }
};

struct DecodeF32 {
  static constexpr std::size_t k_size = 4;
  static constexpr std::uint64_t k_sign = 0x80000000u;
  static std::uint64_t load(const std::uint8_t* p) { return load_le32(p); }
  static std::uint16_t to_half(std::uint64_t bits) {
    return float_to_half(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
  }
  static double value(const std::array<float, 65536>&, std::uint64_t bits) {
    float v = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    return std::isfinite(v) ? v : 0.0;
  }
};

struct DecodeF64 {
  static constexpr std::size_t k_size = 8;
  static constexpr std::uint64_t k_sign = 0x8000000000000000ull;
  static std::uint64_t load(const std::uint8_t* p) { return load_le64(p); }
  static std::uint16_t to_half(std::uint64_t bits) {
    return float_to_half(static_cast<float>(std::bit_cast<double>(bits)));
  }
  static double value(const std::array<float, 65536>&, std::uint64_t bits) {
    double v = std::bit_cast<double>(bits);
    return std::isfinite(v) ? v : 0.0;
  }
};

// fp8 bits -> float (formats/tensor_data's decoders, which follow the OCP FP8
// spec), with NaNs and infinities mapped to 0 like the other dtypes.
using Fp8Table = std::array<float, 256>;
template <float (*Decode)(std::uint8_t)>
const Fp8Table& fp8_table() {
  static const Fp8Table table = [] {
    Fp8Table t{};
    for (unsigned b = 0; b < 256; ++b) {
      const float v = Decode(static_cast<std::uint8_t>(b));
      t[b] = std::isfinite(v) ? v : 0.0f;
    }
    return t;
  }();
  return table;
}

// Every finite fp8 value (E4M3: |x| <= 448, down to 2^-9; E5M2: |x| <= 57344, down to
// 2^-16) is exact in fp16, so the value hash sees the stored values themselves.
template <float (*Decode)(std::uint8_t)>
struct DecodeF8 {
  static constexpr std::size_t k_size = 1;
  static constexpr std::uint64_t k_sign = 0x80;
  static std::uint64_t load(const std::uint8_t* p) { return *p; }
  static std::uint16_t to_half(std::uint64_t bits) { return float_to_half(Decode(bits & 0xff)); }
  static double value(const std::array<float, 65536>&, std::uint64_t bits) {
    return fp8_table<Decode>()[bits & 0xff];
  }
};
using DecodeF8E4M3 = DecodeF8<formats::f8_e4m3_to_float>;
using DecodeF8E5M2 = DecodeF8<formats::f8_e5m2_to_float>;

std::uint64_t sign_bit_for(formats::DType dtype) {
  switch (dtype) {
    case formats::DType::k_f8_e4m3:
    case formats::DType::k_f8_e5m2: return 0x80;
    case formats::DType::k_f16: return DecodeF16::k_sign;
    case formats::DType::k_bf16: return DecodeBF16::k_sign;
    case formats::DType::k_f32: return DecodeF32::k_sign;
    default: return DecodeF64::k_sign;
  }
}

}  // namespace

std::uint64_t name_seed(std::string_view canonical_name) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char ch : canonical_name) {
    h ^= static_cast<std::uint8_t>(ch);
    h *= 0x100000001b3ull;
  }
  return mix64(h);
}

float half_to_float(std::uint16_t half) {
  std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000) << 16;
  std::uint32_t exponent = (half >> 10) & 0x1f;
  std::uint32_t mantissa = half & 0x3ff;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in binary32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

std::uint16_t float_to_half(float value) {
  std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000);
  std::uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // infinity or NaN
    if (magnitude == 0x7f800000u) return sign | 0x7c00;
    return static_cast<std::uint16_t>(sign | 0x7e00 | ((magnitude >> 13) & 0x3ff));
  }
  if (magnitude >= 0x477ff000u) return sign | 0x7c00;              // >= 65520 rounds to infinity
  if (magnitude < 0x38800000u) {                                   // below 2^-14: subnormal or zero
    float scaled = std::bit_cast<float>(magnitude) * 16777216.0f;  // exact: times 2^24
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(scaled)));
  }
  std::uint32_t rebased = magnitude - 0x38000000u;  // exponent bias 127 -> 15
  std::uint32_t rounded = (rebased + 0xfffu + ((rebased >> 13) & 1u)) >> 13;
  return static_cast<std::uint16_t>(sign | rounded);
}

bool sketchable_dtype(formats::DType dtype) {
  return dtype == formats::DType::k_f16 || dtype == formats::DType::k_bf16 ||
         dtype == formats::DType::k_f32 || dtype == formats::DType::k_f64 ||
         dtype == formats::DType::k_f8_e4m3 || dtype == formats::DType::k_f8_e5m2;
}

Layout layout_for(const std::vector<std::uint64_t>& shape, const SketchSize& size) {
  Layout layout;
  std::uint64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (shape.size() >= 2 && shape[0] > 1 && numel / shape[0] > 1) {
    layout.matrix = true;
    layout.rows = shape[0];
    layout.cols = numel / shape[0];
    layout.sketch_rows =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(size.matrix_side, layout.rows));
    layout.sketch_cols =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(size.matrix_side, layout.cols));
  } else {
    layout.cols = numel;
    layout.sketch_cols = static_cast<std::uint32_t>(
        std::max<std::uint64_t>(1, std::min<std::uint64_t>(size.flat_buckets, numel)));
  }
  return layout;
}

TensorSketcher::TensorSketcher(std::string canonical_name, Placement placement,
                               formats::DType dtype, std::vector<std::uint64_t> shape,
                               const SketchParams& params)
    : m_dtype(dtype),
      m_layout(layout_for(shape, params.of(placement.component))),
      m_seed(name_seed(canonical_name)) {
  m_out.name = std::move(canonical_name);
  m_out.component = placement.component;
  m_out.block = placement.block;
  m_out.shape = std::move(shape);
  m_out.matrix = m_layout.matrix;
  m_out.rows = m_layout.sketch_rows;
  m_out.cols = m_layout.sketch_cols;
  m_out.cells.assign(static_cast<std::size_t>(m_out.rows) * m_out.cols, 0.0);
  if (m_layout.matrix) {
    const std::uint64_t col_seed = mix64(m_seed ^ k_tag_col);
    const std::uint64_t sign_bit = sign_bit_for(dtype);
    m_col_bucket.resize(m_layout.cols);
    m_col_mask.resize(m_layout.cols);
    for (std::uint64_t c = 0; c < m_layout.cols; ++c) {
      std::uint64_t h = mix64(col_seed + c);
      m_col_bucket[c] = static_cast<std::uint16_t>((h >> 32) % m_layout.sketch_cols);
      m_col_mask[c] = (h & 1) ? sign_bit : 0;
    }
    m_row_sums.assign(m_layout.sketch_cols, 0.0);
  }
}

void TensorSketcher::hash_half_bytes(const std::uint8_t* data, std::size_t count) {
  std::size_t i = 0;
  for (; i < count && m_word_fill != 0; ++i) push_half(load_le16(data + 2 * i));
  // Whole words: four little-endian fp16 values are exactly the next 8 bytes.
  for (; i + 4 <= count && (m_words & 3) != 0; i += 4) absorb(load_le64(data + 2 * i));
  for (; i + 16 <= count; i += 16) {  // one word per lane: four independent dependency chains
    m_lanes[0] = mix64(m_lanes[0] ^ load_le64(data + 2 * i));
    m_lanes[1] = mix64(m_lanes[1] ^ load_le64(data + 2 * i + 8));
    m_lanes[2] = mix64(m_lanes[2] ^ load_le64(data + 2 * i + 16));
    m_lanes[3] = mix64(m_lanes[3] ^ load_le64(data + 2 * i + 24));
    m_words += 4;
  }
  for (; i + 4 <= count; i += 4) absorb(load_le64(data + 2 * i));
  for (; i < count; ++i) push_half(load_le16(data + 2 * i));
}

template <typename Decoder>
void TensorSketcher::hash_converted(const std::uint8_t* data, std::size_t count) {
  constexpr std::size_t k_block = 2048;  // values converted per block (4 KiB of fp16 on the stack)
  std::uint8_t halves[2 * k_block];
  for (std::size_t first = 0; first < count; first += k_block) {
    const std::size_t n = std::min(k_block, count - first);
    const std::uint8_t* in = data + first * Decoder::k_size;
    if constexpr (std::is_same_v<Decoder, DecodeF32>) {
      f32_bytes_to_half_bytes(in, n, halves);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t h = Decoder::to_half(Decoder::load(in + i * Decoder::k_size));
        halves[2 * i] = static_cast<std::uint8_t>(h & 0xff);
        halves[2 * i + 1] = static_cast<std::uint8_t>(h >> 8);
      }
    }
    hash_half_bytes(halves, n);
  }
}

void TensorSketcher::flush_row() {
  const std::uint64_t h = mix64(mix64(m_seed ^ k_tag_row) + m_row);
  double* row = m_out.cells.data() + ((h >> 32) % m_layout.sketch_rows) * m_layout.sketch_cols;
  if (h & 1) {
    for (std::uint32_t k = 0; k < m_layout.sketch_cols; ++k) row[k] -= m_row_sums[k];
  } else {
    for (std::uint32_t k = 0; k < m_layout.sketch_cols; ++k) row[k] += m_row_sums[k];
  }
  std::fill(m_row_sums.begin(), m_row_sums.end(), 0.0);
  m_col = 0;
  ++m_row;
}

template <typename Decoder>
void TensorSketcher::add_matrix(const std::uint8_t* data, std::size_t count) {
  const auto& table = finite_half_table();
  double* sums = m_row_sums.data();
  const std::uint16_t* buckets = m_col_bucket.data();
  const std::uint64_t* masks = m_col_mask.data();
  const std::uint64_t cols = m_layout.cols;
  std::uint64_t col = m_col;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t bits = Decoder::load(data + i * Decoder::k_size);
    sums[buckets[col]] += Decoder::value(table, bits ^ masks[col]);
    if (++col == cols) {
      flush_row();
      col = 0;
    }
  }
  m_col = col;
}

template <typename Decoder>
void TensorSketcher::add_flat(const std::uint8_t* data, std::size_t count) {
  const auto& table = finite_half_table();
  const std::uint64_t flat_seed = mix64(m_seed ^ k_tag_flat);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t bits = Decoder::load(data + i * Decoder::k_size);
    const std::uint64_t h = mix64(flat_seed + m_next + i);
    double& cell = m_out.cells[(h >> 32) % m_layout.sketch_cols];
    const double v = Decoder::value(table, bits);
    if (h & 1) {
      cell -= v;
    } else {
      cell += v;
    }
  }
}

void TensorSketcher::add(std::uint64_t first_element, ByteView elements) {
  const std::size_t size = formats::dtype_size(m_dtype);
  const std::size_t count = elements.size() / size;
  if (m_failed || first_element != m_next || elements.size() % size != 0 ||
      count > m_layout.rows * m_layout.cols - m_next) {
    m_failed = true;
    return;
  }
  const std::uint8_t* data = elements.data();
  switch (m_dtype) {  // the value hash: fp16 values, converted in blocks unless stored so
    case formats::DType::k_f16: hash_half_bytes(data, count); break;
    case formats::DType::k_bf16: hash_converted<DecodeBF16>(data, count); break;
    case formats::DType::k_f32: hash_converted<DecodeF32>(data, count); break;
    case formats::DType::k_f64: hash_converted<DecodeF64>(data, count); break;
    case formats::DType::k_f8_e4m3: hash_converted<DecodeF8E4M3>(data, count); break;
    case formats::DType::k_f8_e5m2: hash_converted<DecodeF8E5M2>(data, count); break;
    default: break;
  }
  switch (m_dtype) {
    case formats::DType::k_f16:
      m_layout.matrix ? add_matrix<DecodeF16>(data, count) : add_flat<DecodeF16>(data, count);
      break;
    case formats::DType::k_bf16:
      m_layout.matrix ? add_matrix<DecodeBF16>(data, count) : add_flat<DecodeBF16>(data, count);
      break;
    case formats::DType::k_f32:
      m_layout.matrix ? add_matrix<DecodeF32>(data, count) : add_flat<DecodeF32>(data, count);
      break;
    case formats::DType::k_f64:
      m_layout.matrix ? add_matrix<DecodeF64>(data, count) : add_flat<DecodeF64>(data, count);
      break;
    case formats::DType::k_f8_e4m3:
      m_layout.matrix ? add_matrix<DecodeF8E4M3>(data, count) : add_flat<DecodeF8E4M3>(data, count);
      break;
    case formats::DType::k_f8_e5m2:
      m_layout.matrix ? add_matrix<DecodeF8E5M2>(data, count) : add_flat<DecodeF8E5M2>(data, count);
      break;
    default: m_failed = true; return;
  }
  m_next += count;
}

Result<TensorSketch> TensorSketcher::finish() {
  const std::uint64_t numel = m_layout.rows * m_layout.cols;
  if (m_failed || m_next != numel) {
    return corruption("tensor '" + m_out.name + "': received " + std::to_string(m_next) + " of " +
                      std::to_string(numel) + " elements" + (m_failed ? " (out of order)" : ""));
  }
  if (m_word_fill != 0) absorb(m_word);
  std::uint64_t h = mix64(m_lanes[0]);
  for (int lane = 1; lane < 4; ++lane) h = mix64(h ^ m_lanes[lane]);
  m_out.value_hash = mix64(h ^ numel);
  m_col_bucket = {};
  m_col_mask = {};
  return std::move(m_out);
}

}  // namespace pedigree::fingerprint::detail
