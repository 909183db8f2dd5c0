// Canonical JSON: the one byte form of a JSON value that pedigree signs.
//
// RFC 8785 (JCS) rules restricted to what pedigree writes: object members
// sorted by the UTF-16 code units of their names, no insignificant
// whitespace, strings in UTF-8 with only '"', '\\' and control characters
// escaped (\b \f \n \r \t, others as \u00xx), and numbers limited to integers
// in [-(2^53-1), 2^53-1] written in plain decimal. Non-integer numbers are
// refused: fractional values (merge weights) are written as decimal strings,
// e.g. "0.3", so no float formatting ever enters a signature.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pedigree/util/error.hpp"

namespace pedigree::crypto {

// Largest nesting depth accepted by the canonicalizer and the strict parser.
inline constexpr int k_max_json_depth = 32;

// Serializes `value` canonically. InvalidArgument for a float, an integer
// outside the safe range, invalid UTF-8 or nesting deeper than k_max_json_depth
// (the message names the JSON path at fault).
Result<std::string> canonical_json(const nlohmann::json& value);

// Parses `text` (at most `max_bytes`) and requires it to be exactly the
// canonical serialization of what it parses to. This refuses whitespace,
// duplicate or unsorted keys, floats, escapes other than the canonical ones
// and trailing bytes. Corruption naming `what` otherwise.
Result<nlohmann::json> parse_canonical_json(std::string_view text, std::string_view what,
                                            std::size_t max_bytes);

// Parses ordinary JSON (any spacing) with a size and depth limit; no
// canonical check. Corruption naming `what` on malformed input.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what,
                                  std::size_t max_bytes);

}  // namespace pedigree::crypto
