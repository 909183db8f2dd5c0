// util/file.hpp's MappedFile: a read-only map of a whole file whose pages a
// long pass can give back (drop) and read again from the file.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "pedigree/util/file.hpp"
#include "support/temp_dir.hpp"

namespace pedigree {
namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  return s;
}

TEST(MappedFile, DroppedPagesReadBackTheFileBytes) {
  testing::TempDir dir;
  const auto path = dir / "data.bin";
  const std::string contents = pattern(5 * 4096 + 123);
  std::ofstream(path, std::ios::binary) << contents;
  auto map = MappedFile::open(path);
  ASSERT_TRUE(map) << map.error().message();
  ASSERT_EQ(map->size(), contents.size());
  const ByteView bytes = map->bytes();
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), contents);
  map->drop(4096 + 17, 2 * 4096);           // unaligned start: its page goes too
  map->drop(contents.size() - 5, 1 << 20);  // clamped to the file
  map->drop(contents.size() + 1, 10);       // past the end: nothing
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), contents);
}

TEST(MappedFile, EmptyFileMapsToNothingAndDropIsHarmless) {
  testing::TempDir dir;
  const auto path = dir / "empty.bin";
  std::ofstream(path, std::ios::binary).flush();
  auto map = MappedFile::open(path);
  ASSERT_TRUE(map) << map.error().message();
  EXPECT_EQ(map->size(), 0u);
  map->drop(0, 100);
  EXPECT_TRUE(map->bytes().empty());
}

}  // namespace
}  // namespace pedigree
