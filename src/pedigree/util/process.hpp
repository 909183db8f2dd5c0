// Running a helper program (e.g. `git credential fill`) with text on its
// stdin and its stdout captured. No shell is involved: arguments are passed
// as they are.
#pragma once

#include <string>
#include <vector>

#include "pedigree/util/error.hpp"

namespace pedigree {

struct ProcessOutput {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;     // everything written to stdout
};

// What happens to the helper's stderr.
enum class ChildStderr { k_inherit, k_discard };

// Runs argv[0] (searched in PATH) with `input` on stdin, waits for it and
// returns its exit code and stdout. stderr is inherited or discarded. IOError
// when it cannot be started (not installed: the message names the program).
// `input` should stay below the pipe buffer (64 KiB): it is written before
// stdout is read.
Result<ProcessOutput> run_process(const std::vector<std::string>& argv, const std::string& input,
                                  ChildStderr child_stderr);

}  // namespace pedigree
