// The allowlist, protocol-0 text decoders and the opcode scanner of the pickle reader.
#include <array>
#include <charconv>
#include <set>
#include <utility>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/pickle/pickle_detail.hpp"

namespace pedigree::formats::pickle {
namespace detail {
namespace {

// Callables PyTorch's weights_only unpickler allows (torch 1.13-2.x), plus
// the numpy scalar globals of Lightning checkpoints and the structural builtins.
constexpr std::array<std::string_view, 22> k_callables = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_sparse_csr_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_qtensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.device",
    "_codecs.encode",
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "numpy.core.multiarray.scalar",
    "numpy.dtype",
};

// dtype objects PyTorch pickles by name (torch.float16, ...): inert values.
constexpr std::array<std::string_view, 18> k_torch_dtypes = {
    "float16", "float32",   "float64",   "bfloat16",   "half",  "float",
    "double",  "int8",      "uint8",     "int16",      "int32", "int64",
    "bool",    "complex32", "complex64", "complex128", "long",  "int",
};

// Inert classes and layouts.
constexpr std::array<std::string_view, 6> k_values = {
    "torch.Tensor",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
    "torch.strided",
    "torch.sparse_coo",
    "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint",
};

// torch.<X>Storage / torch.cuda.<X>Storage element types.
constexpr std::array<std::string_view, 16> k_storage_prefixes = {
    "Double", "Float", "Half",         "BFloat16",      "Long",   "Int",   "Short",  "Char",
    "Byte",   "Bool",  "ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2",
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_typed_class(std::string_view name, std::string_view suffix) {
  if (!ends_with(name, suffix)) return false;
  const auto prefix = name.substr(0, name.size() - suffix.size());
  for (auto p : k_storage_prefixes) {
    if (p == prefix) return true;
  }
  return false;
}

}  // namespace

std::string_view modern_module(std::string_view module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  if (module == "commands") return "subprocess";  // protocol < 3 writes subprocess as commands
  if (module == "cPickle") return "pickle";
  if (module == "exceptions") return "builtins";
  return module;
}

GlobalRole global_role(std::string_view module, std::string_view name) {
  std::string full(module);
  full += '.';
  full += name;
  for (auto c : k_callables) {
    if (c == full) return GlobalRole::k_callable;
  }
  for (auto v : k_values) {
    if (v == full) return GlobalRole::k_value;
  }
  if (module == "torch") {
    for (auto d : k_torch_dtypes) {
      if (d == name) return GlobalRole::k_value;
    }
  }
  if (module == "torch" || module == "torch.cuda") {
    if (is_typed_class(name, "Storage") || name == "QUInt2x4Storage") return GlobalRole::k_value;
    if (is_typed_class(name, "Tensor")) return GlobalRole::k_value;
  }
  if ((module == "torch.sparse" || module == "torch.cuda.sparse") &&
      is_typed_class(name, "Tensor")) {
    return GlobalRole::k_value;
  }
  return GlobalRole::k_refused;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

std::optional<std::uint32_t> parse_hex(std::string_view digits) {
  std::uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

Result<std::string> decode_raw_unicode_escape(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\\' && i + 1 < line.size() && (line[i + 1] == 'u' || line[i + 1] == 'U')) {
      const std::size_t n = line[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + n > line.size()) return corruption("truncated \\u escape in UNICODE argument");
      auto cp = parse_hex(line.substr(i + 2, n));
      if (!cp || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
        return corruption("bad \\u escape in UNICODE argument");
      }
      append_utf8(out, *cp);
      i += 1 + n;
    } else {
      append_utf8(out, c);  // every other byte is Latin-1
    }
  }
  return out;
}

Result<std::string> decode_quoted_string(std::string_view line) {
  if (line.size() < 2 || (line.front() != '\'' && line.front() != '"') ||
      line.back() != line.front()) {
    return corruption("STRING argument is not a quoted literal");
  }
  const std::string_view body = line.substr(1, line.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i == body.size()) return corruption("STRING argument ends with a backslash");
    switch (body[i]) {
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '0': out += '\0'; break;
      case 'x': {
        auto v = i + 2 < body.size() + 0 ? parse_hex(body.substr(i + 1, 2)) : std::nullopt;
        if (!v) return corruption("bad \\x escape in STRING argument");
        out += static_cast<char>(*v);
        i += 2;
        break;
      }
      default: return corruption("unsupported escape in STRING argument");
    }
  }
  return out;
}

std::optional<std::int64_t> parse_decimal(std::string_view line) {
  if (!line.empty() && line.back() == 'L') line.remove_suffix(1);
  if (!line.empty() && line.front() == '+') line.remove_prefix(1);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (line.empty() || ec != std::errc() || ptr != line.data() + line.size()) return std::nullopt;
  return value;
}

}  // namespace detail

bool is_allowed_global(std::string_view module, std::string_view name) {
  return detail::global_role(detail::modern_module(module), name) != detail::GlobalRole::k_refused;
}

std::string disallowed_globals_text(const std::vector<PickleGlobal>& globals) {
  std::string out;
  for (const auto& g : globals) {
    if (g.allowed) continue;
    if (!out.empty()) out += ", ";
    out += g.module + "." + g.name;
  }
  return out;
}

}  // namespace pedigree::formats::pickle
