#include "pedigree/formats/safetensors.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "pedigree/util/hex.hpp"

namespace pedigree::formats {
namespace {

using Json = nlohmann::json;

constexpr std::uint64_t k_length_field = 8;

// One tensor entry as the header declares it, before the cross-entry checks.
struct Entry {
  std::string name;
  DType dtype = DType::k_f32;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

std::string quote_name(std::string_view text) {
  // Hostile names can be huge or hold control characters (JSON escapes such
  // as \u000A decode to raw newlines): keep messages one short readable line.
  constexpr std::size_t k_max = 120;
  std::string out = "'";
  for (char c : text.substr(0, k_max)) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += "\\x" + to_hex(ByteView(&byte, 1));
    } else {
      out += c;
    }
  }
  if (text.size() > k_max) out += "...";
  out += "'";
  return out;
}

// SAX handler that reads the header straight into Entries, refusing anything
// but the exact safetensors shape (depth is at most 3, so no deep recursion or
// large DOM can be built from hostile input).
class HeaderReader {
public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  std::vector<Entry>& entries() { return m_entries; }
  std::map<std::string, std::string>& metadata() { return m_metadata; }
  std::optional<Error>& error() { return m_error; }

  bool null() {
    if (m_state == State::k_top_value && m_key == "__metadata__") {
      m_state = State::k_top;  // "__metadata__": null means no metadata
      return true;
    }
    return unexpected_value("null");
  }
  bool boolean(bool) { return unexpected_value("a boolean"); }
  bool number_integer(number_integer_t value) {
    if (m_state == State::k_array && value < 0) {
      return fail(field() + " holds a negative number (" + std::to_string(value) + ")");
    }
    if (m_state == State::k_array) return push_number(static_cast<std::uint64_t>(value));
    return unexpected_value("a number");
  }
  bool number_unsigned(number_unsigned_t value) {
    if (m_state == State::k_array) return push_number(value);
    return unexpected_value("a number");
  }
  bool number_float(number_float_t, const string_t& text) {
    if (m_state == State::k_array) {
      return fail(field() + " holds " + text + ", not a non-negative integer below 2^64");
    }
    return unexpected_value("a number");
  }
  bool binary(binary_t&) { return unexpected_value("binary data"); }
  bool string(string_t& value);
  bool start_object(std::size_t);
  bool key(string_t& value);
  bool end_object();
  bool start_array(std::size_t);
  bool end_array();
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    m_error =
        Error(ErrorCode::k_corruption,
              "safetensors header: invalid JSON near offset " +
                  std::to_string(k_length_field + (position > 0 ? position - 1 : 0)) + ": " + what);
    return false;
  }

private:
  enum class State { k_start, k_top, k_top_value, k_metadata, k_tensor, k_array, k_done };
  enum Field : unsigned { k_dtype = 1, k_shape = 2, k_offsets = 4 };

  bool fail(std::string message) {
    if (!m_error) m_error = Error(ErrorCode::k_corruption, "safetensors header: " + message);
    return false;
  }
  std::string subject() const {
    return m_state == State::k_metadata || m_key == "__metadata__" ? "__metadata__"
                                                                   : "tensor " + quote_name(m_key);
  }
  std::string field() const { return subject() + ": " + quote_name(m_field); }
  bool unexpected_value(std::string_view what);
  bool push_number(std::uint64_t value);

  State m_state = State::k_start;
  std::string m_key;    // current top-level key
  std::string m_field;  // current key inside a tensor or __metadata__
  unsigned m_seen = 0;  // Fields seen in the current tensor
  Entry m_entry;
  std::vector<std::uint64_t> m_numbers;
  std::unordered_set<std::string> m_top_keys;
  std::vector<Entry> m_entries;
  std::map<std::string, std::string> m_metadata;
  std::optional<Error> m_error;
};

bool HeaderReader::unexpected_value(std::string_view what) {
  switch (m_state) {
    case State::k_start: return fail("the header is not a JSON object");
    case State::k_top_value:
      return fail(subject() + ": expected an object, found " + std::string(what));
    case State::k_metadata:
      return fail("__metadata__: value of " + quote_name(m_field) + " is " + std::string(what) +
                  ", not a string");
    case State::k_tensor:
      return fail(field() + " is " + std::string(what) + ", not the expected type");
    case State::k_array: return fail(field() + " holds " + std::string(what) + ", not an integer");
    default: return fail("unexpected " + std::string(what));
  }
}

bool HeaderReader::push_number(std::uint64_t value) {
  if (m_numbers.size() >= 64) return fail(field() + " has more than 64 elements");
  m_numbers.push_back(value);
  return true;
}

bool HeaderReader::string(string_t& value) {
  if (m_state == State::k_metadata) {
    m_metadata.emplace(m_field, std::move(value));
    return true;
  }
  if (m_state == State::k_tensor && m_field == "dtype") {
    auto dtype = dtype_from_name(value);
    if (!dtype) return fail(field() + ": unknown dtype " + quote_name(value));
    m_entry.dtype = *dtype;
    return true;
  }
  return unexpected_value("a string");
}

