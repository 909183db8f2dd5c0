// pedigree's format-independent identities: the `weights` hash over every
// model tensor and one hash per component (unet, text_encoder, vae,
// unet_ema), computed from canonical names, dtypes, canonical shapes and
// little-endian values, whatever the container, tensor order or metadata.
// Byte-exact specification: docs/formats/weights-hash.md (version 1).
//
// WeightsHasher is a TensorSink: plug it into scan_checkpoint, then call
// result(). Per-tensor BLAKE3 digests are computed as tensors stream by (in
// file order, on any lane); the final digests sort the records by name.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pedigree/formats/names.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/hash/blake3.hpp"
#include "pedigree/scan/scan.hpp"

namespace pedigree::hash {

// The domain prefix of every final digest (version 1 of the format).
inline constexpr std::string_view k_weights_domain = "pedigree-weights-v1";

struct WeightsHashes {
  std::string weights;                            // hex; over all model components
  std::map<std::string, std::string> components;  // component name -> hex (present ones only)
  std::size_t tensor_count = 0;                   // tensors included in `weights`
};

// True for the components that are model weights (unet, text_encoder, vae,
// unet_ema); schedule buffers and other keys are left out of every hash.
bool is_weights_component(formats::Component component);

// One record of the final digest (see the spec): name, dtype, shape, digest.
std::string weights_record(std::string_view canonical_name, formats::DType dtype,
                           std::span<const std::uint64_t> shape,
                           const std::array<std::uint8_t, 32>& data_digest);

class WeightsHasher : public scan::TensorSink {
public:
  // `canonical` must be index-aligned with checkpoint.tensors (formats::canonicalize).
  WeightsHasher(const formats::Checkpoint& checkpoint,
                std::vector<formats::CanonicalTensor> canonical);

  bool wants(std::size_t tensor_index) const override;
  void begin_tensor(std::size_t tensor_index) override;
  void tensor_data(std::size_t tensor_index, std::uint64_t first_element,
                   ByteView elements) override;
  void end_tensor(std::size_t tensor_index) override;

  // The digests, after a successful scan. InvalidArgument when the checkpoint
  // holds no model tensor at all (nothing to identify).
  Result<WeightsHashes> result() const;

private:
  const formats::Checkpoint& m_checkpoint;
  std::vector<formats::CanonicalTensor> m_canonical;
  std::vector<std::unique_ptr<Blake3>> m_running;  // per tensor, while it streams
  std::vector<std::array<std::uint8_t, 32>> m_digests;
};

}  // namespace pedigree::hash
