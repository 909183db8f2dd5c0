// The model every reader produces: a table of tensors and where their bytes
// live, without the bytes themselves. Readers validate every location against
// the file before returning it, so consumers may trust a TensorInfo's ranges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/formats/pickle/pickle.hpp"

namespace pedigree::formats {

// Element types, spelled as safetensors spells them (dtype_name).
enum class DType : std::uint8_t {
  k_bool, k_u8, k_i8, k_i16, k_u16, k_f16, k_bf16, k_i32, k_u32, k_f32, k_f64, k_i64, k_u64,
  k_f8_e5m2, k_f8_e4m3,
};

std::size_t dtype_size(DType dtype);
// "F16", "BF16", ... as in the safetensors header.
std::string_view dtype_name(DType dtype);
// Inverse of dtype_name; nullopt for unknown spellings.
std::optional<DType> dtype_from_name(std::string_view name);
bool dtype_is_floating(DType dtype);

enum class Format : std::uint8_t { k_safetensors, k_torch_zip, k_torch_legacy, k_diffusers };
// "safetensors", "torch-zip", "torch-legacy", "diffusers".
std::string_view format_name(Format format);

// One tensor: its name as stored, type, shape and the bytes that hold it.
struct TensorInfo {
  std::string name;                  // nested dict keys joined with '.', as stored
  DType dtype = DType::k_f32;
  std::vector<std::uint64_t> shape;  // empty for a 0-d scalar tensor
  std::vector<std::uint64_t> strides;  // in elements; row-major for contiguous tensors
  std::uint32_t source = 0;          // index into Checkpoint::sources
  std::uint64_t offset = 0;          // absolute byte offset of the first element in the source
  std::uint64_t storage_begin = 0;   // byte range of the backing storage (shared storages overlap)
  std::uint64_t storage_end = 0;
  bool big_endian = false;           // legacy torch files may be big-endian

  std::uint64_t numel() const;
  std::uint64_t nbytes() const { return numel() * dtype_size(dtype); }
  // True when elements are densely packed in row-major order from `offset`.
  bool is_contiguous() const;
};

// Row-major element strides for `shape`.
std::vector<std::uint64_t> contiguous_strides(const std::vector<std::uint64_t>& shape);

// Everything a reader learns about a checkpoint without reading tensor data.
struct Checkpoint {
  Format format = Format::k_safetensors;
  std::vector<std::filesystem::path> sources;  // one file, or each file of a diffusers folder
  std::vector<std::uint64_t> source_sizes;     // bytes of each source
  std::vector<TensorInfo> tensors;
  // safetensors __metadata__ (merged over files for a diffusers folder).
  std::map<std::string, std::string> metadata;
  // Non-tensor leaves of a torch pickle (epoch, global_step, ...) rendered as text.
  std::map<std::string, std::string> scalars;
  // torch only: every global the pickle named, allowed or not (a refused one aborts parsing,
  // but inspect reports the full list it saw before refusing).
  std::vector<PickleGlobal> globals;
  // safetensors only: 8 + header length, where AutoV3 starts hashing.
  std::optional<std::uint64_t> data_start;
};

}  // namespace pedigree::formats
