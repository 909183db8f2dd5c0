// Model files for the `check` end-to-end tests: synthetic SD-shaped weights
// (tests/fingerprint/family.hpp) written as real F16 safetensors files, and
// their SHA-256 computed by openssl (an independent implementation).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fingerprint/family.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::testing {

// Writes named F16 tensors (name, shape, values) as a safetensors file
// (layout per the safetensors README: u64 LE header size, JSON header padded
// to 8 bytes, data buffer).
inline void write_f16_safetensors(
    const std::vector<std::pair<fingerprint::testing::Spec, const std::vector<double>*>>& tensors,
    const std::filesystem::path& path) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::string data;
  for (const auto& [spec, values] : tensors) {
    auto bytes = fingerprint::testing::encode(*values, formats::DType::k_f16);
    header[spec.name] = {{"dtype", "F16"},
                         {"shape", spec.shape},
                         {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  write_text(path, file + text + data);
}

// Writes the weights `w` of a family member (every tensor of the family).
inline void write_family_model(const fingerprint::testing::Family& family,
                               const fingerprint::testing::Weights& w,
                               const std::filesystem::path& path) {
  std::vector<std::pair<fingerprint::testing::Spec, const std::vector<double>*>> tensors;
  for (std::size_t t = 0; t < w.size(); ++t) tensors.push_back({family.specs()[t], &w[t]});
  write_f16_safetensors(tensors, path);
}

// SHA-256 of a file by the openssl CLI.
inline std::string openssl_file_sha256(const std::filesystem::path& path) {
  auto r = run_command("openssl dgst -sha256 -r " + shell_quote(path.string()));
  return r.output.substr(0, 64);
}

}  // namespace pedigree::testing
