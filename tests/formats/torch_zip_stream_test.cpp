// Reading torch.save's zip checkpoints as they arrive (formats/torch_zip_stream.hpp):
// every tensor of every zip fixture torch wrote, whatever the piece size; the
// archives a stream cannot follow are refused, never misread.
#include "pedigree/formats/torch_zip_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pedigree/formats/torch_zip.hpp"
#include "pedigree/util/bytes.hpp"
#include "support/ledger_support.hpp"
#include "support/torch_fixtures.hpp"

namespace pedigree::formats {
namespace {

using testing::torch_fixture;

struct Streamed {
  Result<void> status;
  std::vector<std::uint8_t> payload;
  std::optional<Checkpoint> plan;
};

Streamed stream_in_pieces(const std::vector<std::uint8_t>& file, std::size_t piece) {
  Streamed out;
  TorchZipStream stream(file.size());
  auto keep = [&](ByteView bytes) -> Result<void> {
    out.payload.insert(out.payload.end(), bytes.begin(), bytes.end());
    return {};
  };
  ByteView rest(file.data(), file.size());
  while (!rest.empty()) {
    const bool had_plan = stream.plan() != nullptr;
    auto used = stream.feed(rest.first(std::min(piece, rest.size())), keep);
    if (!used) {
      out.status = std::unexpected(used.error());
      return out;
    }
    // The plan comes before the first storage byte, and feed stops right there.
    if (!had_plan && stream.plan() != nullptr) {
      EXPECT_TRUE(out.payload.empty());
    }
    rest = rest.subspan(*used);
  }
  out.status = stream.finish();
  if (stream.plan() != nullptr) out.plan = *stream.plan();
  return out;
}

class TorchZipStreamGood : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchZipStreamGood, EveryTensorEqualsWhatTorchWroteWhateverThePieces) {
  const auto file = torch_fixture(std::string(GetParam()) + ".ckpt");
  ASSERT_FALSE(file.empty());
  for (std::size_t piece : {std::size_t{1}, std::size_t{29}, std::size_t{4096}, file.size()}) {
    auto s = stream_in_pieces(file, piece);
    ASSERT_TRUE(s.status) << GetParam() << " in pieces of " << piece << ": "
                          << s.status.error().message();
    ASSERT_TRUE(s.plan);
    EXPECT_EQ(s.plan->format, Format::k_torch_zip);
    ASSERT_EQ(s.plan->source_sizes.size(), 1u);
    EXPECT_EQ(s.plan->source_sizes[0], s.payload.size());
    // Offsets are into the payload: the values torch wrote are found there.
    testing::expect_matches_torch(GetParam(), s.payload, *s.plan);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchZipStreamGood,
                         ::testing::Values("good_zip_dtypes", "good_zip_views", "good_zip_nested",
                                           "good_zip_lightning", "good_zip_sd1",
                                           "good_zip64_dtypes"));

// Rewrites a fixture's entries with Python's zipfile (sizes in the local
// headers, no data descriptors) in the order `order_expr` (a Python
// expression over the list of names `n`) gives; torch.load reads it either way.
std::vector<std::uint8_t> rewritten(const std::string& stem, const std::string& order_expr) {
  testing::TempDir dir;
  const std::string out = (dir.path() / "out.ckpt").string();
  const std::string script =
      "import sys, zipfile\n"
      "src = zipfile.ZipFile(sys.argv[1])\n"
      "n = src.namelist()\n"
      "with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_STORED) as dst:\n"
      "    for name in " +
      order_expr +
      ":\n"
      "        dst.writestr(name, src.read(name))\n";
  const auto py = dir.path() / "rewrite.py";
  testing::write_text(py, script);
  auto run = testing::run_command("python3 " + py.string() + " " + PEDIGREE_SOURCE_DIR +
                                  "/tests/data/torch/" + stem + ".ckpt " + out);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const std::string bytes = testing::read_text(out);
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

TEST(TorchZipStream, SizesInLocalHeadersAreFollowedToo) {
  const auto file = rewritten("good_zip_dtypes", "n");
  ASSERT_TRUE(parse_torch_zip(ByteView(file.data(), file.size())));
  auto s = stream_in_pieces(file, 113);
  ASSERT_TRUE(s.status) << s.status.error().message();
  testing::expect_matches_torch("good_zip_dtypes", s.payload, *s.plan);
}

TEST(TorchZipStream, StoragesOutOfTorchsOrderAreRefusedNotMisread) {
  // data.pkl first, then the storages in reverse order: a file reader reads
  // it (it seeks), a stream cannot place the storages before they arrive.
  const auto file = rewritten("good_zip_dtypes", "[n[0]] + sorted(n[1:], reverse=True)");
  ASSERT_TRUE(parse_torch_zip(ByteView(file.data(), file.size())));
  auto s = stream_in_pieces(file, 4096);
  ASSERT_FALSE(s.status);
  EXPECT_EQ(s.status.error().code(), ErrorCode::k_not_supported) << s.status.error().message();
  EXPECT_NE(s.status.error().message().find("cannot be read as it arrives"), std::string::npos);
}

TEST(TorchZipStream, PickleNotFirstIsRefused) {
  const auto file = rewritten("good_zip_dtypes", "n[1:] + [n[0]]");
  auto s = stream_in_pieces(file, 4096);
  ASSERT_FALSE(s.status);
  EXPECT_EQ(s.status.error().code(), ErrorCode::k_not_supported) << s.status.error().message();
}

// The central directory (what torch.load follows) must tell the same story as
// the local headers the stream read: a storage whose directory entry points
// elsewhere, or whose CRC differs, fails the stream at its end.
TEST(TorchZipStream, CentralDirectoryDisagreeingWithLocalHeadersFails) {
  const auto file = torch_fixture("good_zip_dtypes.ckpt");
  ASSERT_FALSE(file.empty());
  std::size_t central = 0;
  for (std::size_t i = 0; i + 4 <= file.size(); ++i)
    if (load_le32(file.data() + i) == k_zip_central_signature) {
      central = i;  // the first central entry: data.pkl's
      break;
    }
  ASSERT_GT(central, 0u);
  auto crc_changed = file;
  crc_changed[central + 16] ^= 0x01;  // its CRC-32
  auto s = stream_in_pieces(crc_changed, 4096);
  ASSERT_FALSE(s.status);
  EXPECT_NE(s.status.error().message().find("disagrees with the archive's local headers"),
            std::string::npos)
      << s.status.error().message();

  auto moved = file;
  moved[central + 42] ^= 0x40;  // its local header offset
  EXPECT_FALSE(stream_in_pieces(moved, 4096).status);
}

// A record the stream interprets (data.pkl) whose bytes no longer match its
// CRC-32: the file reader refuses it, so the stream must too, whether the CRC
// sits in the local header or in a data descriptor after the data. The change
// renames a tensor, so the pickle still parses (found by fuzz_torch_zip).
TEST(TorchZipStream, PickleFailingItsCrcIsRefusedLikeTheFileReaderDoes) {
  for (const bool sizes_in_headers : {false, true}) {
    auto file = sizes_in_headers ? rewritten("good_zip_dtypes", "n")
                                 : torch_fixture("good_zip_dtypes.ckpt");
    ASSERT_FALSE(file.empty());
    auto parsed = parse_torch_zip(ByteView(file.data(), file.size()));
    ASSERT_TRUE(parsed) << parsed.error().message();
    const std::string name = parsed->tensors.front().name;
    const auto hit = std::search(file.begin(), file.end(), name.begin(), name.end());
    ASSERT_NE(hit, file.end()) << name;
    *hit = static_cast<std::uint8_t>(*hit == 'Z' ? 'Y' : 'Z');
    const auto refused = parse_torch_zip(ByteView(file.data(), file.size()));
    ASSERT_FALSE(refused);
    ASSERT_NE(refused.error().message().find("CRC-32"), std::string::npos);
    for (std::size_t piece : {std::size_t{1}, std::size_t{4096}, file.size()}) {
      auto s = stream_in_pieces(file, piece);
      ASSERT_FALSE(s.status) << "sizes in headers: " << sizes_in_headers << ", piece " << piece;
      EXPECT_EQ(s.status.error().code(), ErrorCode::k_corruption);
      EXPECT_NE(s.status.error().message().find("fails its CRC-32 check"), std::string::npos)
          << s.status.error().message();
    }
  }
}

// A stored entry whose local header gives two different sizes: the file
// reader holds both to the central directory and refuses it; so does the stream.
TEST(TorchZipStream, LocalHeaderWithTwoSizesIsRefused) {
  auto file = rewritten("good_zip_dtypes", "n");  // sizes in the local headers
  ASSERT_FALSE(file.empty());
  std::size_t storage_header = 0;
  for (std::size_t i = 0; i + 30 <= file.size(); ++i) {
    if (load_le32(file.data() + i) != k_zip_local_signature) continue;
    const std::size_t name_len = load_le16(file.data() + i + 26);
    const std::string name(reinterpret_cast<const char*>(file.data() + i + 30), name_len);
    if (name.find("/data/") != std::string::npos) {
      storage_header = i;
      break;
    }
  }
  ASSERT_GT(storage_header, 0u);
  file[storage_header + 22] ^= 0x01;  // its uncompressed size
  ASSERT_FALSE(parse_torch_zip(ByteView(file.data(), file.size())));
  auto s = stream_in_pieces(file, 4096);
  ASSERT_FALSE(s.status);
  EXPECT_EQ(s.status.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(s.status.error().message().find("uncompressed"), std::string::npos)
      << s.status.error().message();
}

TEST(TorchZipStream, TruncatedOrOverlongStreamsFail) {
  const auto file = torch_fixture("good_zip_dtypes.ckpt");
  ASSERT_GT(file.size(), 100u);
  for (std::size_t cut : {std::size_t{3}, std::size_t{40}, file.size() / 2, file.size() - 1}) {
    TorchZipStream stream(file.size());
    auto keep = [](ByteView) -> Result<void> { return {}; };
    ByteView rest(file.data(), cut);
    bool failed = false;
    while (!rest.empty() && !failed) {
      auto used = stream.feed(rest, keep);
      failed = !used;
      if (used) rest = rest.subspan(*used);
    }
    if (!failed) {
      auto end = stream.finish();
      EXPECT_FALSE(end) << "cut at " << cut;
    }
  }
  TorchZipStream shorter(10);
  auto keep = [](ByteView) -> Result<void> { return {}; };
  EXPECT_FALSE(shorter.feed(ByteView(file.data(), 11), keep));
}

TEST(TorchZipStream, NotAZipFailsAndStaysFailed) {
  const std::string text = "PK\x03\x04 and then nothing that a zip local header would hold";
  TorchZipStream stream(text.size());
  auto keep = [](ByteView) -> Result<void> { return {}; };
  const ByteView bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  auto used = stream.feed(bytes, keep);  // the header's lengths ask for more than there is
  if (used) {
    EXPECT_FALSE(stream.finish());
  }
  EXPECT_FALSE(stream.feed(ByteView(), keep));  // finished or failed: nothing more
}

}  // namespace
}  // namespace pedigree::formats
