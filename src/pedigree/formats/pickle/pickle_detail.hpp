// Internals shared by the pickle interpreter and its opcode scanner. Not a
// public interface: include only from src/pedigree/formats/pickle*.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats::pickle::detail {

// What an allowed global may be used for.
enum class GlobalRole : std::uint8_t {
  k_refused,   // not on the allowlist
  k_value,     // an inert value (dtype, storage class, a class used as a dict key)
  k_callable,  // may be applied by REDUCE / NEWOBJ / INST / OBJ (recorded, not run)
};

// Maps Python 2 module names as Python's unpickler does with fix_imports.
std::string_view modern_module(std::string_view module);

// The role of `module.name` (module already modernised).
GlobalRole global_role(std::string_view module, std::string_view name);

// Decodes a protocol-0 UNICODE argument (raw-unicode-escape) to UTF-8.
Result<std::string> decode_raw_unicode_escape(std::string_view line);

// Decodes a protocol-0 STRING argument (a quoted Python literal) to bytes.
Result<std::string> decode_quoted_string(std::string_view line);

// Parses a decimal integer line of INT / LONG (optional sign, optional trailing 'L').
std::optional<std::int64_t> parse_decimal(std::string_view line);

// Appends code point `cp` to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace pedigree::formats::pickle::detail
