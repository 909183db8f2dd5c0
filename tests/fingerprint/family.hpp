// A tiny synthetic SD1.x family for the fingerprint tests, generated in memory:
// a base, an SD1.5-like update, a NAI-like UNet-only fine-tune, and independent
// "anime" fine-tunes that share a low-rank part of their update with the NAI-like
// model (the hard negatives). Real LDM key names, shapes scaled down.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/sketcher.hpp"

namespace pedigree::fingerprint::testing {

struct Spec {
  std::string name;
  std::vector<std::uint64_t> shape;
};

inline std::vector<Spec> family_specs() {
  const std::string u = "model.diffusion_model.";
  std::vector<Spec> s;
  const std::vector<std::string> blocks = {
      "input_blocks.1.",  "input_blocks.4.",  "input_blocks.7.",  "middle_block.",
      "output_blocks.3.", "output_blocks.5.", "output_blocks.11."};
  for (const auto& block : blocks) {
    const std::string b = u + block;
    const std::string x = b + "1.transformer_blocks.0.";
    s.push_back({b + "0.in_layers.2.weight", {48, 32, 3, 3}});
    s.push_back({b + "0.in_layers.2.bias", {48}});
    s.push_back({x + "attn1.to_q.weight", {48, 48}});
    s.push_back({x + "attn2.to_k.weight", {48, 96}});
    s.push_back({x + "attn2.to_v.weight", {48, 96}});
    s.push_back({x + "ff.net.0.proj.weight", {128, 48}});
    s.push_back({x + "ff.net.2.weight", {48, 64}});
  }
  s.push_back({u + "out.2.weight", {4, 40, 3, 3}});
  s.push_back(
      {"cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight", {96, 48}});
  s.push_back({"first_stage_model.decoder.conv_in.weight", {32, 4, 3, 3}});
  return s;
}

// Weights of one model in double precision, tensor by tensor.
using Weights = std::vector<std::vector<double>>;

inline std::uint64_t numel(const Spec& s) {
  std::uint64_t n = 1;
  for (auto d : s.shape) n *= d;
  return n;
}

class Family {
public:
  explicit Family(std::uint64_t seed) : m_rng(seed) {
    m_specs = family_specs();
    for (const auto& s : m_specs) {
      m_base.push_back(gaussian(numel(s), 0.05));
      const std::uint64_t rows = s.shape[0], cols = numel(s) / rows;
      m_shared_left.push_back(gaussian(rows * k_rank, 1.0));
      m_shared_right.push_back(gaussian(cols * k_rank, 1.0));
      m_shared_mix.push_back(gaussian(k_rank * k_rank, 1.0));
    }
  }
  const std::vector<Spec>& specs() const { return m_specs; }
  const Weights& base() const { return m_base; }

