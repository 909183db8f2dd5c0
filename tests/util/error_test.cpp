// Errors are always one printable line, whatever hostile text they quote.
#include <gtest/gtest.h>

#include "pedigree/util/error.hpp"

namespace pedigree {
namespace {

TEST(Error, ControlCharactersInMessagesAreEscaped) {
  auto e = corruption("zip entry 'a\nb\rc\td\x1b[31me\x7f' is bad");
  EXPECT_EQ(e.error().message(), "zip entry 'a\\nb\\rc\\td\\x1b[31me\\x7f' is bad");
}

TEST(Error, ContextIsEscapedToo) {
  Error e(ErrorCode::k_io, "cannot read");
  EXPECT_EQ(e.with_context("dir/evil\nname").message(), "dir/evil\\nname: cannot read");
}

TEST(Error, PrintableAndUtf8TextIsKept) {
  const std::string text = "caf\xc3\xa9 model.safetensors: offsets [0, 8) overlap";
  EXPECT_EQ(Error(ErrorCode::k_corruption, text).message(), text);
}

}  // namespace
}  // namespace pedigree
