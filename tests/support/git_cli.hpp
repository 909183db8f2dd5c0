// The `git` CLI as a test peer: runs `git ARGS` in a directory and returns its
// output without the trailing newlines, failing the test when git fails.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/ledger_support.hpp"

namespace pedigree::testing {

inline std::string git(const std::filesystem::path& dir, const std::string& args) {
  auto r = run_command("cd " + shell_quote(dir.string()) + " && git " + args + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

}  // namespace pedigree::testing
