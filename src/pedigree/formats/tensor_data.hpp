// Reading tensor elements and converting them to float or double.
//
// Readers (safetensors, torch) describe where each tensor's bytes live
// (TensorInfo); this file turns such a description into the elements
// themselves: row-major, densely packed, little-endian, whatever the storage
// layout (strided views are gathered, big-endian data byte-swapped). The
// conversions decode every stored dtype exactly (F16, BF16, F8_E4M3, F8_E5M2
// subnormals, infinities and NaNs included).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::formats {

// Byte range [begin, end) of the source file that holds every element of
// `tensor` (its first to its last element, strides considered). Corruption if
// the range overflows 64 bits. Empty range (begin == end) for a 0-element tensor.
struct ByteRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};
Result<ByteRange> tensor_byte_range(const TensorInfo& tensor);

// Copies the elements of `tensor` into `out` (exactly tensor.nbytes() bytes),
// row-major and little-endian. `window` holds the source bytes starting at file
// offset `window_offset` (the whole file, a map of it, or just the tensor's
// byte range). Corruption if any element falls outside the window or `out`
// has the wrong size; nothing is read outside `window`.
Result<void> gather_elements(const TensorInfo& tensor, ByteView window, std::uint64_t window_offset,
                             std::span<std::uint8_t> out);

// Reads the elements of `tensor` from the open source file `source` (which the
// caller picked as checkpoint.sources[tensor.source]), with positioned reads of
// just the tensor's byte range. Refuses tensors above `max_bytes` with
// InvalidArgument (memory is allocated up front); Corruption when the file is
// shorter than the tensor says; IOError when the read fails.
Result<std::vector<std::uint8_t>> read_tensor_bytes(const File& source, const TensorInfo& tensor,
                                                    std::uint64_t max_bytes = 4ull << 30);

// Convenience: opens checkpoint.sources[tensor.source] and reads tensor `index`.
Result<std::vector<std::uint8_t>> read_tensor_bytes(const Checkpoint& checkpoint, std::size_t index,
                                                    std::uint64_t max_bytes = 4ull << 30);

// Scalar decoders of the 16- and 8-bit float formats (bit patterns as stored).
// F8_E4M3 is the "fn" variant (torch.float8_e4m3fn: bias 7, no infinities,
// S.1111.111 is NaN, max 448); F8_E5M2 is IEEE-like (bias 15, has infinities).
float f16_to_float(std::uint16_t bits);
float bf16_to_float(std::uint16_t bits);
float f8_e4m3_to_float(std::uint8_t bits);
float f8_e5m2_to_float(std::uint8_t bits);

// Converts `count` little-endian elements of `dtype` from `elements` (exactly
// count x dtype_size bytes) into `out` (exactly `count` values). InvalidArgument
// when the sizes disagree. Every floating dtype converts to double exactly;
// to float, F64 rounds to nearest and I32/U32/I64/U64 round when beyond 2^24
// (2^53 for double). BOOL converts to 0 or 1 (any non-zero byte is 1).
Result<void> convert_to_float(DType dtype, ByteView elements, std::span<float> out);
Result<void> convert_to_double(DType dtype, ByteView elements, std::span<double> out);

// Convenience: converts the row-major little-endian bytes of a whole tensor.
Result<std::vector<float>> to_floats(DType dtype, ByteView elements);
Result<std::vector<double>> to_doubles(DType dtype, ByteView elements);

}  // namespace pedigree::formats
