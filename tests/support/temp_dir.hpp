// The one temporary-directory helper of the test binary (every test file that needs
// one includes this header, directly or through a helper header): a class defined
// differently in two headers of one binary is an ODR violation, not only a duplicate.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace pedigree::testing {

// A fresh directory under the system temp dir ($TMPDIR), removed (recursively) on
// destruction. Its name holds the running test's name, the process id, a per-process
// counter and a random number, so tests running side by side (ctest -j, one process
// per test) and several TempDirs in one test never share a directory.
class TempDir {
public:
  TempDir() {
    static std::atomic<unsigned> s_count{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::random_device rd;
    std::string name = info ? info->name() : "test";  // "Name/0" for parameterized tests
    for (char& c : name)
      if (c == '/') c = '_';
    m_path = std::filesystem::temp_directory_path() /
             ("pedigree-" + name.substr(0, 80) + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(s_count++) + "-" + std::to_string(rd()));
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  // Writes `bytes` to NAME inside the directory (creating parent directories); returns its path.
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    auto p = m_path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

private:
  std::filesystem::path m_path;
};

}  // namespace pedigree::testing
