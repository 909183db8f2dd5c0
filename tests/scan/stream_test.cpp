// StreamScan: bytes pushed with write() and bytes received straight into the
// ring (write_space() + commit()) are one stream, hashed as if read from a file.
#include "pedigree/scan/stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/hash/file_hashes.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::scan {
namespace {

std::vector<std::uint8_t> stream_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::string digest_hex(ByteView bytes) {
  crypto::Sha256 sha;
  sha.update(bytes);
  const auto digest = sha.finish();
  return to_hex(ByteView(digest.data(), digest.size()));
}

formats::Checkpoint bytes_only(std::uint64_t size) {
  formats::Checkpoint ck;
  ck.sources = {"stream"};
  ck.source_sizes = {size};
  return ck;
}

ScanOptions small_ring() {
  ScanOptions options;
  options.chunk_bytes = 4096;  // many chunk boundaries in a small stream
  options.ring_chunks = 3;
  options.threads = 1;
  return options;
}

TEST(StreamScan, BytesReceivedIntoTheRingAndWrittenAreOneStream) {
  const auto bytes = stream_bytes(100'003, 7);
  hash::RangeSha256Sink sha(0, UINT64_MAX);
  ByteSink* sinks[] = {&sha};
  auto scan = StreamScan::start(bytes_only(bytes.size()), sinks, {}, small_ring());
  ASSERT_TRUE(scan) << scan.error().message();
  std::mt19937 rng(3);
  std::size_t at = 0;
  bool direct = false;
  while (at < bytes.size()) {
    const std::size_t want = std::min<std::size_t>(1 + rng() % 9000, bytes.size() - at);
    if (direct) {
      auto space = (*scan)->write_space();
      ASSERT_TRUE(space) << space.error().message();
      ASSERT_FALSE(space->empty());
      const std::size_t n = std::min(want, space->size());  // never past a chunk
      std::memcpy(space->data(), bytes.data() + at, n);
      ASSERT_TRUE((*scan)->commit(n));
      at += n;
    } else {
      ASSERT_TRUE((*scan)->write(ByteView(bytes.data() + at, want)));
      at += want;
    }
    direct = !direct;
  }
  auto space = (*scan)->write_space();
  ASSERT_TRUE(space);
  EXPECT_TRUE(space->empty()) << "no room past the declared size";
  EXPECT_EQ((*scan)->received(), bytes.size());
  ASSERT_TRUE((*scan)->finish());
  EXPECT_EQ(sha.hex(), digest_hex(ByteView(bytes.data(), bytes.size())));
}

TEST(StreamScan, ACommitOutsideTheWriteSpaceIsRefused) {
  hash::RangeSha256Sink sha(0, UINT64_MAX);
  ByteSink* sinks[] = {&sha};
  auto scan = StreamScan::start(bytes_only(10'000), sinks, {}, small_ring());
  ASSERT_TRUE(scan);
  auto space = (*scan)->write_space();
  ASSERT_TRUE(space);
  EXPECT_EQ(space->size(), 4096u);  // one chunk of the ring
  auto too_many = (*scan)->commit(space->size() + 1);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code(), ErrorCode::k_internal);
  EXPECT_EQ((*scan)->received(), 0u) << "a refused commit counts nothing";
  // The stream is short of its declared size: finish() says so.
  auto ended = (*scan)->finish();
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), ErrorCode::k_corruption);
  auto after = (*scan)->write_space();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::k_invalid_argument);
}

TEST(StreamScan, TheLastWriteSpaceEndsAtTheDeclaredSize) {
  const auto bytes = stream_bytes(5000, 11);  // one full chunk, then 904 bytes
  hash::RangeSha256Sink sha(0, UINT64_MAX);
  ByteSink* sinks[] = {&sha};
  auto scan = StreamScan::start(bytes_only(bytes.size()), sinks, {}, small_ring());
  ASSERT_TRUE(scan);
  ASSERT_TRUE((*scan)->write(ByteView(bytes.data(), 4096)));
  auto space = (*scan)->write_space();
  ASSERT_TRUE(space);
  ASSERT_EQ(space->size(), 904u);
  std::memcpy(space->data(), bytes.data() + 4096, 904);
  ASSERT_TRUE((*scan)->commit(904));
  ASSERT_TRUE((*scan)->finish());
  EXPECT_EQ(sha.hex(), digest_hex(ByteView(bytes.data(), bytes.size())));
}

}  // namespace
}  // namespace pedigree::scan
