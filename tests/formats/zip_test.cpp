#include "pedigree/formats/zip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/torch_fixtures.hpp"

namespace pedigree::formats {
namespace {

using testing::torch_fixture;

// A minimal zip writer for layouts real writers do not produce on small files.
class ZipBuilder {
public:
  struct Entry {
    std::string name;
    std::string data;
    std::uint64_t header_offset = 0;
  };

  // Appends a stored entry (local header + data) and returns its index.
  std::size_t add(const std::string& name, const std::string& data) {
    Entry e{name, data, m_out.size()};
    local_header(name, data);
    m_out.insert(m_out.end(), data.begin(), data.end());
    m_entries.push_back(e);
    return m_entries.size() - 1;
  }
  // Raw bytes (e.g. a header hidden inside another entry's data).
  void raw(const std::vector<std::uint8_t>& bytes) {
    m_out.insert(m_out.end(), bytes.begin(), bytes.end());
  }
  std::vector<Entry>& entries() { return m_entries; }
  std::size_t size() const { return m_out.size(); }

  // Writes the central directory and end record; with `zip64_fields`, sizes and
  // offsets in the central directory are 0xFFFFFFFF and live in a ZIP64 extra.
  std::vector<std::uint8_t> finish(bool zip64_fields) {
    const std::uint64_t cd_start = m_out.size();
    for (const auto& e : m_entries) {
      const std::uint32_t crc = static_cast<std::uint32_t>(crc32(
          0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size())));
      u32(0x02014b50), u16(20), u16(20), u16(0), u16(0), u16(0), u16(0), u32(crc);
      const std::uint32_t size =
          zip64_fields ? 0xFFFFFFFF : static_cast<std::uint32_t>(e.data.size());
      u32(size), u32(size);
      u16(static_cast<std::uint16_t>(e.name.size())), u16(zip64_fields ? 28 : 0), u16(0), u16(0),
          u16(0), u32(0);
      u32(zip64_fields ? 0xFFFFFFFF : static_cast<std::uint32_t>(e.header_offset));
      m_out.insert(m_out.end(), e.name.begin(), e.name.end());
      if (zip64_fields)
        u16(1), u16(24), u64(e.data.size()), u64(e.data.size()), u64(e.header_offset);
    }
    const std::uint64_t cd_size = m_out.size() - cd_start;
    u32(0x06054b50), u16(0), u16(0), u16(static_cast<std::uint16_t>(m_entries.size())),
        u16(static_cast<std::uint16_t>(m_entries.size()));
    u32(static_cast<std::uint32_t>(cd_size)), u32(static_cast<std::uint32_t>(cd_start)), u16(0);
    return m_out;
  }

private:
  void local_header(const std::string& name, const std::string& data) {
    const std::uint32_t crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    u32(0x04034b50), u16(20), u16(0), u16(0), u16(0), u16(0), u32(crc);
    u32(static_cast<std::uint32_t>(data.size())), u32(static_cast<std::uint32_t>(data.size()));
    u16(static_cast<std::uint16_t>(name.size())), u16(0);
    m_out.insert(m_out.end(), name.begin(), name.end());
  }
  int u16(std::uint16_t v) { return put(v, 2); }
  int u32(std::uint32_t v) { return put(v, 4); }
  int u64(std::uint64_t v) { return put(v, 8); }
  int put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return 0;
  }
  std::vector<std::uint8_t> m_out;
  std::vector<Entry> m_entries;
};

Error zip_error(ByteView bytes) {
  auto parsed = parse_zip(bytes);
  EXPECT_FALSE(parsed);
  return parsed ? Error(ErrorCode::k_internal, "parsed") : parsed.error();
}

void expect_message(const Error& e, const std::string& text) {
  EXPECT_EQ(e.code(), ErrorCode::k_corruption);
  EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
}

TEST(Zip, LocatesEveryEntryWherePythonZipfileDoes) {
  auto bytes = torch_fixture("good_zip_dtypes.ckpt");
  std::ifstream in(std::string(PEDIGREE_TEST_DATA) + "/torch/good_zip_dtypes.zipinfo.json");
  const auto expected = nlohmann::json::parse(in);
  auto zip = parse_zip(bytes);
  ASSERT_TRUE(zip) << zip.error().message();
  EXPECT_TRUE(zip->zip64);  // torch's writer always adds the ZIP64 end records
  ASSERT_EQ(zip->entries.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const ZipEntry& e = zip->entries[i];
    EXPECT_EQ(e.name, expected[i]["name"].get<std::string>());
    EXPECT_EQ(e.header_offset, expected[i]["header_offset"].get<std::uint64_t>());
    EXPECT_EQ(e.data_offset, expected[i]["data_offset"].get<std::uint64_t>());
    EXPECT_EQ(e.uncompressed_size, expected[i]["size"].get<std::uint64_t>());
    EXPECT_EQ(e.crc32, expected[i]["crc32"].get<std::uint32_t>());
    EXPECT_EQ(e.method, ZipMethod::k_stored);
    auto data = zip_read_small_entry(bytes, e, 1 << 20);  // checks the CRC-32
    ASSERT_TRUE(data) << data.error().message();
  }
}

TEST(Zip, ReadsZip64ExtraFieldsInLocalHeaders) {
  auto plain_bytes = torch_fixture("good_zip_dtypes.ckpt");
  auto z64_bytes = torch_fixture("good_zip64_dtypes.ckpt");
  auto plain = parse_zip(plain_bytes);
  auto z64 = parse_zip(z64_bytes);
  ASSERT_TRUE(plain && z64) << (z64 ? "" : z64.error().message());
  ASSERT_EQ(plain->entries.size(), z64->entries.size());
  for (const auto& e : plain->entries) {
    const ZipEntry* other = z64->find(e.name);
    ASSERT_NE(other, nullptr) << e.name;
    auto a = zip_stored_bytes(plain_bytes, e);
    auto b = zip_stored_bytes(z64_bytes, *other);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(std::equal(a->begin(), a->end(), b->begin(), b->end())) << e.name;
  }
}

