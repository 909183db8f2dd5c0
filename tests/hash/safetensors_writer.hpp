// Writes small safetensors files for the hash tests and describes them as a
// Checkpoint the way the safetensors reader does (offsets validated by
// construction), so hash tests do not depend on the reader.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hash/testing.hpp"
#include "pedigree/formats/tensor.hpp"

namespace pedigree::testing {

struct TestTensor {
  std::string name;
  formats::DType dtype;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> bytes;  // little-endian, row-major
};

// Writes `tensors` in the given order with optional __metadata__; returns the Checkpoint.
inline formats::Checkpoint write_safetensors(
    const std::filesystem::path& path, const std::vector<TestTensor>& tensors,
    const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", formats::dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::vector<std::uint8_t> file(8);
  for (int i = 0; i < 8; ++i) file[i] = static_cast<std::uint8_t>(text.size() >> (8 * i));
  file.insert(file.end(), text.begin(), text.end());
  const std::uint64_t data_start = file.size();
  formats::Checkpoint ck;
  ck.format = formats::Format::k_safetensors;
  ck.data_start = data_start;
  ck.metadata = metadata;
  for (const auto& t : tensors) {
    formats::TensorInfo info;
    info.name = t.name;
    info.dtype = t.dtype;
    info.shape = t.shape;
    info.strides = formats::contiguous_strides(t.shape);
    info.offset = file.size();
    info.storage_begin = info.offset;
    info.storage_end = info.offset + t.bytes.size();
    ck.tensors.push_back(info);
    file.insert(file.end(), t.bytes.begin(), t.bytes.end());
  }
  write_bytes(path, file);
  ck.sources = {path};
  ck.source_sizes = {file.size()};
  return ck;
}

// A small SD-like set of tensors: two UNet tensors, one text-encoder, one VAE,
// one EMA tensor and a schedule buffer (left out of weights hashes).
inline std::vector<TestTensor> sample_tensors(std::uint64_t seed = 1) {
  using formats::DType;
  auto bytes = [&](std::size_t n, std::uint64_t s) { return pattern_bytes(n, seed * 100 + s); };
  return {
      {"model.diffusion_model.input_blocks.0.0.weight", DType::k_f16, {8, 4, 3, 3}, bytes(576, 1)},
      {"model.diffusion_model.out.2.bias", DType::k_f32, {4}, bytes(16, 2)},
      {"cond_stage_model.transformer.text_model.embeddings.position_ids",
       DType::k_i64,
       {1, 77},
       bytes(616, 3)},
      {"first_stage_model.decoder.conv_in.weight", DType::k_bf16, {4, 2, 3, 3}, bytes(144, 4)},
      {"model_ema.diffusion_model.out.2.bias", DType::k_f32, {4}, bytes(16, 5)},
      {"alphas_cumprod", DType::k_f32, {10}, bytes(40, 6)},
  };
}

}  // namespace pedigree::testing
