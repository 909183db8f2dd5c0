#include "pedigree/util/error.hpp"

#include "pedigree/util/terminal_text.hpp"

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
  if (is_terminal_safe(text)) return text;
  return terminal_safe(text);
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
std::string at_offset(std::uint64_t offset) {
  std::string text = " at offset ";  // appended, not `+`: gcc 12 -O3 warns on that falsely
  text += std::to_string(offset);
  return text;
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
