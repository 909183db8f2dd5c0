#include "pedigree/fingerprint/units.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/fingerprint/units_layout.hpp"

namespace pedigree::fingerprint {
namespace {

// Positions of a part that enter its signature: about this many per unit (all of
// them in a smaller part). Identification needs far fewer than a conv row holds,
// and base and target use the same positions, so a magnitude's ratio stays exact
// up to the update on those positions (~ε/√512 of a row's norm).
constexpr std::uint64_t k_positions_per_part = 512;

// One kept position of a part: its index within the slice and its projection code.
struct KeptPosition {
  std::uint64_t index;
  std::uint32_t code;  // 4 x (4-bit dimension, 1-bit sign)
};

// The sparse random projection: a kept position adds +-x to 4 of the part's 16
// dimensions, each byte of its code one (4-bit dimension, 1-bit sign).
void project_add(std::uint32_t code, float x, float* out) {
  for (int k = 0; k < 4; ++k) {
    const std::uint32_t c = (code >> (8 * k)) & 0xff;
    out[c & 15] += (c & 16) ? -x : x;
  }
}

// Adds slice `s` of `data` into the per-unit accumulators `acc` (units x 16),
// positions from `position` on, one in `stride` kept (chosen by hash); returns
// the next position. `norm2` gets each unit's sum of squares over the kept ones.
std::uint64_t accumulate_slice(const detail::UnitSlice& s, const detail::StoredElements& data,
                               std::uint32_t units, std::uint64_t seed, std::uint64_t stride,
                               std::uint64_t position, std::vector<float>& acc,
                               std::vector<double>& norm2) {
  const std::uint64_t per_unit = s.column ? s.outer * s.inner : s.cols;
  std::vector<KeptPosition> kept;
  for (std::uint64_t p = 0; p < per_unit; ++p) {
    const std::uint64_t h = detail::mix64(seed ^ detail::mix64(position + p));
    if ((h >> 40) % stride == 0) kept.push_back({p, static_cast<std::uint32_t>(h)});
  }
  for (std::uint32_t u = 0; u < units; ++u) {
    float* out = acc.data() + std::size_t(u) * k_unit_part_dims;
    double sum = 0;
    for (const auto& k : kept) {
      // Rows: element k of the unit's row; columns: (o, unit, i) with k = o * inner + i.
      const float x = s.column
                          ? data[((k.index / s.inner) * units + u) * s.inner + k.index % s.inner]
                          : data[(s.row_offset + u) * s.cols + k.index];
      project_add(k.code, x, out);
      sum += double(x) * x;
    }
    norm2[u] += sum;
  }
  return position + per_unit;
}

// Per-thread buffers: the stored bytes of one group's tensors.
struct SignBuffers {
  std::vector<std::size_t> tensors;
  std::vector<detail::StoredElements> views;
  std::vector<std::vector<std::uint8_t>> bytes;  // gathered tensors (strided, big-endian)
};

// The signed group, or nullopt when its tensors do not have the sizes its layout assumes.
Result<std::optional<UnitGroup>> sign_group(const detail::UnitGroupLayout& layout,
                                            const detail::TensorFloats& source,
                                            const formats::Checkpoint& checkpoint, SignBuffers& b) {
  b.tensors.clear();
  b.views.clear();
  auto tensor = [&](std::size_t index) -> Result<detail::StoredElements> {
    for (std::size_t k = 0; k < b.tensors.size(); ++k)
      if (b.tensors[k] == index) return b.views[k];
    if (b.bytes.size() <= b.tensors.size()) b.bytes.emplace_back();
    PD_ASSIGN_OR_RETURN(ByteView bytes, source.bytes(index, b.bytes[b.tensors.size()]));
    const formats::TensorInfo& info = checkpoint.tensors[index];
    b.tensors.push_back(index);
    b.views.push_back({bytes, info.dtype, info.numel()});
    return b.views.back();
  };
  UnitGroup group{layout.kind,  layout.prefix,
                  layout.units, static_cast<std::uint32_t>(layout.parts.size()),
                  {},           {}};
  group.signature.assign(std::size_t(layout.units) * group.parts * k_unit_part_dims, 0);
  std::vector<std::vector<double>> part_norm2(layout.parts.size());
  std::vector<float> acc;
  for (std::size_t p = 0; p < layout.parts.size(); ++p) {
    acc.assign(std::size_t(layout.units) * k_unit_part_dims, 0.0f);
    part_norm2[p].assign(layout.units, 0.0);
    const std::uint64_t seed = detail::mix64(0x756e697473ull + 16 * std::uint64_t(layout.kind) + p);
    std::uint64_t positions = 0;
    for (const auto& s : layout.parts[p]) positions += s.column ? s.outer * s.inner : s.cols;
    const std::uint64_t stride = std::max<std::uint64_t>(1, positions / k_positions_per_part);
    std::uint64_t position = 0;
    for (const auto& s : layout.parts[p]) {
      PD_ASSIGN_OR_RETURN(detail::StoredElements data, tensor(s.tensor));
      if (!detail::slice_fits(s, layout.units, data.count)) return std::nullopt;
      position =
          accumulate_slice(s, data, layout.units, seed, stride, position, acc, part_norm2[p]);
    }
    for (std::uint32_t u = 0; u < layout.units; ++u) {
      const float* v = acc.data() + std::size_t(u) * k_unit_part_dims;
      double n = 0;
      for (std::uint32_t d = 0; d < k_unit_part_dims; ++d) n += double(v[d]) * v[d];
      n = std::sqrt(n);
      std::int8_t* q =
          group.signature.data() + (std::size_t(u) * group.parts + p) * k_unit_part_dims;
      for (std::uint32_t d = 0; d < k_unit_part_dims; ++d)
        q[d] = n > 0 && std::isfinite(n)
                   ? static_cast<std::int8_t>(std::clamp(std::lround(v[d] / n * 127), -127l, 127l))
                   : 0;
    }
  }
  group.magnitude.resize(layout.units);
  for (std::uint32_t u = 0; u < layout.units; ++u) {
    double m = std::sqrt(part_norm2[layout.magnitude_part][u]);
    if (layout.inverse_part >= 0) {
      const double inv = std::sqrt(part_norm2[layout.inverse_part][u]);
      m = inv > 0 ? m / inv : 0;
    }
    group.magnitude[u] = std::isfinite(m) ? static_cast<float>(m) : 0.0f;
  }
  return group;
}

}  // namespace

Result<UnitSignatures> unit_signatures(const formats::Checkpoint& checkpoint, unsigned threads) {
  const auto layouts = detail::find_unit_groups(formats::canonicalize(checkpoint));
  PD_ASSIGN_OR_RETURN(auto source, detail::TensorFloats::open(checkpoint));
  std::vector<std::optional<UnitGroup>> signed_groups(layouts.size());
  std::vector<SignBuffers> buffers(std::max(threads, 4u));
  auto done = detail::parallel_for(
      layouts.size(), threads, [&](std::size_t i, unsigned worker) -> Result<void> {
        auto signed_group = sign_group(layouts[i], source, checkpoint, buffers[worker]);
        for (std::size_t tensor : buffers[worker].tensors) source.release(tensor);
        if (!signed_group) return std::unexpected(signed_group.error());
        signed_groups[i] = std::move(*signed_group);
        return {};
      });
  if (!done) return std::unexpected(done.error());
  UnitSignatures out;
  for (auto& g : signed_groups)
    if (g) out.groups.push_back(std::move(*g));
  return out;
}

// --- the .units file -------------------------------------------------------

namespace {

constexpr std::string_view k_units_magic = "PDUNITS1";
constexpr std::size_t k_units_trailer = 32;
constexpr std::uint32_t k_max_unit_groups = 4096;
constexpr std::uint32_t k_max_units = 1u << 16;
constexpr std::uint32_t k_max_parts = 4;
constexpr std::size_t k_max_prefix = 512;

void put_units_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string serialize_units(const UnitSignatures& signatures) {
  std::string out(k_units_magic);
  put_units_le(out, signatures.groups.size(), 4);
  for (const auto& g : signatures.groups) {
    out.push_back(static_cast<char>(g.kind));
    put_units_le(out, g.prefix.size(), 2);
    out += g.prefix;
    put_units_le(out, g.units, 4);
    out.push_back(static_cast<char>(g.parts));
    out.append(reinterpret_cast<const char*>(g.signature.data()), g.signature.size());
    for (float m : g.magnitude) put_units_le(out, std::bit_cast<std::uint32_t>(m), 4);
  }
  const auto digest = crypto::sha256(std::string_view(out));
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

std::vector<std::string> serialize_units_split(const UnitSignatures& signatures,
                                               std::size_t max_bytes) {
  std::vector<std::string> out;
  UnitSignatures chunk;
  std::size_t size = 0;
  for (const auto& g : signatures.groups) {
    const std::size_t bytes = g.prefix.size() + g.signature.size() + 4 * g.magnitude.size() + 12;
    if (!chunk.groups.empty() && size + bytes > max_bytes) {
      out.push_back(serialize_units(chunk));
      chunk.groups.clear();
      size = 0;
    }
    chunk.groups.push_back(g);
    size += bytes;
  }
  if (!chunk.groups.empty()) out.push_back(serialize_units(chunk));
  return out;
}

void merge_units(UnitSignatures& into, UnitSignatures more) {
  for (auto& g : more.groups) {
    const bool known = std::any_of(into.groups.begin(), into.groups.end(),
                                   [&](const UnitGroup& h) { return h.prefix == g.prefix; });
    if (!known) into.groups.push_back(std::move(g));
  }
}

namespace {

// Every part of a signature is a unit vector times 127, rounded (or all zero: a part
// without weights). Rounding moves each of the k_unit_part_dims cells by at most 0.5, so
// the norm by at most 0.5 * sqrt(k_unit_part_dims) = 2. Matching relies on this: a unit
// then never beats itself as its own match by more than (125 * 129 - 125^2) / 127^2 = 3%,
// less than the matching margin (5%), so a signature aligned with itself stays in place. A
// file whose parts are longer or shorter (not written by unit_signatures) is refused.
std::optional<std::size_t> first_part_not_unit(const UnitGroup& g) {
  static_assert(k_unit_part_dims == 16, "the norm bound below is 0.5 * sqrt(16)");
  constexpr std::int32_t k_low = (127 - 2) * (127 - 2), k_high = (127 + 2) * (127 + 2);
  const std::size_t parts = std::size_t(g.units) * g.parts;
  for (std::size_t p = 0; p < parts; ++p) {
    std::int32_t norm2 = 0;
    for (std::uint32_t d = 0; d < k_unit_part_dims; ++d) {
      const std::int32_t v = g.signature[p * k_unit_part_dims + d];
      norm2 += v * v;
    }
    if (norm2 != 0 && (norm2 < k_low || norm2 > k_high)) return p;
  }
  return std::nullopt;
}

}  // namespace

Result<UnitSignatures> parse_units(ByteView bytes) {
  if (bytes.size() < k_units_magic.size() + 4 + k_units_trailer ||
      std::memcmp(bytes.data(), k_units_magic.data(), k_units_magic.size()) != 0)
    return corruption("not a unit signature file (no PDUNITS1 magic)");
  const ByteView body = bytes.first(bytes.size() - k_units_trailer);
  const auto digest = crypto::sha256(body);
  if (std::memcmp(digest.data(), bytes.data() + body.size(), k_units_trailer) != 0)
    return corruption("unit signature file: SHA-256 trailer mismatch at offset " +
                      std::to_string(body.size()));
  ByteReader r(body);
  PD_TRY(r.skip(k_units_magic.size(), "magic"));
  PD_ASSIGN_OR_RETURN(auto count, r.read_le32("group count"));
  if (count > k_max_unit_groups)
    return corruption("unit signature file: " + std::to_string(count) + " groups (at most " +
                      std::to_string(k_max_unit_groups) + ")");
  UnitSignatures out;
  for (std::uint32_t i = 0; i < count; ++i) {
    UnitGroup g;
    PD_ASSIGN_OR_RETURN(auto kind, r.read_u8("group kind"));
    if (kind < std::uint8_t(UnitGroupKind::k_geglu) ||
        kind > std::uint8_t(UnitGroupKind::k_attention_vo))
      return corruption("unit signature file: unknown group kind " + std::to_string(kind) +
                        " at offset " + std::to_string(r.file_offset() - 1));
    g.kind = static_cast<UnitGroupKind>(kind);
    PD_ASSIGN_OR_RETURN(auto prefix_len, r.read_le16("prefix length"));
    if (prefix_len == 0 || prefix_len > k_max_prefix)
      return corruption("unit signature file: bad prefix length at offset " +
                        std::to_string(r.file_offset() - 2));
    PD_ASSIGN_OR_RETURN(auto prefix, r.read_bytes(prefix_len, "prefix"));
    g.prefix = std::string(as_string_view(prefix));
    PD_ASSIGN_OR_RETURN(g.units, r.read_le32("unit count"));
    PD_ASSIGN_OR_RETURN(auto parts, r.read_u8("part count"));
    if (g.units == 0 || g.units > k_max_units || parts == 0 || parts > k_max_parts)
      return corruption("unit signature file: group '" + g.prefix + "' has " +
                        std::to_string(g.units) + " units of " + std::to_string(parts) +
                        " parts (1.." + std::to_string(k_max_units) + " units, 1.." +
                        std::to_string(k_max_parts) + " parts)");
    g.parts = parts;
    const std::size_t cells = std::size_t(g.units) * g.parts * k_unit_part_dims;
    PD_ASSIGN_OR_RETURN(auto sig, r.read_bytes(cells, "signatures"));
    g.signature.resize(cells);
    std::memcpy(g.signature.data(), sig.data(), cells);
    if (auto bad = first_part_not_unit(g))
      return corruption("unit signature file: group '" + g.prefix + "', unit " +
                        std::to_string(*bad / g.parts) + " part " + std::to_string(*bad % g.parts) +
                        " is not a unit vector times 127 (nor zero)");
    g.magnitude.resize(g.units);
    for (auto& m : g.magnitude) {
      PD_ASSIGN_OR_RETURN(auto bits, r.read_le32("magnitude"));
      m = std::bit_cast<float>(bits);
      if (!std::isfinite(m) || m < 0) m = 0;  // unknown scale: never undone
    }
    out.groups.push_back(std::move(g));
  }
  if (!r.at_end())
    return corruption("unit signature file: " + std::to_string(r.remaining()) +
                      " bytes after the last group");
  return out;
}

}  // namespace pedigree::fingerprint
