#include "pedigree/formats/torch_pickle.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

namespace pedigree::formats::torch {
namespace {

using pickle::Kind;
using pickle::Pickle;
using pickle::Value;
using pickle::ValueId;

struct NamedDType {
  std::string_view name;
  DType dtype;
};

// torch.<Name>Storage element types (torch/storage.py _dtype_to_storage_type_map).
constexpr std::array<NamedDType, 11> k_storage_dtypes = {{
    {"HalfStorage", DType::k_f16},
    {"FloatStorage", DType::k_f32},
    {"DoubleStorage", DType::k_f64},
    {"BFloat16Storage", DType::k_bf16},
    {"LongStorage", DType::k_i64},
    {"IntStorage", DType::k_i32},
    {"ShortStorage", DType::k_i16},
    {"CharStorage", DType::k_i8},
    {"ByteStorage", DType::k_u8},
    {"BoolStorage", DType::k_bool},
    {"UntypedStorage", DType::k_u8},
}};

// torch.<dtype> globals (as _rebuild_tensor_v3 receives them).
constexpr std::array<NamedDType, 15> k_torch_dtypes = {{
    {"float16", DType::k_f16},
    {"half", DType::k_f16},
    {"float32", DType::k_f32},
    {"float", DType::k_f32},
    {"float64", DType::k_f64},
    {"double", DType::k_f64},
    {"bfloat16", DType::k_bf16},
    {"int64", DType::k_i64},
    {"long", DType::k_i64},
    {"int32", DType::k_i32},
    {"int", DType::k_i32},
    {"int16", DType::k_i16},
    {"int8", DType::k_i8},
    {"uint8", DType::k_u8},
    {"bool", DType::k_bool},
}};

constexpr std::size_t k_max_depth = 1000;  // nesting of dicts/lists, as the pickle limit
constexpr int k_max_wrappers = 8;          // Parameter(rebuild_from_type(rebuild(...)))
constexpr std::size_t k_max_dims = 64;
constexpr std::uint64_t k_max_storage_numel = 1ull << 58;  // so numel * 8 bytes cannot overflow

std::string global_name(const Value& v) {
  return v.text + "." + v.name;
}

// Python's repr() of a float: shortest round-trip digits, ".0" on integral values.
std::string float_text(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s == "inf" || s == "-inf" || s == "nan" || s == "-nan") return s;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

class Reader {
public:
  Reader(const Pickle& p, std::string_view where)
      : m_p(p), m_where(where), m_budget(16 * p.values.size() + 1024) {}

  Result<TorchObject> run() {
    m_out.globals = m_p.globals;
    const Value& root = m_p.at(m_p.root);
    std::optional<ValueId> state_dict;
    if (root.kind == Kind::k_dict) {
      for (std::size_t i = 0; i + 1 < root.items.size(); i += 2) {
        const Value& k = m_p.at(root.items[i]);
        if (k.kind == Kind::k_string && k.text == "state_dict" &&
            m_p.at(root.items[i + 1]).kind == Kind::k_dict) {
          state_dict = root.items[i + 1];
        }
      }
    }
    if (state_dict) {
      PD_TRY(flatten(*state_dict, "", 1));
      for (std::size_t i = 0; i + 1 < root.items.size(); i += 2) {
        if (root.items[i + 1] == *state_dict) continue;
        const Value& k = m_p.at(root.items[i]);
        if (k.kind == Kind::k_string) PD_TRY(flatten(root.items[i + 1], k.text, 1));
      }
    } else {
      PD_TRY(flatten(m_p.root, "", 0));
    }
    return std::move(m_out);
  }

private:
  std::unexpected<Error> fail(const Value& v, std::string what) const {
    return corruption(std::string(m_where) + ": " + what + " (pickle offset " +
                      std::to_string(v.offset) + ")");
  }

  std::optional<std::int64_t> as_int(ValueId id) const {
    const Value& v = m_p.at(id);
    if (v.kind == Kind::k_int) return v.integer;
    if (v.kind == Kind::k_bool) return v.boolean ? 1 : 0;
    return std::nullopt;
  }

  // A tuple/list of non-negative ints, or torch.Size(tuple).
  Result<std::vector<std::uint64_t>> as_dims(ValueId id, std::string_view what) const {
    const Value* v = &m_p.at(id);
    if (v->kind == Kind::k_call && global_name(m_p.at(v->items[0])) == "torch.Size" &&
        m_p.at(v->items[1]).items.size() == 1) {
      v = &m_p.at(m_p.at(v->items[1]).items[0]);
    }
    if (v->kind != Kind::k_tuple && v->kind != Kind::k_list) {
      return fail(*v, std::string(what) + " is not a tuple");
    }
    if (v->items.size() > k_max_dims)
      return fail(*v, std::string(what) + " has too many dimensions");
    std::vector<std::uint64_t> dims;
    for (ValueId item : v->items) {
      auto n = as_int(item);
      if (!n || *n < 0)
        return fail(*v, std::string(what) + " holds a negative or non-integer value");
      dims.push_back(static_cast<std::uint64_t>(*n));
    }
    return dims;
  }