bool HeaderReader::start_object(std::size_t) {
  switch (m_state) {
    case State::k_start: m_state = State::k_top; return true;
    case State::k_top_value:
      if (m_key == "__metadata__") {
        m_state = State::k_metadata;
        return true;
      }
      m_state = State::k_tensor;
      m_seen = 0;
      m_entry = Entry{};
      m_entry.name = m_key;
      return true;
    default: return unexpected_value("an object");
  }
}

bool HeaderReader::key(string_t& value) {
  if (m_state == State::k_top) {
    if (!m_top_keys.insert(value).second) return fail("duplicate key " + quote_name(value));
    m_key = std::move(value);
    m_state = State::k_top_value;
    return true;
  }
  if (m_state == State::k_metadata) {
    if (m_metadata.contains(value)) return fail("__metadata__: duplicate key " + quote_name(value));
    m_field = std::move(value);
    return true;
  }
  // Inside a tensor entry: exactly dtype, shape and data_offsets, once each.
  unsigned bit = value == "dtype"          ? k_dtype
                 : value == "shape"        ? k_shape
                 : value == "data_offsets" ? k_offsets
                                           : 0u;
  if (bit == 0) return fail(subject() + ": unknown field " + quote_name(value));
  if (m_seen & bit) return fail(subject() + ": duplicate field " + quote_name(value));
  m_seen |= bit;
  m_field = std::move(value);
  return true;
}

bool HeaderReader::end_object() {
  if (m_state == State::k_metadata) {
    m_state = State::k_top;
    return true;
  }
  if (m_state == State::k_tensor) {
    if (m_seen != (k_dtype | k_shape | k_offsets)) {
      const char* missing = !(m_seen & k_dtype)   ? "dtype"
                            : !(m_seen & k_shape) ? "shape"
                                                  : "data_offsets";
      return fail(subject() + ": missing field '" + missing + "'");
    }
    m_entries.push_back(std::move(m_entry));
    m_state = State::k_top;
    return true;
  }
  m_state = State::k_done;
  return true;
}

bool HeaderReader::start_array(std::size_t) {
  if (m_state == State::k_tensor && (m_field == "shape" || m_field == "data_offsets")) {
    m_numbers.clear();
    m_state = State::k_array;
    return true;
  }
  return unexpected_value("an array");
}

bool HeaderReader::end_array() {
  m_state = State::k_tensor;
  if (m_field == "shape") {
    m_entry.shape = std::move(m_numbers);
    m_numbers = {};
    return true;
  }
  if (m_numbers.size() != 2) {
    return fail(field() + " has " + std::to_string(m_numbers.size()) + " elements, expected 2");
  }
  m_entry.begin = m_numbers[0];
  m_entry.end = m_numbers[1];
  return true;
}

// Offset of the first byte that breaks UTF-8 in `text`, or nullopt if valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::nullopt;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
    if (pos + len > text.size() || !is_valid_utf8(text.substr(pos, len))) return pos;
    pos += len;
  }
  return pos;
}

std::string range_text(std::uint64_t data_start, const Entry& e) {
  return "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] (file bytes " + std::to_string(data_start + e.begin) + ".." +
         std::to_string(data_start + e.end) + ")";
}

// Checks one entry on its own: byte count, and that it lies inside the buffer.
Result<void> check_entry(const Entry& e, std::uint64_t data_start, std::uint64_t buffer_size) {
  std::uint64_t numel = 1;
  for (auto dim : e.shape) {
    if (__builtin_mul_overflow(numel, dim, &numel)) {
      return corruption("safetensors header: tensor " + quote_name(e.name) +
                        ": shape element count overflows 64 bits");
    }
  }
  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, dtype_size(e.dtype), &nbytes)) {
    return corruption("safetensors header: tensor " + quote_name(e.name) +
                      ": byte size overflows 64 bits");
  }
  if (e.end < e.begin) {
    return corruption("safetensors header: tensor " + quote_name(e.name) + ": " +
                      range_text(data_start, e) + " end before they begin");
  }
  if (e.end > buffer_size) {
    return corruption("safetensors header: tensor " + quote_name(e.name) + ": " +
                      range_text(data_start, e) + " lie outside the " +
                      std::to_string(buffer_size) + "-byte data buffer");
  }
  if (e.end - e.begin != nbytes) {
    return corruption("safetensors header: tensor " + quote_name(e.name) + ": " +
                      std::to_string(numel) + " elements of " + std::string(dtype_name(e.dtype)) +
                      " need " + std::to_string(nbytes) + " bytes but " +
                      range_text(data_start, e) + " span " + std::to_string(e.end - e.begin));
  }
  return {};
}

