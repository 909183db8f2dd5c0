#include "pedigree/fingerprint/serialize.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::fingerprint {
namespace {

constexpr std::size_t k_min_header_size = 24;  // version 1; version 2 has 24 bytes more
constexpr std::size_t k_checksum_size = 32;
constexpr std::size_t k_max_name = 1024;
constexpr std::size_t k_max_dims = 8;
constexpr std::size_t k_min_record = 2 + 1 + 4 + 4 + 8 + 8;  // name len .. scale, empty name/shape

void put_u8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The int16 quantization of one tensor: scale = max|cell| / 32767.
double scale_for(const std::vector<double>& cells, int bits) {
  double max = 0;
  for (double v : cells) max = std::max(max, std::fabs(v));
  return max / static_cast<double>((1 << (bits - 1)) - 1);
}

// Non-finite inputs (a hostile checkpoint's inf/NaN weights, or an infinite
// scale) must not reach the float-to-integer conversion, which is undefined
// for them: NaN quantizes to 0, the rest is clamped to the int16 range.
std::int64_t quantize_cell(double v, double scale) {
  if (!(scale > 0)) return 0;
  const double q = std::nearbyint(v / scale);
  if (std::isnan(q)) return 0;
  return static_cast<std::int64_t>(std::clamp(q, -32767.0, 32767.0));
}

std::string at(const ByteReader& r, std::string_view what) {
  return std::string(what) + " at offset " + std::to_string(r.file_offset());
}

Result<TensorSketch> parse_record(ByteReader& r, const SketchParams& params, std::size_t index) {
  const std::string where = "tensor record " + std::to_string(index);
  TensorSketch t;
  PD_ASSIGN_OR_RETURN(auto name_len, r.read_le16("name length"));
  if (name_len == 0 || name_len > k_max_name) return corruption(at(r, where + ": bad name length"));
  PD_ASSIGN_OR_RETURN(auto name, r.read_bytes(name_len, "name"));
  t.name = std::string(as_string_view(name));
  if (!is_valid_utf8(t.name)) return corruption(at(r, where + ": name is not UTF-8"));
  PD_ASSIGN_OR_RETURN(auto component, r.read_u8("component"));
  PD_ASSIGN_OR_RETURN(auto block, r.read_u8("block"));
  auto placement = place_tensor(t.name);
  if (!placement || static_cast<std::uint8_t>(placement->component) != component ||
      placement->block != block) {
    return corruption(at(r, where + " '" + t.name + "': component/block do not match the name"));
  }
  t.component = placement->component;
  t.block = block;
  PD_ASSIGN_OR_RETURN(auto flags, r.read_u8("flags"));
  PD_ASSIGN_OR_RETURN(auto ndim, r.read_u8("ndim"));
  if (flags > 1 || ndim > k_max_dims) return corruption(at(r, where + ": bad flags or ndim"));
  std::uint64_t numel = 1;
  for (unsigned d = 0; d < ndim; ++d) {
    PD_ASSIGN_OR_RETURN(auto dim, r.read_le64("shape"));
    if (dim != 0 && numel > (std::uint64_t{1} << 48) / dim)
      return corruption(at(r, where + ": shape too large"));
    numel *= dim;
    t.shape.push_back(dim);
  }
  PD_ASSIGN_OR_RETURN(t.rows, r.read_le16("sketch rows"));
  PD_ASSIGN_OR_RETURN(t.cols, r.read_le16("sketch cols"));
  auto layout = detail::layout_for(t.shape, params.of(t.component));
  t.matrix = flags == 1;
  if (t.matrix != layout.matrix || t.rows != layout.sketch_rows || t.cols != layout.sketch_cols) {
    return corruption(at(r, where + " '" + t.name + "': sketch size does not match the shape"));
  }
  PD_ASSIGN_OR_RETURN(t.value_hash, r.read_le64("value hash"));
  PD_ASSIGN_OR_RETURN(auto scale_bits, r.read_le64("scale"));
  double scale = std::bit_cast<double>(scale_bits);
  // Every cell (int16 x scale) must stay finite: a scale near DBL_MAX would overflow.
  if (!std::isfinite(scale) || scale < 0 || scale > std::numeric_limits<double>::max() / 32768)
    return corruption(at(r, where + ": bad scale"));
  const std::size_t cells = static_cast<std::size_t>(t.rows) * t.cols;
  PD_ASSIGN_OR_RETURN(auto raw, r.read_bytes(cells * 2, "cells"));
  t.cells.resize(cells);
  for (std::size_t i = 0; i < cells; ++i) {
    t.cells[i] = static_cast<std::int16_t>(load_le16(raw.data() + 2 * i)) * scale;
  }
  return t;
}

}  // namespace

