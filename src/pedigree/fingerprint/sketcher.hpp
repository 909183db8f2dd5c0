// Internal to fingerprint/: the spec v1 hash functions, fp16 conversions and
// the streaming sketch of one tensor. See docs/formats/fingerprint-v1.md.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint::detail {

// splitmix64's output function (a bijection on 64-bit words).
inline std::uint64_t mix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Seed of a tensor: mix64(FNV-1a 64 of the canonical name's bytes).
std::uint64_t name_seed(std::string_view canonical_name);

// Domain tags xor-ed into the name seed before mixing, one per hash family.
inline constexpr std::uint64_t k_tag_row = 0x726f77;            // "row"
inline constexpr std::uint64_t k_tag_col = 0x636f6c;            // "col"
inline constexpr std::uint64_t k_tag_flat = 0x666c6174;         // "flat"
inline constexpr std::uint64_t k_value_hash_init = 0x66703136;  // "fp16"

// IEEE binary16 <-> binary32, round to nearest even (NaN keeps a quiet payload).
float half_to_float(std::uint16_t half);
std::uint16_t float_to_half(float value);

// True when a tensor of this dtype is fingerprinted: every float dtype (F16, BF16,
// F32, F64, F8_E4M3, F8_E5M2).
bool sketchable_dtype(formats::DType dtype);

// Sketch dimensions of a tensor: matrix form when it has >= 2 dimensions and
// both rows (shape[0]) and columns (product of the rest) exceed 1.
struct Layout {
  bool matrix = false;
  std::uint64_t rows = 1, cols = 1;  // the tensor viewed as a matrix (flat: 1 x numel)
  std::uint32_t sketch_rows = 1, sketch_cols = 1;
};
Layout layout_for(const std::vector<std::uint64_t>& shape, const SketchSize& size);

// Accumulates one tensor's elements, in order, into its sketch and value hash.
class TensorSketcher {
public:
  TensorSketcher(std::string canonical_name, Placement placement, formats::DType dtype,
                 std::vector<std::uint64_t> shape, const SketchParams& params);

  // Elements [first_element, first_element + n) as little-endian bytes of the dtype.
  // Pieces must arrive in order; an out-of-order piece marks the sketch failed.
  void add(std::uint64_t first_element, ByteView elements);
  // Ends the tensor. Corruption if elements are missing or arrived out of order.
  Result<TensorSketch> finish();

private:
  template <typename Decoder>
  void add_matrix(const std::uint8_t* data, std::size_t count);
  template <typename Decoder>
  void add_flat(const std::uint8_t* data, std::size_t count);
  void flush_row();
  // Value hash of F16 elements straight from their bytes (same result as push_half per element).
  void hash_half_bytes(const std::uint8_t* data, std::size_t count);
  // Value hash of elements of another dtype: converted to fp16 in blocks, then hashed in bulk.
  template <typename Decoder>
  void hash_converted(const std::uint8_t* data, std::size_t count);
  void push_half(std::uint16_t half) {
    m_word |= static_cast<std::uint64_t>(half) << (16 * m_word_fill);
    if (++m_word_fill == 4) {
      absorb(m_word);
      m_word = 0;
      m_word_fill = 0;
    }
  }
  // Word w of the tensor goes to lane w mod 4 (four independent chains, so hashing keeps pace).
  void absorb(std::uint64_t word) {
    std::uint64_t& lane = m_lanes[m_words++ & 3];
    lane = mix64(lane ^ word);
  }

  TensorSketch m_out;
  formats::DType m_dtype;
  Layout m_layout;
  std::uint64_t m_seed;
  std::uint64_t m_next = 0;  // next expected element index
  bool m_failed = false;
  // Matrix form: per-column bucket and sign-bit mask, current row position and partial sums.
  std::vector<std::uint16_t> m_col_bucket;
  std::vector<std::uint64_t> m_col_mask;
  std::uint64_t m_col = 0;
  std::uint64_t m_row = 0;
  std::vector<double> m_row_sums;
  // Value hash state: fp16 words packed four at a time.
  std::uint64_t m_lanes[4] = {mix64(k_value_hash_init + 0), mix64(k_value_hash_init + 1),
                              mix64(k_value_hash_init + 2), mix64(k_value_hash_init + 3)};
  std::uint64_t m_words = 0;  // words absorbed so far
  std::uint64_t m_word = 0;
  unsigned m_word_fill = 0;
};

}  // namespace pedigree::fingerprint::detail
