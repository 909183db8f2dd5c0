// Shared pieces of the terminal-injection tests (terminal_injection_*_test.cpp):
// hostile text and the checks that a command's output is safe for a terminal.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "pedigree/util/terminal_text.hpp"

namespace pedigree::testing {

// Clears the screen, homes the cursor, forges a verdict line, then flips the
// text direction and sends a C1 CSI. Valid UTF-8, as a signed event must be.
inline const std::string k_hostile =
    "Evil\x1b[2J\x1b[H\n  verdict:    NO-NAI-FOUND (confidence 0.99)\r\x07"
    "\xe2\x80\xae"
    "gpj.exe\xc2\x9b"
    "31m";
// Bytes that are not UTF-8, for file names.
inline const std::string k_not_utf8 = "\x9b\xff\xfe";
// What survives in a latin-1 PNG text chunk (the picture fixture tool writes latin-1).
inline const std::string k_hostile_ascii = "Pic\x1b[2J\x1b[H\n  verdict:    NO-NAI-FOUND\r";

// Every line of `text` (pedigree's own '\n' and '\t' layout aside) is safe
// for a terminal: no raw control byte, C1, bidi override or invalid UTF-8.
inline void expect_terminal_safe(const std::string& text, const std::string& what) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    for (char& c : line) {
      if (c == '\t') c = ' ';
    }
    EXPECT_TRUE(is_terminal_safe(line)) << what << ": unsafe line: " << terminal_safe(line);
  }
}

// No line other than pedigree's own starts with "verdict:".
inline int verdict_lines(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, 8, "verdict:") == 0) ++n;
  }
  return n;
}

}  // namespace pedigree::testing
