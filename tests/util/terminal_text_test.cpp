#include "pedigree/util/terminal_text.hpp"

#include <gtest/gtest.h>

#include "pedigree/util/error.hpp"

namespace pedigree {
namespace {

TEST(TerminalText, KeepsPrintableAsciiAndValidUtf8) {
  const std::string text =
      "animefull-final (0.3) caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9e\x8b \xf0\x9f\x8e\xa8";
  EXPECT_EQ(terminal_safe(text), text);
  EXPECT_TRUE(is_terminal_safe(text));
  EXPECT_TRUE(is_terminal_safe(""));
}

TEST(TerminalText, EscapesC0ControlsAndDel) {
  EXPECT_EQ(terminal_safe("a\x1b[2J\x1b[Hb"), "a\\x1b[2J\\x1b[Hb");
  EXPECT_EQ(terminal_safe("x\ny\rz\tw"), "x\\ny\\rz\\tw");
  EXPECT_EQ(terminal_safe(std::string("\0\x07\x7f", 3)), "\\x00\\x07\\x7f");
  EXPECT_FALSE(is_terminal_safe("a\nb"));
}

TEST(TerminalText, EscapesC1ControlsWhetherEncodedOrRaw) {
  EXPECT_EQ(terminal_safe("\xc2\x9b"
                          "2J"),
            "\\u009b2J");                           // CSI as UTF-8
  EXPECT_EQ(terminal_safe("\xc2\x85"), "\\u0085");  // NEL
  EXPECT_EQ(terminal_safe("\x9b"
                          "2J"),
            "\\x9b2J");                              // a raw C1 byte is invalid UTF-8
  EXPECT_EQ(terminal_safe("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
}

TEST(TerminalText, EscapesBidiOverridesAndLineSeparators) {
  EXPECT_EQ(terminal_safe("evil\xe2\x80\xaetxt.exe"), "evil\\u202etxt.exe");
  EXPECT_EQ(terminal_safe("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9"), "\\u202a\\u2066\\u2069");
  EXPECT_EQ(terminal_safe("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
  EXPECT_EQ(terminal_safe("\xe2\x80\x8f\xd8\x9c"), "\\u200f\\u061c");
  EXPECT_EQ(terminal_safe("\xe2\x80\x94"), "\xe2\x80\x94");  // an em dash stays
}

TEST(TerminalText, EscapesInvalidUtf8BytePerByte) {
  EXPECT_EQ(terminal_safe("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(terminal_safe("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(terminal_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(terminal_safe("ab\xe6\xa8"), "ab\\xe6\\xa8");                // truncated at the end
  EXPECT_EQ(terminal_safe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(TerminalText, OutputIsAlwaysSafeAndStable) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  all += "\xe2\x80\xae\xc2\x9b";
  const std::string once = terminal_safe(all);
  EXPECT_TRUE(is_terminal_safe(once));
  EXPECT_EQ(terminal_safe(once), once);
  for (unsigned char c : once) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
}

TEST(TerminalText, LinesVariantKeepsOnlyNewlines) {
  EXPECT_EQ(terminal_safe_lines("a\nb\x1b[2J\r\n"), "a\nb\\x1b[2J\\r\n");
}

TEST(TerminalText, ErrorMessagesUseTheSameEscapes) {
  Error e(ErrorCode::k_corruption, "bad name 'x\xe2\x80\xae\x1b[2J\xff'");
  EXPECT_EQ(e.message(), "bad name 'x\\u202e\\x1b[2J\\xff'");
  EXPECT_EQ(e.with_context("f\n").message(), "f\\n: bad name 'x\\u202e\\x1b[2J\\xff'");
}

}  // namespace
}  // namespace pedigree