  Result<void> flatten(ValueId id, const std::string& prefix, std::size_t depth);
  Result<std::optional<PendingTensor>> tensor_of(ValueId id, int wrappers);
  Result<std::optional<PendingTensor>> apply(ValueId fn, ValueId args, int wrappers);
  Result<PendingTensor> rebuild(const Value& call, const std::vector<ValueId>& a, bool v3);
  Result<PendingTensor> storage_of(ValueId id);
  std::optional<std::string> scalar_text(ValueId id) const;

  const Pickle& m_p;
  std::string_view m_where;
  std::size_t m_budget;
  TorchObject m_out;
  std::set<std::string> m_names;
};

// The root storage (and legacy view) a persistent id names.
Result<PendingTensor> Reader::storage_of(ValueId id) {
  const Value& p = m_p.at(id);
  if (p.kind != Kind::k_persistent) return fail(p, "tensor storage is not a persistent id");
  const Value& pid = m_p.at(p.items[0]);
  if (pid.kind != Kind::k_tuple || pid.items.size() < 5 || pid.items.size() > 6) {
    return fail(p, "persistent id is not a ('storage', type, key, location, numel) tuple");
  }
  const Value& tag = m_p.at(pid.items[0]);
  const Value& type = m_p.at(pid.items[1]);
  const Value& key = m_p.at(pid.items[2]);
  const Value& location = m_p.at(pid.items[3]);
  auto numel = as_int(pid.items[4]);
  if ((tag.kind != Kind::k_string && tag.kind != Kind::k_bytes) || tag.text != "storage") {
    return fail(p, "persistent id is not a storage");
  }
  if (type.kind != Kind::k_global ||
      (type.text != "torch" && type.text != "torch.storage" && type.text != "torch.cuda")) {
    return fail(p, "persistent id names no torch storage type");
  }
  std::optional<DType> dtype;
  for (const auto& e : k_storage_dtypes) {
    if (e.name == type.name) dtype = e.dtype;
  }
  if (!dtype) {
    return not_supported(std::string(m_where) + ": storage type " + global_name(type) +
                         " is not supported");
  }
  if (key.kind != Kind::k_string || location.kind != Kind::k_string || !numel || *numel < 0 ||
      static_cast<std::uint64_t>(*numel) > k_max_storage_numel) {
    return fail(p, "persistent id has a bad key, location or element count");
  }
  StorageDecl decl{*dtype, static_cast<std::uint64_t>(*numel), location.text};
  auto [it, inserted] = m_out.storages.emplace(key.text, decl);
  if (!inserted && (it->second.dtype != decl.dtype || it->second.numel != decl.numel)) {
    return fail(p, "storage '" + key.text + "' is declared twice with different types or sizes");
  }
  PendingTensor t;
  t.storage_key = key.text;
  t.info.dtype = *dtype;
  t.view_numel = decl.numel;
  if (pid.items.size() == 6 && m_p.at(pid.items[5]).kind != Kind::k_none) {
    const Value& view = m_p.at(pid.items[5]);
    if (view.kind != Kind::k_tuple || view.items.size() != 3) {
      return fail(p, "storage view metadata is not a (key, offset, size) tuple");
    }
    auto begin = as_int(view.items[1]);
    auto size = as_int(view.items[2]);
    if (!begin || !size || *begin < 0 || *size < 0 ||
        static_cast<std::uint64_t>(*begin) > decl.numel ||
        static_cast<std::uint64_t>(*size) > decl.numel - static_cast<std::uint64_t>(*begin)) {
      return fail(p, "storage view lies outside storage '" + key.text + "'");
    }
    t.view_begin = static_cast<std::uint64_t>(*begin);
    t.view_numel = static_cast<std::uint64_t>(*size);
  }
  return t;
}

// _rebuild_tensor(storage, offset, size, stride) / _v2 (..., requires_grad, hooks[, metadata])
// / _v3 (..., requires_grad, hooks, dtype[, metadata]).
Result<PendingTensor> Reader::rebuild(const Value& call, const std::vector<ValueId>& a, bool v3) {
  if (a.size() < (v3 ? 7u : 4u)) return fail(call, "tensor rebuild call has too few arguments");
  PD_ASSIGN_OR_RETURN(auto t, storage_of(a[0]));
  auto offset = as_int(a[1]);
  if (!offset || *offset < 0)
    return fail(call, "tensor storage offset is not a non-negative integer");
  PD_ASSIGN_OR_RETURN(t.info.shape, as_dims(a[2], "tensor size"));
  PD_ASSIGN_OR_RETURN(t.info.strides, as_dims(a[3], "tensor stride"));
  if (t.info.shape.size() != t.info.strides.size()) {
    return fail(call, "tensor size and stride have different lengths");
  }
  if (v3) {
    const Value& d = m_p.at(a[6]);
    std::optional<DType> dtype;
    for (const auto& e : k_torch_dtypes) {
      if (d.kind == Kind::k_global && d.text == "torch" && e.name == d.name) dtype = e.dtype;
    }
    if (!dtype) return fail(call, "tensor dtype is not a supported torch dtype");
    if (dtype_size(*dtype) != dtype_size(t.info.dtype)) {
      return not_supported(std::string(m_where) + ": tensor reinterprets its storage's type");
    }
    t.info.dtype = *dtype;
  }
  t.storage_offset = static_cast<std::uint64_t>(*offset);
  // Extent: offset + sum((size_i - 1) * stride_i) must lie inside the (view of the) storage.
  unsigned __int128 numel = 1, last = t.storage_offset;
  for (std::size_t i = 0; i < t.info.shape.size(); ++i) {
    numel *= t.info.shape[i];
    if (numel > (static_cast<unsigned __int128>(1) << 64))
      numel = static_cast<unsigned __int128>(1) << 64;
    if (t.info.shape[i] > 0)
      last += static_cast<unsigned __int128>(t.info.shape[i] - 1) * t.info.strides[i];
  }
  if (numel != 0 && last >= t.view_numel) {
    return fail(call, "tensor extent (last element " +
                          std::to_string(static_cast<std::uint64_t>(
                              last > ~0ull ? ~0ull : static_cast<std::uint64_t>(last))) +
                          ") lies outside its storage of " + std::to_string(t.view_numel) +
                          " elements");
  }
  if (numel == 0 && t.storage_offset > t.view_numel) {
    return fail(call, "empty tensor's storage offset lies outside its storage");
  }
  return t;
}

// Applies a recorded call if it rebuilds a tensor; nullopt for other calls.
Result<std::optional<PendingTensor>> Reader::apply(ValueId fn_id, ValueId args_id, int wrappers) {
  const Value& fn = m_p.at(fn_id);
  const Value& args = m_p.at(args_id);
  if (fn.kind != Kind::k_global || args.kind != Kind::k_tuple) return std::nullopt;
  if (wrappers > k_max_wrappers) return fail(fn, "tensor rebuild calls nest too deeply");
  const std::string name = global_name(fn);
  const auto& a = args.items;
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor" ||
      name == "torch._utils._rebuild_tensor_v3") {
    PD_ASSIGN_OR_RETURN(auto t, rebuild(fn, a, name.ends_with("v3")));
    return t;
  }
  if (name == "torch._utils._rebuild_parameter" ||
      name == "torch._utils._rebuild_parameter_with_state" ||
      name == "torch.nn.parameter.Parameter") {
    if (a.empty()) return fail(fn, name + " has no data argument");
    PD_ASSIGN_OR_RETURN(auto inner, tensor_of(a[0], wrappers + 1));
    if (!inner) return fail(fn, name + " wraps something that is not a tensor");
    return inner;
  }
  if (name == "torch._tensor._rebuild_from_type_v2") {
    if (a.size() < 3) return fail(fn, name + " has too few arguments");
    PD_ASSIGN_OR_RETURN(auto inner, apply(a[0], a[2], wrappers + 1));
    if (!inner) return fail(fn, name + " rebuilds something that is not a tensor");
    return inner;
  }
  if (name.starts_with("torch._utils._rebuild_") || name == "torch.serialization._get_layout") {
    return not_supported(std::string(m_where) + ": " + name + " tensors are not supported");
  }
  return std::nullopt;
}

Result<std::optional<PendingTensor>> Reader::tensor_of(ValueId id, int wrappers) {
  const Value& v = m_p.at(id);
  if (v.kind != Kind::k_call) return std::nullopt;
  return apply(v.items[0], v.items[1], wrappers);
}

std::optional<std::string> Reader::scalar_text(ValueId id) const {
  const Value& v = m_p.at(id);
  switch (v.kind) {
    case Kind::k_none: return "None";
    case Kind::k_bool: return v.boolean ? "true" : "false";
    case Kind::k_int: return std::to_string(v.integer);
    case Kind::k_big_int: return v.text;
    case Kind::k_float: return float_text(v.real);
    case Kind::k_string: return v.text;
    default: break;
  }
  if (v.kind != Kind::k_call || global_name(m_p.at(v.items[0])) != "numpy.core.multiarray.scalar") {
    return std::nullopt;
  }
  // numpy.core.multiarray.scalar(numpy.dtype(code, ...), raw bytes)
  const auto& a = m_p.at(v.items[1]).items;
  if (a.size() != 2 || m_p.at(a[0]).kind != Kind::k_call || m_p.at(a[1]).kind != Kind::k_bytes) {
    return std::nullopt;
  }
  const auto& dargs = m_p.at(m_p.at(a[0]).items[1]).items;
  if (dargs.empty() || m_p.at(dargs[0]).kind != Kind::k_string) return std::nullopt;
  const std::string& code = m_p.at(dargs[0]).text;
  const std::string& raw = m_p.at(a[1]).text;
  auto le = [&](std::size_t n) {
    std::uint64_t u = 0;
    for (std::size_t i = n; i-- > 0;) u = (u << 8) | static_cast<std::uint8_t>(raw[i]);
    return u;
  };
  if (code == "f8" && raw.size() == 8) return float_text(std::bit_cast<double>(le(8)));
  if (code == "f4" && raw.size() == 4) {
    return float_text(std::bit_cast<float>(static_cast<std::uint32_t>(le(4))));
  }
  if ((code == "i8" || code == "u8") && raw.size() == 8) {
    return code == "i8" ? std::to_string(static_cast<std::int64_t>(le(8))) : std::to_string(le(8));
  }
  if ((code == "i4" || code == "u4") && raw.size() == 4) {
    return code == "i4" ? std::to_string(static_cast<std::int32_t>(le(4))) : std::to_string(le(4));
  }
  if (code == "b1" && raw.size() == 1) return raw[0] ? "True" : "False";
  return "numpy " + code + " scalar";
}

Result<void> Reader::flatten(ValueId id, const std::string& prefix, std::size_t depth) {
  const Value& v = m_p.at(id);
  if (m_budget-- == 0) return fail(v, "pickle shares containers too often to flatten");
  if (depth > k_max_depth) {
    return fail(v, "nests containers deeper than " + std::to_string(k_max_depth) + " levels");
  }
  auto join = [&](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
  if (v.kind == Kind::k_dict) {
    for (std::size_t i = 0; i + 1 < v.items.size(); i += 2) {
      const Value& k = m_p.at(v.items[i]);
      if (k.kind == Kind::k_string) PD_TRY(flatten(v.items[i + 1], join(k.text), depth + 1));
    }
    return {};
  }
  if (v.kind == Kind::k_list || v.kind == Kind::k_tuple) {
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      PD_TRY(flatten(v.items[i], join(std::to_string(i)), depth + 1));
    }
    return {};
  }
  PD_ASSIGN_OR_RETURN(auto tensor, tensor_of(id, 0));
  if (tensor) {
    if (!m_names.insert(prefix).second) return fail(v, "two tensors are named '" + prefix + "'");
    tensor->info.name = prefix;
    m_out.tensors.push_back(std::move(*tensor));
    return {};
  }
  if (auto text = scalar_text(id); text && !prefix.empty()) m_out.scalars[prefix] = *text;
  return {};
}

}  // namespace

