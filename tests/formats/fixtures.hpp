// Helpers shared by the formats tests: fixture paths, the expectations the
// fixture generator (tools/make-safetensors-fixtures) computed with torch and
// numpy, SHA-256 through OpenSSL, and a fresh temporary directory per test.
#pragma once

#include <openssl/evp.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"
#include "support/temp_dir.hpp"

namespace pedigree::testing {

inline std::filesystem::path data_path(const std::string& name) {
  return std::filesystem::path(PEDIGREE_TEST_DATA) / name;
}

inline std::string read_data(const std::string& name) {
  auto text = read_file(data_path(name));
  return text ? *text : std::string();
}

inline nlohmann::json load_json(const std::string& name) {
  return nlohmann::json::parse(read_data(name));
}

// A number from the generator's JSON; "nan", "inf", "-inf" are strings there.
inline double json_number(const nlohmann::json& value) {
  if (value.is_string()) {
    if (value == "nan") return std::numeric_limits<double>::quiet_NaN();
    return value == "inf" ? INFINITY : -INFINITY;
  }
  return value.get<double>();
}

inline std::string sha256_hex(ByteView bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return to_hex(ByteView(digest, size));
}

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace pedigree::testing
