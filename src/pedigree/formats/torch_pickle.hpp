// The part of PyTorch checkpoint reading shared by the zip and legacy formats:
// turning an interpreted pickle (formats/pickle.hpp) into tensors whose bytes
// live in storages, and placing those storages inside the file.
//
// Tensors come from torch._utils._rebuild_tensor_v2 / _v3 / _rebuild_tensor,
// wrapped or not in _rebuild_parameter(_with_state), torch.nn.Parameter or
// torch._tensor._rebuild_from_type_v2; storages from persistent ids
// ("storage", <torch.XStorage>, key, location, numel[, view_metadata]).
// Nested dicts, lists and tuples are flattened with '.'; a top-level
// `state_dict` dict (Lightning) is unwrapped; non-tensor leaves become scalars.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats::torch {

// A storage as a persistent id declares it.
struct StorageDecl {
  DType dtype = DType::k_u8;
  std::uint64_t numel = 0;  // elements of dtype
  std::string location;     // "cpu", "cuda:0", ...
};

// A tensor before its storage is placed in the file.
struct PendingTensor {
  TensorInfo info;                   // name, dtype, shape, strides; offsets not yet set
  std::string storage_key;           // the root storage it views
  std::uint64_t storage_offset = 0;  // in elements, from the start of the root storage
  // Legacy storage views: the [view_begin, view_begin + view_numel) elements of the root.
  std::uint64_t view_begin = 0;
  std::uint64_t view_numel = 0;
};

// What the object pickle of a checkpoint says, before storages are placed.
struct TorchObject {
  std::vector<PendingTensor> tensors;
  std::map<std::string, StorageDecl> storages;  // by key
  std::map<std::string, std::string> scalars;
  std::vector<PickleGlobal> globals;
};

// Interprets the object pickle. `where` names it in messages (e.g. "archive/data.pkl").
// Corruption for malformed persistent ids or tensor arguments, duplicate tensor
// names, or an extent outside its storage; NotSupported for sparse, quantized
// or complex tensors.
Result<TorchObject> read_torch_object(const pickle::Pickle& pickle, std::string_view where);

// Places every tensor: `storage_begin` gives the absolute byte offset where
// each storage key's bytes start (every key in `object.storages` must be
// present; each storage occupies numel * dtype_size bytes). Moves the tensors
// into `out.tensors` with absolute offsets and storage ranges set.
Result<void> place_tensors(TorchObject&& object,
                           const std::map<std::string, std::uint64_t>& storage_begin,
                           bool big_endian, Checkpoint& out);

// Parses a pickle and, when it references a disallowed global, replaces the
// error by one naming `where` and listing every disallowed global the pickle names.
Result<pickle::Pickle> parse_checked_pickle(ByteView bytes, std::uint64_t base_offset,
                                            std::string_view where);

}  // namespace pedigree::formats::torch
