// Helpers for the torch reader tests: fixture bytes, and checking a parsed
// checkpoint against the values torch itself wrote (<name>.expected.json,
// produced by tools/make-torch-fixtures from torch.load).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pedigree/formats/tensor.hpp"

namespace pedigree::testing {

// Bytes of tests/data/torch/<name>; fails the test (and returns empty) when missing.
std::vector<std::uint8_t> torch_fixture(const std::string& name);

// The tensor's elements gathered row-major through its strides, as little-endian bytes.
std::vector<std::uint8_t> gather_tensor(const std::vector<std::uint8_t>& file,
                                        const formats::TensorInfo& tensor);

// Lower-case hex SHA-256 (OpenSSL).
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);

// Expects every tensor and scalar of <stem>.expected.json to be in `checkpoint`
// with the same dtype, shape, strides and SHA-256 of its bytes, and nothing more.
void expect_matches_torch(const std::string& stem, const std::vector<std::uint8_t>& file,
                          const formats::Checkpoint& checkpoint);

}  // namespace pedigree::testing
