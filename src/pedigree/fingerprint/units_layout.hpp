// Internal to fingerprint/units*.cpp: where the unit groups of a checkpoint
// are (which slices of which tensors each unit owns), reading tensors through
// read-only maps of the file (no copy per tensor), and a small parallel loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pedigree/fingerprint/units.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::fingerprint::detail {

// One weight slice a unit owns: rows of a tensor viewed as (rows x cols), the
// unit's row being `row_offset + unit`; or columns of a tensor viewed as
// (outer x units x inner), the unit's column being all (o, unit, i).
struct UnitSlice {
  std::size_t tensor = 0;  // index into the checkpoint
  bool column = false;
  std::uint64_t row_offset = 0;        // rows: GEGLU gates start at `hidden`
  std::uint64_t outer = 1, inner = 1;  // columns
  std::uint64_t cols = 1;              // rows: elements per row
  bool scaled = false;                 // carries the unit's scale (divided by it in the base frame)
  bool inverse = false;                // carries the inverse scale (multiplied by it)
};

// Whether a tensor of `size` elements holds the slice for `units` units.
bool slice_fits(const UnitSlice& s, std::uint32_t units, std::size_t size);

// The slices of one group: parts (signed together) and slices only moved.
struct UnitGroupLayout {
  UnitGroupKind kind = UnitGroupKind::k_geglu;
  std::string prefix;
  std::uint32_t units = 0;
  std::vector<std::vector<UnitSlice>> parts;
  std::vector<UnitSlice> moved_only;  // moved with the unit, not signed (GroupNorm parameters)
  int magnitude_part = 0;             // |part| (GEGLU: over |inverse part|)
  int inverse_part = -1;
};

// The GEGLU and ResBlock groups of a checkpoint's UNet, by canonical names
// and shapes (formats::canonicalize, same order as the tensors).
std::vector<UnitGroupLayout> find_unit_groups(const std::vector<formats::CanonicalTensor>& names);

// A tensor's elements as stored (row-major, little-endian), decoded one at a
// time: signing reads a sample of them, so converting whole tensors is waste.
struct StoredElements {
  ByteView bytes;
  formats::DType dtype = formats::DType::k_f16;
  std::uint64_t count = 0;
  float operator[](std::uint64_t i) const;  // i < count
};

// Tensors of one checkpoint read through read-only maps of its files: a
// contiguous little-endian tensor is a view of the map (no copy; signing
// touches only the pages of the positions it samples), any other is gathered
// into a buffer the caller reuses. release() gives a tensor's pages back, so
// resident memory stays that of the tensors in use, not the file's. As with
// any memory-mapped reader, a file truncated by another process meanwhile can
// end the process with SIGBUS (the scan of scan/scan.hpp has the same limit).
// Shared by threads (read only); each thread brings its buffers.
class TensorFloats {
public:
  static Result<TensorFloats> open(const formats::Checkpoint& checkpoint);
  // Whether tensor `i` is stored contiguous and little-endian (its bytes are its elements).
  bool plain(std::size_t i) const;
  // Tensor `i`'s elements, row-major little-endian: a view of the map, or (a strided or
  // big-endian tensor) gathered into `scratch`. Corruption when the tensor lies outside
  // its file.
  Result<ByteView> bytes(std::size_t i, std::vector<std::uint8_t>& scratch) const;
  // Gives back the mapped pages of tensor `i` (read again if it is used again).
  void release(std::size_t i) const;

private:
  const formats::Checkpoint* m_checkpoint = nullptr;
  std::vector<File> m_files;
  std::vector<MappedFile> m_maps;
};

// Runs body(i) for i in [0, count) on up to `threads` threads (0: the
// machine's, at most 4); returns the first error by index.
Result<void> parallel_for(std::size_t count, unsigned threads,
                          const std::function<Result<void>(std::size_t, unsigned worker)>& body);

}  // namespace pedigree::fingerprint::detail
