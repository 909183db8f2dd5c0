// Running external tools from tests (git, openssl, python3, sha256sum, the pedigree
// binary): the one definition of CommandResult, run_command and shell_quote in the
// test binary (see temp_dir.hpp on why there must be only one).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace pedigree::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout (stderr too when merged by the command line)
};

// Runs `command` through /bin/sh and captures its stdout.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Single-quotes `s` for /bin/sh.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// A path single-quoted for /bin/sh.
inline std::string quote_path(const std::filesystem::path& p) {
  return shell_quote(p.string());
}

}  // namespace pedigree::testing
