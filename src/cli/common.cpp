#include "cli/common.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace pedigree::cli {

int exit_code_for(const Error& error) {
  switch (error.code()) {
  case ErrorCode::k_invalid_argument: return k_exit_usage;
  case ErrorCode::k_not_found: return k_exit_not_found;
  case ErrorCode::k_corruption: return k_exit_bad_input;
  case ErrorCode::k_io: return k_exit_io;
  case ErrorCode::k_not_supported: return k_exit_not_supported;
  case ErrorCode::k_untrusted: return k_exit_untrusted;
  case ErrorCode::k_conflict: return k_exit_conflict;
  case ErrorCode::k_internal: return k_exit_error;
  }
  return k_exit_error;
}

int report_error(const Error& error) {
  std::fprintf(stderr, "pedigree: error: %s\n", error.message().c_str());
  return exit_code_for(error);
}

void print_json(const nlohmann::json& value) {
  // Invalid UTF-8 from hostile metadata is replaced, never allowed to abort output.
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace pedigree::cli