Result<TorchObject> read_torch_object(const pickle::Pickle& pickle, std::string_view where) {
  Reader reader(pickle, where);
  return reader.run();
}

Result<void> place_tensors(TorchObject&& object,
                           const std::map<std::string, std::uint64_t>& storage_begin,
                           bool big_endian, Checkpoint& out) {
  for (auto& t : object.tensors) {
    auto it = storage_begin.find(t.storage_key);
    if (it == storage_begin.end())
      return internal_error("storage '" + t.storage_key + "' not placed");
    const StorageDecl& decl = object.storages.at(t.storage_key);
    const std::uint64_t es = dtype_size(decl.dtype);
    t.info.storage_begin = it->second;
    t.info.storage_end = it->second + decl.numel * es;
    t.info.offset = it->second + (t.view_begin + t.storage_offset) * es;
    t.info.big_endian = big_endian;
    t.info.source = 0;
    out.tensors.push_back(std::move(t.info));
  }
  for (auto& [k, v] : object.scalars) out.scalars[k] = std::move(v);
  out.globals = std::move(object.globals);
  return {};
}

Result<pickle::Pickle> parse_checked_pickle(ByteView bytes, std::uint64_t base_offset,
                                            std::string_view where) {
  auto parsed = pickle::parse_pickle(bytes, base_offset);
  if (parsed) return parsed;
  std::string message = std::string(where) + ": " + parsed.error().message();
  const std::string refused = pickle::disallowed_globals_text(pickle::scan_pickle_globals(bytes));
  if (!refused.empty()) message += " (disallowed globals in this pickle: " + refused + ")";
  return std::unexpected(Error(parsed.error().code(), std::move(message)));
}

}  // namespace pedigree::formats::torch
