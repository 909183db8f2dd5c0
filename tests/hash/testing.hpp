// Helpers shared by the hash tests: temporary directories, files, and running
// independent tools (python3 hashlib/zlib, sha256sum, openssl, the pedigree binary).
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace pedigree::testing {

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
inline std::vector<std::uint8_t> pattern_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// Output of a command with trailing whitespace removed; fails the test if it fails.
inline std::string command_output(const std::string& command) {
  auto r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command;
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == ' '))
    r.output.pop_back();
  return r.output;
}

}  // namespace pedigree::testing
