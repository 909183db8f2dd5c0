// PyTorch's zip checkpoint format (torch.save since 1.6; docs/formats/torch-zip.md).
//
// A zip archive (stored entries, usually ZIP64-capable) with one top-level
// directory <dir>: <dir>/data.pkl (the object pickle), <dir>/data/<key> (one
// raw storage per key), <dir>/version and, since torch 2.x, <dir>/byteorder.
#pragma once

#include <string>
#include <string_view>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// Largest data.pkl read (real SD checkpoints: ~100 KiB).
inline constexpr std::uint64_t k_torch_max_pickle_bytes = 256ull << 20;

// Parses a PyTorch zip checkpoint held in `file` (e.g. a MappedFile's bytes).
// The result's tensors point into `file` (source 0); `sources` and
// `source_sizes` are left for the caller to fill. Every tensor's extent is
// checked against its storage entry. Corruption names the entry and offset at
// fault, or the disallowed pickle globals; NotSupported for deflated storages
// and tensor kinds pedigree does not read (sparse, quantized, complex).
Result<Checkpoint> parse_torch_zip(ByteView file);

// The <dir>/version record (ASCII digits, 1..64): Corruption when malformed,
// NotSupported for a version pedigree does not read. `name` names the entry.
Result<void> check_torch_version_record(std::string_view record, const std::string& name);

// The <dir>/byteorder record: true for "big", false for "little".
Result<bool> torch_byteorder_is_big(std::string_view record, const std::string& name);

}  // namespace pedigree::formats