  // base + shared low-rank part (weight `shared`) + a unique full-rank part, UNet only when asked.
  Weights finetune(double shared, double unique, bool unet_only) {
    Weights w = m_base;
    for (std::size_t t = 0; t < m_specs.size(); ++t) {
      if (unet_only && !m_specs[t].name.starts_with("model.diffusion_model.")) continue;
      const std::uint64_t rows = m_specs[t].shape[0], cols = numel(m_specs[t]) / rows;
      const double scale = 0.05 * 0.05;  // updates ~5% of the weights
      // Similar training data: every fine-tune moves along the same directions, each its own way.
      auto mix = gaussian(k_rank * k_rank, 0.5);
      for (int i = 0; i < k_rank * k_rank; ++i) mix[i] += m_shared_mix[t][i];
      auto noise = gaussian(rows * cols, 1.0);
      for (std::uint64_t r = 0; r < rows; ++r) {
        for (std::uint64_t c = 0; c < cols; ++c) {
          double low = 0;
          for (int a = 0; a < k_rank; ++a)
            for (int b = 0; b < k_rank; ++b)
              low += m_shared_left[t][r * k_rank + a] * mix[a * k_rank + b] *
                     m_shared_right[t][c * k_rank + b];
          w[t][r * cols + c] += scale * (shared * low / k_rank + unique * noise[r * cols + c]);
        }
      }
    }
    return w;
  }

private:
  static constexpr int k_rank = 4;
  std::vector<double> gaussian(std::uint64_t n, double sd) {
    std::vector<double> v(n);
    for (auto& x : v) {  // Box-Muller on the raw engine, so values do not depend on the library
      double u1 = (static_cast<double>(m_rng() >> 11) + 0.5) / 9007199254740992.0;
      double u2 = (static_cast<double>(m_rng() >> 11) + 0.5) / 9007199254740992.0;
      x = sd * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    return v;
  }
  std::mt19937_64 m_rng;
  std::vector<Spec> m_specs;
  Weights m_base, m_shared_left, m_shared_right, m_shared_mix;
};

// `w` with every GEGLU layer's hidden units shuffled (seeded): rows [0, hidden)
// of ff.net.0.proj are the values, [hidden, 2 hidden) their gates, and
// ff.net.2 reads unit j from column j; unit perm[j] moves to j everywhere, its
// value row scaled by `value_scale` and its ff.net.2 column by the inverse.
// The network computes the same function.
inline Weights permute_geglu_units(const std::vector<Spec>& specs, Weights w, double value_scale,
                                   std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Weights original = w;
  for (std::size_t t = 0; t < specs.size(); ++t) {
    if (!specs[t].name.ends_with("ff.net.0.proj.weight")) continue;
    const std::string down_name =
        specs[t].name.substr(0, specs[t].name.size() - 17) + "net.2.weight";
    std::size_t down = specs.size();
    for (std::size_t d = 0; d < specs.size(); ++d)
      if (specs[d].name == down_name) down = d;
    if (down == specs.size()) continue;
    const std::uint64_t hidden = specs[t].shape[0] / 2, in = specs[t].shape[1];
    const std::uint64_t out = specs[down].shape[0];
    std::vector<std::uint64_t> perm(hidden);
    for (std::uint64_t j = 0; j < hidden; ++j) perm[j] = j;
    std::shuffle(perm.begin(), perm.end(), rng);
    for (std::uint64_t j = 0; j < hidden; ++j) {
      for (std::uint64_t c = 0; c < in; ++c) {
        w[t][j * in + c] = value_scale * original[t][perm[j] * in + c];
        w[t][(hidden + j) * in + c] = original[t][(hidden + perm[j]) * in + c];
      }
      for (std::uint64_t r = 0; r < out; ++r)
        w[down][r * hidden + j] = original[down][r * hidden + perm[j]] / value_scale;
    }
  }
  return w;
}

// Every `every`-th GEGLU unit negated: its value row and its ff.net.2 column
// (value * gelu(gate) feeds the down projection linearly, so no output changes).
inline Weights negate_geglu_units(const std::vector<Spec>& specs, Weights w, std::uint64_t every) {
  for (std::size_t t = 0; t < specs.size(); ++t) {
    if (!specs[t].name.ends_with("ff.net.0.proj.weight")) continue;
    const std::string down_name =
        specs[t].name.substr(0, specs[t].name.size() - 17) + "net.2.weight";
    for (std::size_t d = 0; d < specs.size(); ++d) {
      if (specs[d].name != down_name) continue;
      const std::uint64_t hidden = specs[t].shape[0] / 2, in = specs[t].shape[1];
      const std::uint64_t out = specs[d].shape[0];
      for (std::uint64_t j = 0; j < hidden; j += every) {
        for (std::uint64_t c = 0; c < in; ++c) w[t][j * in + c] = -w[t][j * in + c];
        for (std::uint64_t r = 0; r < out; ++r) w[d][r * hidden + j] = -w[d][r * hidden + j];
      }
    }
  }
  return w;
}

// sum_i coef_i * models_i, tensor by tensor.
inline Weights combine(const std::vector<std::pair<double, const Weights*>>& terms) {
  Weights out = *terms.front().second;
  for (auto& t : out) std::fill(t.begin(), t.end(), 0.0);
  for (const auto& [coef, w] : terms)
    for (std::size_t t = 0; t < out.size(); ++t)
      for (std::size_t i = 0; i < out[t].size(); ++i) out[t][i] += coef * (*w)[t][i];
  return out;
}

// Encodes weights in a dtype (F32, F16 or BF16; round to nearest even).
inline std::vector<std::uint8_t> encode(const std::vector<double>& values, formats::DType dtype) {
  std::vector<std::uint8_t> out;
  for (double v : values) {
    const float f = static_cast<float>(v);
    std::uint32_t bits32;
    std::memcpy(&bits32, &f, 4);
    if (dtype == formats::DType::k_f32) {
      for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(bits32 >> (8 * i)));
      continue;
    }
    std::uint16_t h =
        dtype == formats::DType::k_f16
            ? detail::float_to_half(f)
            : static_cast<std::uint16_t>((bits32 + 0x7fff + ((bits32 >> 16) & 1)) >> 16);
    out.push_back(static_cast<std::uint8_t>(h & 0xff));
    out.push_back(static_cast<std::uint8_t>(h >> 8));
  }
  return out;
}

// The fingerprint of `w` stored as `dtype`.
inline Fingerprint fingerprint_of(const Family& family, const Weights& w,
                                  formats::DType dtype = formats::DType::k_f16,
                                  SketchParams params = {}) {
  std::vector<std::vector<std::uint8_t>> storage;
  std::vector<TensorData> tensors;
  for (std::size_t t = 0; t < w.size(); ++t) storage.push_back(encode(w[t], dtype));
  for (std::size_t t = 0; t < w.size(); ++t) {
    tensors.push_back({family.specs()[t].name, dtype, family.specs()[t].shape, storage[t]});
  }
  return *fingerprint_tensors(tensors, params);
}

}  // namespace pedigree::fingerprint::testing