// Checks that the entries tile the data buffer exactly: no overlap, no hole, no tail.
Result<void> check_tiling(const std::vector<Entry>& entries, std::uint64_t data_start,
                          std::uint64_t buffer_size) {
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(entries[a].begin, entries[a].end) <
           std::pair(entries[b].begin, entries[b].end);
  });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (auto index : order) {
    const Entry& e = entries[index];
    if (e.begin < covered) {
      return corruption("safetensors header: tensor " + quote_name(e.name) + ": " +
                        range_text(data_start, e) + " overlap tensor " +
                        quote_name(previous->name) + " " + range_text(data_start, *previous));
    }
    if (e.begin > covered) {
      return corruption("safetensors header: hole in the data buffer: file bytes " +
                        std::to_string(data_start + covered) + ".." +
                        std::to_string(data_start + e.begin) + " belong to no tensor (before " +
                        quote_name(e.name) + ")");
    }
    covered = e.end;
    previous = &e;
  }
  if (covered != buffer_size) {
    return corruption("safetensors header: file bytes " + std::to_string(data_start + covered) +
                      ".." + std::to_string(data_start + buffer_size) +
                      " at the end of the data buffer belong to no tensor");
  }
  return {};
}

Result<std::uint64_t> read_header_length(ByteView file, std::uint64_t file_size) {
  ByteReader reader(file);
  auto length = reader.read_le64("safetensors header length");
  if (!length) return std::unexpected(length.error());
  if (*length > k_safetensors_max_header) {
    return corruption("safetensors header length " + std::to_string(*length) +
                      " at offset 0 exceeds the limit of " +
                      std::to_string(k_safetensors_max_header) + " bytes");
  }
  if (*length > file_size - k_length_field) {
    return corruption("safetensors header length " + std::to_string(*length) +
                      " at offset 0 runs past the end of the file (" + std::to_string(file_size) +
                      " bytes)");
  }
  if (*length > file.size() - k_length_field) {
    return corruption("safetensors header: only " + std::to_string(file.size()) + " of " +
                      std::to_string(k_length_field + *length) + " header bytes given");
  }
  if (*length == 0 || file[k_length_field] != '{') {
    std::string found = *length == 0 ? "an empty header" : "byte 0x" + to_hex(file.subspan(8, 1));
    return corruption("safetensors header at offset 8 does not start with '{' (found " + found +
                      ")");
  }
  return *length;
}

}  // namespace

bool looks_like_safetensors(ByteView file) {
  if (file.size() < k_length_field) return false;
  std::uint64_t length = load_le64(file.data());
  const bool plausible = length > 0 && length <= k_safetensors_max_header;
  if (file.size() == k_length_field) return plausible;
  if (file[k_length_field] == '{') return true;
  // A header that fits but starts with whitespace or '[' is a damaged safetensors
  // file: let parse_safetensors say what is wrong with it.
  const std::uint8_t first = file[k_length_field];
  return plausible && length <= file.size() - k_length_field &&
         (first == ' ' || first == '\t' || first == '\n' || first == '\r' || first == '[');
}

Result<Checkpoint> parse_safetensors(ByteView file) {
  return parse_safetensors_header(file, file.size());
}

Result<Checkpoint> parse_safetensors_header(ByteView file, std::uint64_t file_size) {
  if (file.size() > file_size)
    return invalid_argument("safetensors: more bytes than the file size");
  PD_ASSIGN_OR_RETURN(std::uint64_t header_size, read_header_length(file, file_size));
  std::string_view header = as_string_view(file.subspan(k_length_field, header_size));
  if (auto bad = first_invalid_utf8(header)) {
    return corruption("safetensors header: invalid UTF-8 at offset " +
                      std::to_string(k_length_field + *bad));
  }
  HeaderReader reader;
  bool ok = Json::sax_parse(header.begin(), header.end(), &reader, Json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || reader.error()) {
    if (reader.error()) return std::unexpected(*reader.error());
    return corruption("safetensors header: invalid JSON");
  }

  const std::uint64_t data_start = k_length_field + header_size;
  const std::uint64_t buffer_size = file_size - data_start;
  for (const auto& e : reader.entries()) PD_TRY(check_entry(e, data_start, buffer_size));
  PD_TRY(check_tiling(reader.entries(), data_start, buffer_size));

  Checkpoint checkpoint;
  checkpoint.format = Format::k_safetensors;
  checkpoint.data_start = data_start;
  checkpoint.metadata = std::move(reader.metadata());
  checkpoint.tensors.reserve(reader.entries().size());
  for (auto& e : reader.entries()) {
    TensorInfo info;
    info.name = std::move(e.name);
    info.dtype = e.dtype;
    info.strides = contiguous_strides(e.shape);
    info.shape = std::move(e.shape);
    info.source = 0;
    info.offset = data_start + e.begin;
    info.storage_begin = data_start + e.begin;
    info.storage_end = data_start + e.end;
    checkpoint.tensors.push_back(std::move(info));
  }
  return checkpoint;
}

}  // namespace pedigree::formats
