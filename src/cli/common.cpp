#include "cli/common.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "pedigree/lineage/graph.hpp"

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
  std::fprintf(stderr, "pedigree: error: %s\n", terminal_safe(error.message()).c_str());
  return exit_code_for(error);
}

int print_drawing(const std::string& dot, std::string_view format) {
  if (format == "dot") {
    std::fputs(dot.c_str(), stdout);
    return k_exit_ok;
  }
  auto svg = lineage::render_svg(dot);
  if (!svg) return report_error(svg.error());
  std::fwrite(svg->data(), 1, svg->size(), stdout);
  return k_exit_ok;
}

void print_json(const nlohmann::json& value) {
  // Invalid UTF-8 from hostile metadata is replaced, never allowed to abort output.
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

namespace {

extern "C" void on_bus_error(int) {
  static constexpr char k_message[] =
      "pedigree: error: a file being read shrank or became unreadable while it was mapped "
      "(SIGBUS); nothing was written\n";
  // Only async-signal-safe calls here.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, k_message, sizeof k_message - 1);
  ::_exit(k_exit_io);
}

}  // namespace

void report_bus_errors() {
  struct sigaction action {};
  action.sa_handler = on_bus_error;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}

}  // namespace pedigree::cli
