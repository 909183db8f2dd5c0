// Small ASCII text helpers shared by every parser of text from others
// (pasted identifiers, picture parameters, model cards, URLs).
#pragma once

#include <string>
#include <string_view>

namespace pedigree {

// The blanks most text formats allow around a value: space, tab, CR, LF.
inline constexpr std::string_view k_blanks = " \t\r\n";

// `text` without leading and trailing characters from `blanks`. The view
// points into `text`. Formats differ on what counts as a blank (a line of
// picture parameters keeps its LF, a comma list only drops spaces and tabs),
// so callers that differ say so.
std::string_view trim(std::string_view text, std::string_view blanks = k_blanks);

// ASCII lower-casing; other bytes (UTF-8 included) are kept as they are, so
// the result does not depend on the process's locale.
std::string to_lower_ascii(std::string_view text);
std::string to_upper_ascii(std::string_view text);

}  // namespace pedigree
