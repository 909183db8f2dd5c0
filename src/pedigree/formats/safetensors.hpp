// Reader for safetensors files (huggingface/safetensors; docs/formats/safetensors.md).
//
//   [u64 LE header length N][N bytes of UTF-8 JSON, may end in spaces][data buffer]
//
// The JSON maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets
// relative to the data buffer), plus an optional "__metadata__" string->string map.
// Validation is strict: anything the reference implementation would refuse, and
// everything ambiguous (duplicate keys, unknown fields), is refused here.
#pragma once

#include <cstdint>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// Largest header pedigree accepts, in bytes (the reference implementation's
// MAX_HEADER_SIZE, safetensors/src/tensor.rs).
inline constexpr std::uint64_t k_safetensors_max_header = 100'000'000;

// Parses the whole file `file` (typically a MappedFile's bytes; the data buffer
// is bounds-checked but not read). Returns a Checkpoint whose tensors carry
// absolute byte offsets into `file`, row-major strides and storage ranges equal
// to their byte ranges, listed in header order; `metadata` holds __metadata__
// and `data_start` is 8 + N. `sources`/`source_sizes` are left for the caller.
// The result holds no pointer into `file`.
//
// Errors: Corruption for every violation, naming the field or tensor and the
// file offset at fault: header length beyond the file or above
// k_safetensors_max_header; header not starting with '{', not valid UTF-8, not
// a JSON object, duplicate keys, unknown fields; unknown dtype; shape elements
// that are not non-negative integers or whose product overflows; a byte span
// that differs from shape x dtype size; offsets outside the data buffer;
// overlapping tensors; holes between tensors or bytes left over at the end.
Result<Checkpoint> parse_safetensors(ByteView file);

// The same checks for a file of `file_size` bytes of which only the first
// `head.size()` are at hand (a stream): `head` must hold at least the length
// field and the whole header (else Corruption "only N of M header bytes");
// tensor offsets are checked against `file_size`. Used by uploads that are
// hashed as they arrive (scan/stream.hpp).
Result<Checkpoint> parse_safetensors_header(ByteView head, std::uint64_t file_size);

// True when `file` plausibly is a safetensors file (used by open_checkpoint to
// pick a parser): the header begins with '{'; or the 8-byte length is at most
// k_safetensors_max_header, fits the file and the header begins with JSON
// whitespace or '['; or the file is exactly such a length field. Cheap.
bool looks_like_safetensors(ByteView file);

}  // namespace pedigree::formats