std::string serialize(const Fingerprint& fp) {
  std::string out(reinterpret_cast<const char*>(k_fp_magic), sizeof k_fp_magic);
  // Version 1 has one size for every component (a parsed v1 fingerprint is written back
  // byte for byte); version 2 one per component.
  const bool v1 = fp.spec_version == 1 && fp.params.is_uniform();
  put_le(out, v1 ? 1 : 2, 4);
  const std::size_t sizes = v1 ? 1 : k_component_count;
  for (std::size_t c = 0; c < sizes; ++c) {
    put_le(out, fp.params.sizes[c].matrix_side, 4);
    put_le(out, fp.params.sizes[c].flat_buckets, 4);
  }
  put_le(out, fp.tensors.size(), 4);
  for (const auto& t : fp.tensors) {
    put_le(out, t.name.size(), 2);
    out += t.name;
    put_u8(out, static_cast<std::uint8_t>(t.component));
    put_u8(out, t.block);
    put_u8(out, t.matrix ? 1 : 0);
    put_u8(out, static_cast<std::uint8_t>(t.shape.size()));
    for (auto d : t.shape) put_le(out, d, 8);
    put_le(out, t.rows, 2);
    put_le(out, t.cols, 2);
    put_le(out, t.value_hash, 8);
    const double scale = scale_for(t.cells, 16);
    put_le(out, std::bit_cast<std::uint64_t>(scale), 8);
    for (double v : t.cells) put_le(out, static_cast<std::uint16_t>(quantize_cell(v, scale)), 2);
  }
  const crypto::Sha256Digest digest = crypto::sha256(std::string_view(out));
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

bool looks_like_fp(ByteView bytes) {
  return bytes.size() >= sizeof k_fp_magic &&
         std::memcmp(bytes.data(), k_fp_magic, sizeof k_fp_magic) == 0;
}

Result<Fingerprint> parse(ByteView bytes) {
  if (!looks_like_fp(bytes)) return corruption("not a pedigree fingerprint: bad magic at offset 0");
  if (bytes.size() < k_min_header_size + k_checksum_size) {
    return corruption("fingerprint truncated: " + std::to_string(bytes.size()) + " bytes");
  }
  ByteReader r(bytes.first(bytes.size() - k_checksum_size));
  PD_TRY(r.skip(sizeof k_fp_magic, "magic"));
  Fingerprint fp;
  PD_ASSIGN_OR_RETURN(fp.spec_version, r.read_le32("spec version"));
  if (fp.spec_version != 1 && fp.spec_version != 2) {
    return not_supported("fingerprint spec version " + std::to_string(fp.spec_version) +
                         " at offset 8; this pedigree reads versions 1 and 2");
  }
  const crypto::Sha256Digest digest = crypto::sha256(bytes.first(bytes.size() - k_checksum_size));
  if (std::memcmp(digest.data(), bytes.data() + bytes.size() - k_checksum_size, k_checksum_size) !=
      0) {
    return corruption("fingerprint checksum mismatch (SHA-256 trailer at offset " +
                      std::to_string(bytes.size() - k_checksum_size) + ")");
  }
  const std::size_t sizes = fp.spec_version == 1 ? 1 : k_component_count;
  for (std::size_t c = 0; c < sizes; ++c) {
    const std::size_t offset = r.file_offset();
    SketchSize& size = fp.params.sizes[c];
    PD_ASSIGN_OR_RETURN(size.matrix_side, r.read_le32("matrix side"));
    PD_ASSIGN_OR_RETURN(size.flat_buckets, r.read_le32("flat buckets"));
    if (size.matrix_side < 1 || size.matrix_side > 256 || size.flat_buckets < 1 ||
        size.flat_buckets > 4096) {
      return corruption("fingerprint sketch parameters out of range at offset " +
                        std::to_string(offset));
    }
  }
  if (fp.spec_version == 1) fp.params = SketchParams::uniform(fp.params.sizes[0]);
  PD_ASSIGN_OR_RETURN(auto count, r.read_le32("tensor count"));
  if (count > r.remaining() / k_min_record)
    return corruption(at(r, "tensor count exceeds the file"));
  for (std::uint32_t i = 0; i < count; ++i) {
    PD_ASSIGN_OR_RETURN(auto t, parse_record(r, fp.params, i));
    if (!fp.tensors.empty() && !(fp.tensors.back().name < t.name)) {
      return corruption(
          at(r, "tensor record " + std::to_string(i) + ": names not strictly sorted"));
    }
    fp.tensors.push_back(std::move(t));
  }
  if (!r.at_end()) return corruption(at(r, "trailing bytes after the last tensor record"));
  return fp;
}

Fingerprint quantized(const Fingerprint& fp, int bits) {
  Fingerprint out = fp;
  bits = std::clamp(bits, 2, 16);
  for (auto& t : out.tensors) {
    const double scale = scale_for(t.cells, bits);
    for (auto& v : t.cells) v = static_cast<double>(quantize_cell(v, scale)) * scale;
  }
  return out;
}

Result<Fingerprint> read_fp_file(const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(auto text, read_file(path, 64ull << 20));
  auto fp = parse({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  if (!fp) return std::unexpected(fp.error().with_context(path.string()));
  return fp;
}

}  // namespace pedigree::fingerprint
