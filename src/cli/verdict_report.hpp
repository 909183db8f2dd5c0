// Formatting a check report for a terminal, and the exit codes of `check`
// (docs/cli.md): 0 no-nai-found, 10 nai-leak, 11 nai-official, 12 nai,
// 13 unknown; errors keep their codes 1-8.
#pragma once

#include <string>

#include "pedigree/lineage/check.hpp"

namespace pedigree::cli {

enum VerdictExitCode : int {
  k_exit_nai_leak = 10,
  k_exit_nai_official = 11,
  k_exit_nai = 12,
  k_exit_unknown = 13,
};

int exit_code_for_verdict(lineage::VerdictClass verdict);

// How severe an exit code of `check` is, for several targets (higher wins):
// errors (1-8) > nai-leak > nai > nai-official > unknown > no-nai-found.
int exit_severity(int exit_code);

// The human report: verdict first, then paths to NAI, shares, evidence
// (counted or not and why), candidates, what is unknown, notes.
std::string format_check_report(const lineage::CheckReport& report);

}  // namespace pedigree::cli
