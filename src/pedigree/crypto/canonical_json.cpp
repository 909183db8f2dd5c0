#include "pedigree/crypto/canonical_json.hpp"

#include <algorithm>
#include <vector>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/json_depth.hpp"

namespace pedigree::crypto {
namespace {

constexpr std::int64_t k_max_safe_integer = (std::int64_t{1} << 53) - 1;

// Decodes valid UTF-8 into UTF-16 code units (for JCS member ordering).
std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = 0;
    int extra = 0;
    if (c < 0x80) {
      cp = c;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      extra = 1;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      extra = 2;
    } else {
      cp = c & 0x07;
      extra = 3;
    }
    for (int k = 1; k <= extra && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += 1 + extra;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

void write_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += k_hex[c >> 4];
          out += k_hex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// Where a value sits, as a chain up to the root; spelled out ("$.a[0].b")
// only when an error names it, so writing builds no strings per value.
struct JsonPath {
  const JsonPath* parent = nullptr;  // nullptr: the root "$"
  std::string_view key;              // member name, unless this is an array element
  std::size_t index = 0;
  bool is_element = false;

  std::string str() const {
    if (!parent) return "$";
    if (is_element) return parent->str() + "[" + std::to_string(index) + "]";
    return parent->str() + "." + std::string(key);
  }
};

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

Result<void> write_value(std::string& out, const nlohmann::json& v, const JsonPath& path,
                         int depth);

Result<void> write_object(std::string& out, const nlohmann::json& v, const JsonPath& path,
                          int depth) {
  bool ascii_names = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!is_valid_utf8(it.key()))
      return invalid_argument(path.str() + ": member name is not UTF-8");
    ascii_names = ascii_names && is_ascii(it.key());
  }
  out += '{';
  bool first = true;
  auto member = [&](const std::string& key, const nlohmann::json& value) -> Result<void> {
    if (!first) out += ',';
    first = false;
    write_string(out, key);
    out += ':';
    return write_value(out, value, JsonPath{&path, key, 0, false}, depth + 1);
  };
  if (ascii_names) {
    // nlohmann keeps members sorted by bytes, which for ASCII is UTF-16 order.
    for (auto it = v.begin(); it != v.end(); ++it) PD_TRY(member(it.key(), it.value()));
  } else {
    std::vector<std::pair<std::u16string, const std::string*>> keys;
    keys.reserve(v.size());
    for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(to_utf16(it.key()), &it.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& [utf16, key] : keys) PD_TRY(member(*key, v.at(*key)));
  }
  out += '}';
  return {};
}

Result<void> write_value(std::string& out, const nlohmann::json& v, const JsonPath& path,
                         int depth) {
  if (depth > k_max_json_depth) return invalid_argument(path.str() + ": JSON nested too deeply");
  switch (v.type()) {
    case nlohmann::json::value_t::null: out += "null"; return {};
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return {};
    case nlohmann::json::value_t::number_integer: {
      std::int64_t n = v.get<std::int64_t>();
      if (n > k_max_safe_integer || n < -k_max_safe_integer) {
        return invalid_argument(path.str() + ": integer outside the safe range");
      }
      out += std::to_string(n);
      return {};
    }
    case nlohmann::json::value_t::number_unsigned: {
      std::uint64_t n = v.get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(k_max_safe_integer)) {
        return invalid_argument(path.str() + ": integer outside the safe range");
      }
      out += std::to_string(n);
      return {};
    }
    case nlohmann::json::value_t::number_float:
      return invalid_argument(path.str() +
                              ": non-integer number (write fractions as decimal strings)");
    case nlohmann::json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (!is_valid_utf8(s)) return invalid_argument(path.str() + ": string is not valid UTF-8");
      write_string(out, s);
      return {};
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      std::size_t i = 0;
      for (const auto& item : v) {
        if (i) out += ',';
        PD_TRY(write_value(out, item, JsonPath{&path, {}, i, true}, depth + 1));
        ++i;
      }
      out += ']';
      return {};
    }
    case nlohmann::json::value_t::object: return write_object(out, v, path, depth);
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded: break;
  }
  return invalid_argument(path.str() + ": value cannot be written as JSON");
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  PD_TRY(write_value(out, value, JsonPath{}, 0));
  return out;
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what,
                                  std::size_t max_bytes) {
  std::string name(what);
  if (text.size() > max_bytes) {
    return corruption(name + ": " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                      std::to_string(max_bytes));
  }
  if (!json_nesting_within(text, k_max_json_depth + 1))
    return corruption(name + ": JSON nested too deeply");
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return corruption(name + ": malformed JSON");
  return value;
}

Result<nlohmann::json> parse_canonical_json(std::string_view text, std::string_view what,
                                            std::size_t max_bytes) {
  PD_ASSIGN_OR_RETURN(nlohmann::json value, parse_json(text, what, max_bytes));
  std::string canonical;
  canonical.reserve(text.size());
  auto written = write_value(canonical, value, JsonPath{}, 0);
  if (!written) return corruption(std::string(what) + ": " + written.error().message());
  if (canonical != text) {
    auto at = std::mismatch(canonical.begin(), canonical.end(), text.begin(), text.end());
    return corruption(std::string(what) + ": not canonical JSON (differs at byte " +
                      std::to_string(at.second - text.begin()) + ")");
  }
  return value;
}

}  // namespace pedigree::crypto
