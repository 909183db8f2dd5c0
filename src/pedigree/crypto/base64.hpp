// Standard base64 (RFC 4648 §4, with '=' padding), as DSSE uses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/bytes.hpp"

namespace pedigree::crypto {

// Encodes `bytes` with the standard alphabet and padding.
std::string base64_encode(ByteView bytes);
std::string base64_encode(std::string_view text);

// Strict decoding: standard alphabet, padding required, no whitespace, and
// unused trailing bits must be zero (so every byte string has exactly one
// accepted encoding). nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pedigree::crypto
