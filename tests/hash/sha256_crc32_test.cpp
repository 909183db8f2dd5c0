#include <gtest/gtest.h>

#include "hash/testing.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/hash/crc32.hpp"
#include "pedigree/util/hex.hpp"

#include <zlib.h>

namespace pedigree::hash {
namespace {

using pedigree::testing::command_output;
using pedigree::testing::shell_quote;

TEST(Sha256, MatchesSha256sumOnAFileHashedInPieces) {
  pedigree::testing::TempDir dir;
  const auto bytes = pedigree::testing::pattern_bytes(300001, 1);
  pedigree::testing::write_bytes(dir / "f", bytes);
  crypto::Sha256 h;
  for (std::size_t pos = 0; pos < bytes.size(); pos += 4099) {
    h.update(ByteView(bytes).subspan(pos, std::min<std::size_t>(4099, bytes.size() - pos)));
  }
  const auto expected = command_output("sha256sum " + shell_quote((dir / "f").string()));
  EXPECT_EQ(to_hex(h.finish()), expected.substr(0, 64));
}

TEST(Crc32, MatchesPythonZlibAndReversesBytesForCivitai) {
  pedigree::testing::TempDir dir;
  const auto bytes = pedigree::testing::pattern_bytes(100003, 2);
  pedigree::testing::write_bytes(dir / "f", bytes);
  Crc32 crc;
  crc.update(ByteView(bytes).first(5));
  crc.update(ByteView(bytes).subspan(5));
  const std::string script =
      "import zlib,sys; c=zlib.crc32(open(sys.argv[1],'rb').read()); "
      "print('%08x %s' % (c, c.to_bytes(4,'little').hex()))";
  const auto expected = command_output("/usr/bin/python3 -c " + shell_quote(script) + " " +
                                       shell_quote((dir / "f").string()));
  EXPECT_EQ(crc32_hex(crc.value()) + " " + crc32_civitai_hex(crc.value()), expected);
}

TEST(Crc32, DomainExampleOfCivitaiReversal) {
  // domain.md §2: standard 44aeb574 shows on Civitai as 74B5AE44.
  EXPECT_EQ(crc32_civitai_hex(0x44aeb574u), "74b5ae44");
}

}  // namespace
}  // namespace pedigree::hash

namespace pedigree::hash {
namespace {

// The PCLMUL path (inputs of 64 bytes and more) against zlib's table CRC for
// every length around the fold boundaries, any starting value and any split.
TEST(Crc32, FoldingPathAgreesWithZlibForEveryLengthAndSplit) {
  const auto bytes = pedigree::testing::pattern_bytes(5000, 3);
  for (std::size_t n = 0; n <= 600; ++n) {
    for (std::uint32_t start : {0u, 0xFFFFFFFFu, 0x12345678u}) {
      Crc32 crc;
      crc.update(ByteView(reinterpret_cast<const std::uint8_t*>(&start), 4));
      const std::uint32_t before = crc.value();
      crc.update(ByteView(bytes).first(n));
      ASSERT_EQ(crc.value(), static_cast<std::uint32_t>(crc32_z(before, bytes.data(), n))) << n;
    }
  }
  Crc32 pieces;
  for (std::size_t pos = 0; pos < bytes.size(); pos += 777) {
    pieces.update(ByteView(bytes).subspan(pos, std::min<std::size_t>(777, bytes.size() - pos)));
  }
  EXPECT_EQ(pieces.value(), static_cast<std::uint32_t>(crc32_z(0, bytes.data(), bytes.size())));
}

}  // namespace
}  // namespace pedigree::hash