TEST(Zip, ReadsZip64ExtraFieldsInTheCentralDirectory) {
  ZipBuilder b;
  b.add("archive/a", std::string(100, 'a'));
  b.add("archive/b", "bee");
  auto bytes = b.finish(true);
  auto zip = parse_zip(bytes);
  ASSERT_TRUE(zip) << zip.error().message();
  ASSERT_EQ(zip->entries.size(), 2u);
  EXPECT_EQ(zip->entries[1].header_offset, 30u + 9 + 100);
  EXPECT_EQ(zip->entries[1].compressed_size, 3u);
  auto data = zip_stored_bytes(bytes, zip->entries[1]);
  ASSERT_TRUE(data);
  EXPECT_EQ(as_string_view(*data), "bee");
}

TEST(Zip, DeflatedEntriesAreInflatedOnlyOnRequest) {
  auto bytes = torch_fixture("good_deflated.zip");
  auto zip = parse_zip(bytes);
  ASSERT_TRUE(zip) << zip.error().message();
  const ZipEntry* text = zip->find("dir/text.txt");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->method, ZipMethod::k_deflated);
  EXPECT_EQ(zip_stored_bytes(bytes, *text).error().code(), ErrorCode::k_not_supported);
  auto inflated = zip_read_small_entry(bytes, *text, 4096);
  ASSERT_TRUE(inflated) << inflated.error().message();
  std::string want;
  for (int i = 0; i < 40; ++i) want += "pedigree ";
  EXPECT_EQ(std::string(inflated->begin(), inflated->end()), want);
  EXPECT_EQ(zip_read_small_entry(bytes, *text, 10).error().code(), ErrorCode::k_invalid_argument);
  const ZipEntry* stored = zip->find("dir/stored.bin");
  ASSERT_NE(stored, nullptr);
  auto raw = zip_stored_bytes(bytes, *stored);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ((*raw)[i], i);
}

TEST(Zip, EndRecordIsSearchedOnlyInTheLast65557Bytes) {
  auto bytes = torch_fixture("good_deflated.zip");
  bytes.resize(bytes.size() + 70000, 0);
  expect_message(zip_error(bytes),
                 "no zip end of central directory record in the last 65557 bytes");
}

TEST(Zip, ArchiveCommentIsAccepted) {
  auto bytes = torch_fixture("good_deflated.zip");
  const std::string comment = "a comment that contains PK\x05\x06 on purpose";
  bytes[bytes.size() - 2] = static_cast<std::uint8_t>(comment.size());
  bytes.insert(bytes.end(), comment.begin(), comment.end());
  auto zip = parse_zip(bytes);
  ASSERT_TRUE(zip) << zip.error().message();
  EXPECT_EQ(zip->entries.size(), 2u);
}

TEST(Zip, RefusesAnEntryCountTheDirectoryCannotHold) {
  auto bytes = torch_fixture("good_deflated.zip");
  const std::size_t eocd = bytes.size() - 22;
  bytes[eocd + 8] = bytes[eocd + 10] = 0xFE;
  bytes[eocd + 9] = bytes[eocd + 11] = 0xFF;
  expect_message(zip_error(bytes), "zip entry count 65534 cannot fit");
}

TEST(Zip, RefusesOverlappingEntries) {
  ZipBuilder b;
  // Entry "a" hides a complete local header + data for "b" inside its own data.
  ZipBuilder inner;
  inner.add("b", "hidden");
  auto hidden = inner.finish(false);
  hidden.resize(30 + 1 + 6);
  b.add("a", std::string(hidden.begin(), hidden.end()));
  b.entries().push_back({"b", "hidden", 30 + 1});
  expect_message(zip_error(b.finish(false)), "zip entries 'a' and 'b' overlap");
}

TEST(Zip, RefusesDuplicateNamesAndMismatchedLocalNames) {
  ZipBuilder dup;
  dup.add("same", "1");
  dup.add("same", "2");
  expect_message(zip_error(dup.finish(false)), "duplicate zip entry name 'same'");
  ZipBuilder renamed;
  renamed.add("real", "1");
  renamed.entries()[0].name = "fake";
  expect_message(zip_error(renamed.finish(false)), "names 'real' instead");
}

TEST(Zip, RefusesAZip64LocatorPointingOutside) {
  auto bytes = torch_fixture("good_zip_dtypes.ckpt");
  const std::size_t locator = bytes.size() - 22 - 20;
  ASSERT_EQ(load_le32(bytes.data() + locator), 0x07064b50u);
  bytes[locator + 8 + 7] = 0x7F;  // record offset becomes huge
  expect_message(zip_error(bytes), "zip64 end of central directory offset");
}

TEST(Zip, RefusesEntriesBeyondTheEndAndBadDirectories) {
  expect_message(zip_error(torch_fixture("bad_entry_beyond_eof.ckpt")),
                 "runs past the central directory");
  expect_message(zip_error(torch_fixture("bad_central_directory.ckpt")),
                 "bad zip central directory entry signature");
  expect_message(zip_error(torch_fixture("bad_truncated.ckpt")), "no zip end of central directory");
  expect_message(zip_error(torch_fixture("bad_not_checkpoint.ckpt")),
                 "no zip end of central directory");
}

TEST(Zip, EveryTruncationIsRefused) {
  auto bytes = torch_fixture("good_deflated.zip");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_zip(ByteView(bytes.data(), n))) << n;
  }
}

}  // namespace
}  // namespace pedigree::formats
