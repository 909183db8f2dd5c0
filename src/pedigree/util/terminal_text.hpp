// Text from others made safe to print on a terminal.
//
// Names, paths, summaries and messages that came from a ledger event, a file
// or a picture may hold bytes that drive the terminal (ESC sequences that
// clear the screen or move the cursor, C1 controls, newlines that forge extra
// report lines) or reorder what is shown (Unicode bidi overrides). Every
// human-readable line pedigree prints passes such text through terminal_safe(),
// which escapes those bytes visibly instead of dropping them, so a reader sees
// that something was there:
//   - C0 controls and DEL: \n, \r, \t, else \xNN (e.g. ESC as \x1b);
//   - C1 controls U+0080..U+009F: \u0085;
//   - bidi and direction marks U+061C, U+200E, U+200F, U+202A..U+202E,
//     U+2066..U+2069, and the line/paragraph separators U+2028, U+2029: \u202e;
//   - bytes that are not valid UTF-8 (stray continuation bytes, overlong
//     forms, surrogates, truncated sequences): \xNN per byte.
// Valid UTF-8 otherwise passes unchanged (accents, CJK, emoji). JSON output
// does not use this: the JSON encoder escapes control characters itself.
#pragma once

#include <string>
#include <string_view>

namespace pedigree {

// `text` with every byte or character listed above escaped; one line.
std::string terminal_safe(std::string_view text);

// Like terminal_safe(), but keeps '\n' so a multi-line block of pedigree's own
// making (a rendered tree, a report) stays multi-line. Use only on text whose
// pieces from others were already passed through terminal_safe().
std::string terminal_safe_lines(std::string_view text);

// True when terminal_safe(text) == text.
bool is_terminal_safe(std::string_view text);

}  // namespace pedigree
