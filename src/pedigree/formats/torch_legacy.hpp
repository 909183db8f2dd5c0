// PyTorch's legacy checkpoint format (torch.save before 1.6, or with
// _use_new_zipfile_serialization=False; docs/formats/torch-legacy.md).
//
// Five pickles back to back, then raw storages:
//   1. the magic number 0x1950a86a20f9469cfc6c   (torch/serialization.py MAGIC_NUMBER)
//   2. the protocol version 1001                  (PROTOCOL_VERSION)
//   3. sys_info: {protocol_version, little_endian, type_sizes}
//   4. the object, storages as persistent ids
//      ("storage", <torch.XStorage>, root_key, location, numel, view_metadata)
//   5. the list of storage keys, in the order their data follows
// then for each key: its element count (u64, byte order of sys_info) and its
// numel * element_size raw bytes.
#pragma once

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// True when `file` starts with the pickled legacy magic number.
bool looks_like_torch_legacy(ByteView file);

// Parses a legacy PyTorch checkpoint held in `file`. Tensors point into
// `file` (source 0; big_endian set from sys_info); `sources`/`source_sizes`
// are left to the caller. Corruption names the structure and offset at fault
// or the disallowed pickle globals; NotSupported for other protocol versions
// and tensor kinds pedigree does not read.
Result<Checkpoint> parse_torch_legacy(ByteView file);

}  // namespace pedigree::formats
