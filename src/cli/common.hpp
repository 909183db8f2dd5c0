// Shared pieces of the command-line front end: exit codes, error output,
// JSON printing and terminal detection. No library logic lives in src/cli.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pedigree/util/error.hpp"
#include "pedigree/util/terminal_text.hpp"  // terminal_safe() for every string from others

namespace pedigree::cli {

// Process exit codes (documented in docs/cli.md). Verdict codes of `check`
// are defined beside that command.
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_error = 1,          // an error without a more specific code
  k_exit_usage = 2,          // bad command line
  k_exit_not_found = 3,      // file, hash, key or event not found
  k_exit_bad_input = 4,      // malformed or hostile input (corruption)
  k_exit_io = 5,             // the OS refused a read or write
  k_exit_untrusted = 6,      // a signature failed or a key is not trusted
  k_exit_conflict = 7,       // refused to rewrite or lose data
  k_exit_not_supported = 8,  // valid input this version cannot handle
  // 10-13 are check's verdicts (verdict_report.hpp).
  k_exit_unreachable = 20,   // sync/clone: the remote cannot be contacted
  k_exit_not_a_ledger = 21,  // sync/clone: the remote is a git repository but not a ledger
};

// Exit code for an Error's code.
int exit_code_for(const Error& error);

// Prints "pedigree: error: <message>" on stderr (the message passed through
// terminal_safe) and returns exit_code_for(error).
int report_error(const Error& error);

// Prints `value` on stdout, indented, followed by a newline.
void print_json(const nlohmann::json& value);

// True when stderr is a terminal (progress bars are drawn only then).
bool stderr_is_terminal();

// Prints a Graphviz drawing: the DOT text itself for `format` "dot", else the SVG that Graphviz
// `dot` renders from it. Returns the exit code (an error when `dot` is missing or fails).
int print_drawing(const std::string& dot, std::string_view format);

// Turns SIGBUS into a one-line error and exit code k_exit_io instead of a crash:
// checkpoints are read through memory maps, and a file truncated by another
// process while it is read faults on access (nothing has been written then).
void report_bus_errors();

}  // namespace pedigree::cli
