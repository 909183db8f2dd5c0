#include "pedigree/util/error.hpp"

namespace pedigree {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
  case ErrorCode::k_invalid_argument: return "invalid argument";
  case ErrorCode::k_not_found: return "not found";
  case ErrorCode::k_corruption: return "corruption";
  case ErrorCode::k_io: return "I/O error";
  case ErrorCode::k_not_supported: return "not supported";
  case ErrorCode::k_untrusted: return "untrusted";
  case ErrorCode::k_conflict: return "conflict";
  case ErrorCode::k_internal: return "internal error";
  }
  return "unknown";
}

std::string Error::escape_control_characters(std::string text) {
  auto is_control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  bool clean = true;
  for (unsigned char c : text) clean = clean && !is_control(c);
  if (clean) return text;
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    if (!is_control(c)) {
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

Error Error::with_context(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += m_message;
  return Error(m_code, std::move(message));
}

std::unexpected<Error> invalid_argument(std::string message) {
  return std::unexpected(Error(ErrorCode::k_invalid_argument, std::move(message)));
}
std::unexpected<Error> not_found(std::string message) {
  return std::unexpected(Error(ErrorCode::k_not_found, std::move(message)));
}
std::unexpected<Error> corruption(std::string message) {
  return std::unexpected(Error(ErrorCode::k_corruption, std::move(message)));
}
std::unexpected<Error> io_error(std::string message) {
  return std::unexpected(Error(ErrorCode::k_io, std::move(message)));
}
std::unexpected<Error> not_supported(std::string message) {
  return std::unexpected(Error(ErrorCode::k_not_supported, std::move(message)));
}
std::unexpected<Error> untrusted(std::string message) {
  return std::unexpected(Error(ErrorCode::k_untrusted, std::move(message)));
}
std::unexpected<Error> conflict(std::string message) {
  return std::unexpected(Error(ErrorCode::k_conflict, std::move(message)));
}
std::unexpected<Error> internal_error(std::string message) {
  return std::unexpected(Error(ErrorCode::k_internal, std::move(message)));
}

}  // namespace pedigree
