// A test hook for crash consistency: every step at which a writing command
// changes something on disk calls fault_point(). With the environment
// variable PEDIGREE_FAULT_AT=N set, the N-th call (counting from 1, per
// process) prints "pedigree: fault injected at step N (<name>)" on stderr
// and ends the process with _exit(k_fault_exit_code) on the spot, as a
// SIGKILL would: no destructor, no flush, no unlock except by the kernel.
// Tests run a command with N = 1, 2, ... until it completes, so every step
// is killed once (tests/e2e/crash_consistency_test.cpp). Unset (always, in
// normal use) the hook costs one branch. Documented in docs/sync.md
// ("Crash consistency").
#pragma once

#include <string_view>

namespace pedigree {

inline constexpr int k_fault_exit_code = 86;

// Counts one write step named `step` (a short constant, e.g. "attest:commit").
void fault_point(std::string_view step);

}  // namespace pedigree
