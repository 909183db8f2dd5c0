// Model files for the `check` end-to-end tests: synthetic SD-shaped weights
// (tests/fingerprint/family.hpp) written as real F16 safetensors files, and
// their SHA-256 computed by openssl (an independent implementation).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/check_world.hpp"
#include "fingerprint/family.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::testing {

// Writes named F16 tensors (name, shape, values) as a safetensors file
// (layout per the safetensors README: u64 LE header size, JSON header padded
// to 8 bytes, data buffer).
// A small safetensors file whose one U8 tensor spells `label` over and over:
// distinct labels, distinct files and hashes (for scans and imports, not weights).
inline void write_labelled_safetensors(const std::filesystem::path& path, const std::string& label,
                                       std::size_t bytes = 4096) {
  std::string data;
  while (data.size() < bytes) data += label + ";";
  data.resize(bytes);
  std::string header = R"({"t":{"dtype":"U8","shape":[)" + std::to_string(bytes) +
                       R"(],"data_offsets":[0,)" + std::to_string(bytes) + "]}}";
  while (header.size() % 8 != 0) header.push_back(' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  write_text(path, file + header + data);
}

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

// Writes `w` like write_family_model plus an EMA copy of its UNet holding `ema`
// (the `model_ema.diffusion_model.` tensors a training checkpoint ships beside
// the UNet).
inline void write_family_model_with_ema(const fingerprint::testing::Family& family,
                                        const fingerprint::testing::Weights& w,
                                        const fingerprint::testing::Weights& ema,
                                        const std::filesystem::path& path) {
  const std::string unet = "model.diffusion_model.";
  std::vector<std::pair<fingerprint::testing::Spec, const std::vector<double>*>> tensors;
  for (std::size_t t = 0; t < w.size(); ++t) {
    const auto& spec = family.specs()[t];
    tensors.push_back({spec, &w[t]});
    if (!spec.name.starts_with(unet)) continue;
    auto copy = spec;
    copy.name = "model_ema.diffusion_model." + spec.name.substr(unet.size());
    tensors.push_back({copy, &ema[t]});
  }
  write_f16_safetensors(tensors, path);
}

// SHA-256 of a file by the openssl CLI.
inline std::string openssl_file_sha256(const std::filesystem::path& path) {
  auto r = run_command("openssl dgst -sha256 -r " + shell_quote(path.string()));
  return r.output.substr(0, 64);
}

// The family's VAE tensors: {index into specs()} (canonical first_stage_model. names).
inline std::vector<std::size_t> family_vae_tensors(const fingerprint::testing::Family& family) {
  std::vector<std::size_t> out;
  for (std::size_t t = 0; t < family.specs().size(); ++t)
    if (family.specs()[t].name.starts_with("first_stage_model.")) out.push_back(t);
  return out;
}

// Writes a bare VAE file (keys without the first_stage_model. prefix, as
// animevae.pt has them) holding the VAE tensors of `w`.
inline void write_bare_vae(const fingerprint::testing::Family& family,
                           const fingerprint::testing::Weights& w,
                           const std::filesystem::path& path) {
  std::vector<fingerprint::testing::Spec> specs;
  for (std::size_t t : family_vae_tensors(family))
    specs.push_back({family.specs()[t].name.substr(18), family.specs()[t].shape});
  std::vector<std::pair<fingerprint::testing::Spec, const std::vector<double>*>> tensors;
  const auto vae = family_vae_tensors(family);
  for (std::size_t i = 0; i < vae.size(); ++i) tensors.push_back({specs[i], &w[vae[i]]});
  write_f16_safetensors(tensors, path);
}

// A leaked-NAI-VAE reference for `world`: a bare VAE file whose tensors are
// `leaked`'s VAE (a fine-tune of the family's base VAE), a trusted model event
// giving its SHA-256 the nai-vae role, and one `check` of the file, which
// stores its fingerprint as that reference (so checks measure VAE merges).
inline std::filesystem::path add_leaked_vae_reference(CheckWorld& world,
                                                      const fingerprint::testing::Family& family,
                                                      const fingerprint::testing::Weights& leaked) {
  const auto path = world.dir() / "models" / "animevae.safetensors";
  std::filesystem::create_directories(path.parent_path());
  write_bare_vae(family, leaked, path);
  world.model("animevae", "nai-vae", "2022-10-06", nullptr, Signer::k_trusted,
              openssl_file_sha256(path));
  auto r = world.check(shell_quote(path.string()));
  EXPECT_EQ(r.json["verdict"], "nai-leak") << r.out << r.err;
  return path;
}

}  // namespace pedigree::testing
