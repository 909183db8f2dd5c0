// Building a fingerprint: streaming (a scan::TensorSink, so `check` can hash and
// fingerprint in one pass over the file) or from tensors already in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

namespace detail {
class TensorSketcher;
}

// What the builder does with one tensor of a checkpoint: sketch it, or (when
// `skip` is set) only count it against the coverage of its component.
struct TensorPlan {
  std::string canonical_name;
  Placement placement;  // block 0 for a skipped tensor of unknown name
  formats::DType dtype = formats::DType::k_f32;
  std::vector<std::uint64_t> shape;
  std::optional<SkipReason> skip = std::nullopt;
};

// One entry per tensor of `checkpoint` (same index): a plan for every tensor
// of a fingerprinted component (UNet, text encoder, VAE, EMA UNet): sketched
// when it has a floating-point dtype and a placement, else marked skipped with
// the reason; nullopt for tensors outside those components (schedule buffers,
// extras). Names and shapes are canonicalized by formats::canonicalize.
// Corruption if two sketched tensors share a canonical name.
Result<std::vector<std::optional<TensorPlan>>> plan_checkpoint(
    const formats::Checkpoint& checkpoint);

// The EMA copy of the UNet (`model_ema.diffusion_model.*`) planned as the UNet
// itself: each EMA tensor under its UNet name and placement, so that its
// sketch compares with UNet references (an EMA sketch of plan_checkpoint uses
// the EMA names' seeds and compares with nothing); every other entry nullopt.
// Empty (no entry set) when the file holds no EMA copy. Corruption as
// plan_checkpoint.
Result<std::vector<std::optional<TensorPlan>>> plan_ema_as_unet(
    const formats::Checkpoint& checkpoint);
// Whether `plan` plans any tensor at all.
bool plans_any(const std::vector<std::optional<TensorPlan>>& plan);

// Accumulates sketches while scan_checkpoint streams the file. Different tensors
// may be fed concurrently from different threads (each has its own state).
class FingerprintBuilder final : public scan::TensorSink {
public:
  explicit FingerprintBuilder(std::vector<std::optional<TensorPlan>> plan,
                              SketchParams params = {});
  ~FingerprintBuilder() override;

  bool wants(std::size_t tensor_index) const override;
  void begin_tensor(std::size_t tensor_index) override;
  void tensor_data(std::size_t tensor_index, std::uint64_t first_element,
                   ByteView elements) override;
  void end_tensor(std::size_t tensor_index) override;

  // After the scan: the fingerprint (with its Coverage), or Corruption naming
  // the first tensor that was incomplete or fed out of order. Call once.
  Result<Fingerprint> finish();

private:
  std::vector<std::optional<TensorPlan>> m_plan;
  SketchParams m_params;
  std::vector<std::unique_ptr<detail::TensorSketcher>> m_active;  // indexed by tensor
  std::vector<std::optional<Result<TensorSketch>>> m_done;        // indexed by tensor
};

// A tensor held in memory, for fingerprint_tensors.
struct TensorData {
  std::string name;  // as stored; canonicalized like plan_checkpoint does
  formats::DType dtype = formats::DType::k_f32;
  std::vector<std::uint64_t> shape;
  ByteView bytes;  // row-major little-endian elements
};

// Non-streaming convenience: the fingerprint of in-memory tensors. InvalidArgument
// if a tensor's byte size does not match its shape and dtype.
Result<Fingerprint> fingerprint_tensors(std::span<const TensorData> tensors,
                                        SketchParams params = {});

}  // namespace pedigree::fingerprint
