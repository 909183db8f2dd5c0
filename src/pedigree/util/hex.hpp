// Hexadecimal encoding of digests (always lower-case on output).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/bytes.hpp"

namespace pedigree {

// Lower-case hex of `bytes`.
std::string to_hex(ByteView bytes);

// Decodes hex of either case; nullopt on odd length or a non-hex character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// True when every character is a hex digit (either case) and text is non-empty.
bool is_hex(std::string_view text);

}  // namespace pedigree
