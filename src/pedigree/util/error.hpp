// One error convention for the whole library.
//
// Library functions never throw for expected failures (bad input, missing
// files, forged events): they return Result<T>, which holds either a value or
// an Error. The CLI maps an Error to an exit code and one line on stderr:
//   pedigree: error: <message>
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace pedigree {

// A few codes, chosen by what a caller does about them, not by where they
// arose. Keep this list short.
enum class ErrorCode {
  k_invalid_argument,  // the caller asked for something malformed
  k_not_found,         // a file, key, hash or event that does not exist
  k_corruption,        // input bytes violate their format (hostile or damaged)
  k_io,                // the operating system refused a read or write
  k_not_supported,     // a valid input this version cannot handle
  k_untrusted,         // a signature or key that does not verify or is not trusted
  k_conflict,          // an operation would lose or rewrite data (rewrites, races)
  k_internal,          // a bug: an invariant of pedigree itself was broken
};

// Short lower-case name of a code, e.g. "corruption".
std::string_view error_code_name(ErrorCode code);

class Error {
public:
  // Control characters, bidi overrides and invalid UTF-8 in `message` (from
  // hostile names quoted in it) are escaped by terminal_safe() (\n, \x1b, \u202e),
  // so an error is always one line and never drives the terminal.
  Error(ErrorCode code, std::string message)
      : m_code(code), m_message(escape_control_characters(std::move(message))) {}

  // terminal_safe(text) (util/terminal_text.hpp): controls, bidi, bad UTF-8 escaped.
  static std::string escape_control_characters(std::string text);

  ErrorCode code() const { return m_code; }
  const std::string& message() const { return m_message; }

  // Returns a copy whose message is "<context>: <message>", e.g. the file name.
  Error with_context(std::string_view context) const;

private:
  ErrorCode m_code;
  std::string m_message;
};

template <typename T> using Result = std::expected<T, Error>;

// Helpers that build an unexpected Error of each code, for `return corruption("...")`.
std::unexpected<Error> invalid_argument(std::string message);
std::unexpected<Error> not_found(std::string message);
std::unexpected<Error> corruption(std::string message);
std::unexpected<Error> io_error(std::string message);
std::unexpected<Error> not_supported(std::string message);
std::unexpected<Error> untrusted(std::string message);
std::unexpected<Error> conflict(std::string message);
std::unexpected<Error> internal_error(std::string message);

// " at offset N": where in its input a parser found what a message reports.
std::string at_offset(std::uint64_t offset);

}  // namespace pedigree

#define PEDIGREE_CONCAT_INNER(a, b) a##b
#define PEDIGREE_CONCAT(a, b) PEDIGREE_CONCAT_INNER(a, b)

// Evaluates a Result-returning expression and returns its Error from the
// enclosing function if it failed.
#define PD_TRY(expr)                                                                               \
  do {                                                                                             \
    auto&& pd_try_result_ = (expr);                                                                \
    if (!pd_try_result_) return std::unexpected(std::move(pd_try_result_).error());               \
  } while (0)

// Declares `lhs` from the value of a Result-returning expression, or returns
// its Error. Example: PD_ASSIGN_OR_RETURN(auto header, parse_header(bytes));
#define PD_ASSIGN_OR_RETURN(lhs, expr) PD_ASSIGN_IMPL(PEDIGREE_CONCAT(pd_result_, __LINE__), lhs, expr)
#define PD_ASSIGN_IMPL(tmp, lhs, expr)                                                             \
  auto tmp = (expr);                                                                               \
  if (!tmp) return std::unexpected(std::move(tmp).error());                                        \
  lhs = std::move(*tmp)
