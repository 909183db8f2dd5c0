// Fingerprint spec v2: a linear sketch of a checkpoint's weights.
//
// Every floating-point tensor with a canonical name gets its own small sketch:
// a p x p two-sided count sketch for weight matrices (conv kernels flattened to
// rows x in*k*k) and a flat count sketch of m buckets for vectors, p and m chosen
// per component (the UNet, which the estimator uses, gets the largest). Sketches are
// linear in the weights, so the sketch of a merge is the same combination of
// its parents' sketches. Each tensor also carries an exact hash of its values
// rounded to fp16 (verbatim-copy detection). Tensors are grouped into MBW blocks
// (IN00..OUT11) plus text encoder, VAE and EMA UNet, which stay apart.
// The precise algorithm is written down in docs/formats/fingerprint-v1.md (which
// also describes version 1, still read: one p and m for every component).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pedigree::fingerprint {

// The version serialize() writes; parse() also reads version 1.
inline constexpr std::uint32_t k_spec_version = 2;

// Which part of an SD1.x checkpoint a tensor belongs to.
enum class Component : std::uint8_t { k_unet = 0, k_text_encoder = 1, k_vae = 2, k_unet_ema = 3 };
inline constexpr std::size_t k_component_count = 4;

// Sketch dimensions of one component.
struct SketchSize {
  std::uint32_t matrix_side = 16;   // p: a matrix sketch has min(p, rows) x min(p, cols) cells
  std::uint32_t flat_buckets = 32;  // m: a vector sketch has min(m, numel) cells
  friend bool operator==(const SketchSize&, const SketchSize&) = default;
};

// Sketch dimensions per component, indexed by Component. The v2 defaults were
// chosen by tools/bench-fingerprint (docs/benchmarks.md): the share estimator
// only reads the UNet, whose larger sketch halves its error; the other
// components keep v1's size and the EMA copy a small one, so a full SD1.x
// fingerprint with EMA stays under 1 MiB.
struct SketchParams {
  std::array<SketchSize, k_component_count> sizes{{{32, 64}, {16, 32}, {16, 32}, {8, 16}}};

  const SketchSize& of(Component c) const { return sizes[static_cast<std::size_t>(c)]; }
  SketchSize& of(Component c) { return sizes[static_cast<std::size_t>(c)]; }
  // Spec v1: one size for every component.
  static SketchParams uniform(SketchSize size) { return {{size, size, size, size}}; }
  bool is_uniform() const {
    return sizes[1] == sizes[0] && sizes[2] == sizes[0] && sizes[3] == sizes[0];
  }
  friend bool operator==(const SketchParams&, const SketchParams&) = default;
};

// Block ids: 0 = BASE (unused for UNet tensors, see blocks.cpp), 1..12 = IN00..IN11,
// 13 = M00, 14..25 = OUT00..OUT11, 26 = TE, 27 = VAE, 28 = EMA.
inline constexpr std::uint8_t k_block_in00 = 1;
inline constexpr std::uint8_t k_block_m00 = 13;
inline constexpr std::uint8_t k_block_out00 = 14;
inline constexpr std::uint8_t k_block_te = 26;
inline constexpr std::uint8_t k_block_vae = 27;
inline constexpr std::uint8_t k_block_ema = 28;
inline constexpr std::uint8_t k_block_count = 29;

// "IN04", "M00", "OUT11", "TE", ...; "?" for an out-of-range id.
std::string_view block_name(std::uint8_t block);
// True for the 25 UNet blocks IN00..OUT11 (and BASE).
inline bool is_unet_block(std::uint8_t block) {
  return block < k_block_te;
}

// Where a canonical LDM tensor name belongs; nullopt for tensors outside the
// fingerprint (schedule buffers, EMA bookkeeping, Lightning extras).
struct Placement {
  Component component;
  std::uint8_t block;
};
std::optional<Placement> place_tensor(std::string_view canonical_name);

// The sketch of one tensor.
struct TensorSketch {
  std::string name;  // canonical LDM name
  Component component = Component::k_unet;
  std::uint8_t block = 0;
  std::vector<std::uint64_t> shape;  // the tensor's shape
  std::uint32_t rows = 0;            // sketch rows (1 for a flat sketch)
  std::uint32_t cols = 0;            // sketch columns (buckets for a flat sketch)
  bool matrix = false;               // two-sided matrix sketch (true) or flat count sketch
  std::vector<double> cells;         // rows * cols, row-major
  std::uint64_t value_hash = 0;      // hash of the fp16-rounded values (see the spec)

  std::uint64_t numel() const;
};

// Why a tensor of a component was not sketched.
enum class SkipReason : std::uint8_t {
  k_unsupported_dtype = 0,  // an integer or boolean dtype (every float dtype is read)
  k_unknown_name = 1,       // under the component's prefix, but outside its canonical layout
};
inline constexpr std::size_t k_skip_reason_count = 2;
// "unsupported-dtype", "unknown-name".
std::string_view skip_reason_name(SkipReason reason);

// Tensors and parameters of one component as the builder met them.
struct ComponentCoverage {
  std::uint64_t tensors_present = 0, params_present = 0;  // in the file, under the component
  std::uint64_t tensors_sketched = 0, params_sketched = 0;
  std::array<std::uint64_t, k_skip_reason_count> tensors_skipped{}, params_skipped{};
  std::vector<std::string> skipped_examples;  // "name (F8_E4M3 ...)" for the first few skipped
};

// What the builder read of a checkpoint: per component, and for the UNet how
// much of the canonical SD1.x UNet (formats::sd1_unet_layout, 686 tensors)
// it sketched with the canonical shape. Not part of the serialized form: a
// fingerprint parsed from a .fp file has none.
struct Coverage {
  std::array<ComponentCoverage, k_component_count> components{};
  std::uint64_t sd1_tensors_sketched = 0, sd1_params_sketched = 0;
  std::uint64_t sd1_tensors_shape_mismatch = 0;  // canonical name, other shape
  std::uint64_t sd1_tensors_total = 0, sd1_params_total = 0;
  std::map<std::string, std::uint64_t> skipped_dtypes;  // dtype name -> tensors skipped for it

  const ComponentCoverage& of(Component c) const { return components[static_cast<std::size_t>(c)]; }
};

// A whole model's fingerprint, tensors sorted by canonical name.
struct Fingerprint {
  std::uint32_t spec_version = k_spec_version;
  SketchParams params;
  // Set by the builder; never serialized. Kept before `tensors` so the struct
  // ends without tail padding: libstdc++ 12's std::expected may place its
  // has-value flag in the payload's tail padding, which UBSan caught being
  // overwritten (an optional<> last left 7 bytes of it).
  std::optional<Coverage> coverage;
  std::vector<TensorSketch> tensors;

  // The tensor called `name`, or nullptr.
  const TensorSketch* find(std::string_view name) const;
};

}  // namespace pedigree::fingerprint
