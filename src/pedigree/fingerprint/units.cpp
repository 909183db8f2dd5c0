#include "pedigree/fingerprint/units.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/tensor_data.hpp"

namespace pedigree::fingerprint {
namespace {

constexpr std::string_view k_unet = "model.diffusion_model.";

// One weight slice a unit owns: rows of a tensor viewed as (rows x cols), the
// unit's row being `row_offset + unit`; or columns of a tensor viewed as
// (outer x units x inner), the unit's column being all (o, unit, i).
struct Slice {
  std::size_t tensor = 0;  // index into the checkpoint
  bool column = false;
  std::uint64_t row_offset = 0;        // rows: GEGLU gates start at `hidden`
  std::uint64_t outer = 1, inner = 1;  // columns
  std::uint64_t cols = 1;              // rows: elements per row
  bool scaled = false;                 // carries the unit's scale (divided by it in the base frame)
  bool inverse = false;                // carries the inverse scale (multiplied by it)
};

// The slices of one group: parts (signature parts) and moved-only slices.
struct GroupLayout {
  UnitGroupKind kind = UnitGroupKind::k_geglu;
  std::string prefix;
  std::uint32_t units = 0;
  std::vector<std::vector<Slice>> parts;  // each part: slices signed together
  std::vector<Slice> moved_only;          // moved with the unit, no signature (GroupNorm)
  int magnitude_part = 0;                 // |part| (GEGLU: over |part 2|)
  int inverse_part = -1;
};

std::uint64_t elements_of(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::vector<GroupLayout> find_groups(const std::vector<formats::CanonicalTensor>& names) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i].name, i);
  auto find = [&](const std::string& name) -> const formats::CanonicalTensor* {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &names[it->second];
  };
  auto at = [&](const std::string& name) { return index.at(name); };
  std::vector<GroupLayout> groups;
  for (const auto& t : names) {
    if (!t.name.starts_with(k_unet)) continue;
    if (t.name.ends_with("ff.net.0.proj.weight") && t.shape.size() == 2) {
      const std::string prefix = t.name.substr(0, t.name.size() - 17);  // "...ff."
      const auto* down = find(prefix + "net.2.weight");
      if (!down || down->shape.size() != 2 || t.shape[0] != 2 * down->shape[1] ||
          down->shape[1] == 0)
        continue;
      const std::uint64_t hidden = down->shape[1], in = t.shape[1];
      GroupLayout g{
          UnitGroupKind::k_geglu, prefix, static_cast<std::uint32_t>(hidden), {}, {}, 1, 2};
      std::vector<Slice> gate{{at(t.name), false, hidden, 1, 1, in, false, false}};
      std::vector<Slice> value{{at(t.name), false, 0, 1, 1, in, true, false}};
      if (const auto* bias = find(prefix + "net.0.proj.bias");
          bias && elements_of(bias->shape) == 2 * hidden) {
        gate.push_back({at(bias->name), false, hidden, 1, 1, 1, false, false});
        value.push_back({at(bias->name), false, 0, 1, 1, 1, true, false});
      }
      std::vector<Slice> column{{at(down->name), true, 0, down->shape[0], 1, 1, false, true}};
      g.parts = {gate, value, column};
      groups.push_back(std::move(g));
    } else if (t.name.ends_with("in_layers.2.weight") && t.shape.size() >= 2 && t.shape[0] > 0) {
      const std::string prefix = t.name.substr(0, t.name.size() - 18);
      const std::uint64_t channels = t.shape[0];
      GroupLayout g{
          UnitGroupKind::k_resblock, prefix, static_cast<std::uint32_t>(channels), {}, {}, 0, -1};
      std::vector<Slice> conv1{
          {at(t.name), false, 0, 1, 1, elements_of(t.shape) / channels, true, false}};
      for (const char* row : {"in_layers.2.bias", "emb_layers.1.weight", "emb_layers.1.bias"}) {
        const auto* r = find(prefix + row);
        if (r && !r->shape.empty() && r->shape[0] == channels)
          conv1.push_back(
              {at(r->name), false, 0, 1, 1, elements_of(r->shape) / channels, true, false});
      }
      g.parts.push_back(conv1);
      if (const auto* conv2 = find(prefix + "out_layers.3.weight");
          conv2 && conv2->shape.size() >= 2 && conv2->shape[1] == channels) {
        g.parts.push_back(
            {{at(conv2->name), true, 0, conv2->shape[0],
              elements_of(conv2->shape) / conv2->shape[0] / channels, 1, false, false}});
      }
      for (const char* norm : {"out_layers.0.weight", "out_layers.0.bias"}) {
        const auto* r = find(prefix + norm);
        if (r && elements_of(r->shape) == channels)
          g.moved_only.push_back({at(r->name), false, 0, 1, 1, 1, false, false});
      }
      groups.push_back(std::move(g));
    }
  }
  return groups;
}

// The sparse random projection: element p of a part adds +-x to 4 of 16 dims.
struct Projection {
  std::vector<std::uint32_t> code;  // per position: 4 x (4-bit dim, 1-bit sign)
};

std::uint32_t projection_code(std::uint64_t seed, std::uint64_t position) {
  const std::uint64_t h = detail::mix64(seed ^ detail::mix64(position));
  return static_cast<std::uint32_t>(h);
}

void project_add(std::uint32_t code, float x, float* out) {
  for (int k = 0; k < 4; ++k) {
    const std::uint32_t c = (code >> (8 * k)) & 0xff;
    out[c & 15] += (c & 16) ? -x : x;
  }
}

Result<std::vector<float>> read_floats(const formats::Checkpoint& checkpoint, std::size_t index) {
  PD_ASSIGN_OR_RETURN(auto bytes, formats::read_tensor_bytes(checkpoint, index));
  return formats::to_floats(checkpoint.tensors[index].dtype, bytes);
}

// Adds slice `s` of `data` into the per-unit accumulators `acc` (units x 16),
// positions from `position` on; returns the next position. `norm2` gets each
// unit's sum of squares.
std::uint64_t accumulate_slice(const Slice& s, const std::vector<float>& data, std::uint32_t units,
                               std::uint64_t seed, std::uint64_t position, std::vector<float>& acc,
                               std::vector<double>& norm2) {
  if (!s.column) {
    std::vector<std::uint32_t> code(s.cols);
    for (std::uint64_t c = 0; c < s.cols; ++c) code[c] = projection_code(seed, position + c);
    for (std::uint32_t u = 0; u < units; ++u) {
      const float* row = data.data() + (s.row_offset + u) * s.cols;
      float* out = acc.data() + std::size_t(u) * k_unit_part_dims;
      for (std::uint64_t c = 0; c < s.cols; ++c) {
        project_add(code[c], row[c], out);
        norm2[u] += double(row[c]) * row[c];
      }
    }
    return position + s.cols;
  }
  const std::uint64_t per_unit = s.outer * s.inner;
  std::vector<std::uint32_t> code(per_unit);
  for (std::uint64_t p = 0; p < per_unit; ++p) code[p] = projection_code(seed, position + p);
  for (std::uint64_t o = 0; o < s.outer; ++o)
    for (std::uint32_t u = 0; u < units; ++u) {
      const float* cell = data.data() + (o * units + u) * s.inner;
      float* out = acc.data() + std::size_t(u) * k_unit_part_dims;
      for (std::uint64_t i = 0; i < s.inner; ++i) {
        project_add(code[o * s.inner + i], cell[i], out);
        norm2[u] += double(cell[i]) * cell[i];
      }
    }
  return position + per_unit;
}

// Whether the slice's tensor has the element count the layout assumes.
bool slice_fits(const Slice& s, std::uint32_t units, std::size_t size) {
  if (s.column) return size == s.outer * units * s.inner;
  return size >= (s.row_offset + units) * s.cols;
}

}  // namespace

Result<UnitSignatures> unit_signatures(const formats::Checkpoint& checkpoint) {
  const auto names = formats::canonicalize(checkpoint);
  UnitSignatures out;
  std::map<std::size_t, std::vector<float>> cache;  // one group's tensors at a time
  for (const auto& layout : find_groups(names)) {
    cache.clear();
    UnitGroup group{layout.kind,  layout.prefix,
                    layout.units, static_cast<std::uint32_t>(layout.parts.size()),
                    {},           {}};
    group.signature.assign(std::size_t(layout.units) * group.parts * k_unit_part_dims, 0);
    std::vector<std::vector<double>> part_norm2(layout.parts.size());
    bool fits = true;
    for (std::size_t p = 0; p < layout.parts.size() && fits; ++p) {
      std::vector<float> acc(std::size_t(layout.units) * k_unit_part_dims, 0.0f);
      part_norm2[p].assign(layout.units, 0.0);
      const std::uint64_t seed =
          detail::mix64(0x756e697473ull + 16 * std::uint64_t(layout.kind) + p);
      std::uint64_t position = 0;
      for (const auto& s : layout.parts[p]) {
        auto it = cache.find(s.tensor);
        if (it == cache.end()) {
          PD_ASSIGN_OR_RETURN(auto floats, read_floats(checkpoint, s.tensor));
          it = cache.emplace(s.tensor, std::move(floats)).first;
        }
        if (!slice_fits(s, layout.units, it->second.size())) {
          fits = false;
          break;
        }
        position =
            accumulate_slice(s, it->second, layout.units, seed, position, acc, part_norm2[p]);
      }
      for (std::uint32_t u = 0; u < layout.units && fits; ++u) {
        const float* v = acc.data() + std::size_t(u) * k_unit_part_dims;
        double n = 0;
        for (std::uint32_t d = 0; d < k_unit_part_dims; ++d) n += double(v[d]) * v[d];
        n = std::sqrt(n);
        std::int8_t* q =
            group.signature.data() + (std::size_t(u) * group.parts + p) * k_unit_part_dims;
        for (std::uint32_t d = 0; d < k_unit_part_dims; ++d)
          q[d] =
              n > 0 && std::isfinite(n)
                  ? static_cast<std::int8_t>(std::clamp(std::lround(v[d] / n * 127), -127l, 127l))
                  : 0;
      }
    }
    if (!fits) continue;
    group.magnitude.resize(layout.units);
    for (std::uint32_t u = 0; u < layout.units; ++u) {
      double m = std::sqrt(part_norm2[layout.magnitude_part][u]);
      if (layout.inverse_part >= 0) {
        const double inv = std::sqrt(part_norm2[layout.inverse_part][u]);
        m = inv > 0 ? m / inv : 0;
      }
      group.magnitude[u] = std::isfinite(m) ? static_cast<float>(m) : 0.0f;
    }
    out.groups.push_back(std::move(group));
  }
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
    if (kind != std::uint8_t(UnitGroupKind::k_geglu) &&
        kind != std::uint8_t(UnitGroupKind::k_resblock))
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

// --- matching ----------------------------------------------------------------

namespace {

constexpr float k_same_unit = 0.8f;    // a unit in place: its own signature at least this close
constexpr float k_min_match = 0.5f;    // a moved unit's best match
constexpr float k_min_margin = 0.05f;  // over the second best
constexpr double k_geglu_scale_tolerance = 0.02;  // per unit
constexpr double k_norm_scale_tolerance = 0.01;   // per GroupNorm group (median of its units)
constexpr std::uint32_t k_groupnorm_groups = 32;  // SD1.x: GroupNorm32 everywhere

float unit_cosine(const std::int8_t* a, const std::int8_t* b, std::uint32_t dims,
                  std::uint32_t parts) {
  std::int32_t dot = 0;
  for (std::uint32_t d = 0; d < dims; ++d) dot += std::int32_t(a[d]) * b[d];
  return static_cast<float>(dot) / (127.0f * 127.0f * static_cast<float>(parts));
}

UnitGroupAlignment align_group(const UnitGroup& base, const UnitGroup& target) {
  const std::uint32_t n = base.units, dims = base.parts * k_unit_part_dims;
  UnitGroupAlignment out{
      target.kind, target.prefix, std::vector<std::uint32_t>(n), std::vector<float>(n, 1.0f), 0, 0,
      0,           1.0f};
  auto sig = [&](const UnitGroup& g, std::uint32_t u) {
    return g.signature.data() + std::size_t(u) * dims;
  };
  bool in_place = true;
  for (std::uint32_t j = 0; j < n && in_place; ++j)
    in_place = unit_cosine(sig(target, j), sig(base, j), dims, base.parts) >= k_same_unit;
  if (in_place) {
    for (std::uint32_t j = 0; j < n; ++j) out.base_unit[j] = j;
  } else {
    std::vector<std::uint32_t> best(n);
    std::vector<float> best_cos(n, -2), second(n, -2);
    for (std::uint32_t j = 0; j < n; ++j) {
      const std::int8_t* t = sig(target, j);
      for (std::uint32_t i = 0; i < n; ++i) {
        const float c = unit_cosine(t, sig(base, i), dims, base.parts);
        if (c > best_cos[j]) {
          second[j] = best_cos[j];
          best_cos[j] = c;
          best[j] = i;
        } else if (c > second[j]) {
          second[j] = c;
        }
      }
    }
    std::vector<std::uint32_t> claims(n, 0);
    for (std::uint32_t j = 0; j < n; ++j) ++claims[best[j]];
    std::vector<bool> taken(n, false), placed(n, false);
    for (std::uint32_t j = 0; j < n; ++j) {
      const bool clear = best_cos[j] >= k_min_match && best_cos[j] - second[j] >= k_min_margin &&
                         claims[best[j]] == 1;
      if (!clear) continue;
      out.base_unit[j] = best[j];
      taken[best[j]] = placed[j] = true;
      out.weakest_match = std::min(out.weakest_match, best_cos[j]);
    }
    // Units without a clear match stay where they are when that place is free, else take the
    // first free one: the result is a permutation, and they count against confidence.
    std::uint32_t next_free = 0;
    for (std::uint32_t j = 0; j < n; ++j) {
      if (placed[j]) continue;
      ++out.ambiguous;
      std::uint32_t to = j;
      if (taken[to]) {
        while (taken[next_free]) ++next_free;
        to = next_free;
      }
      out.base_unit[j] = to;
      taken[to] = true;
    }
  }
  for (std::uint32_t j = 0; j < n; ++j) out.moved += out.base_unit[j] != j;
  // Scales: what the magnitudes say, where they differ from the base beyond what training does.
  if (target.kind == UnitGroupKind::k_geglu) {
    for (std::uint32_t j = 0; j < n; ++j) {
      const double mb = base.magnitude[out.base_unit[j]], mt = target.magnitude[j];
      if (!(mb > 0) || !(mt > 0)) continue;
      const double a = std::sqrt(mt / mb);  // |a v| / |w / a| = a^2 |v| / |w|
      if (std::fabs(a - 1) > k_geglu_scale_tolerance) out.scale[j] = static_cast<float>(a);
    }
  } else {
    const std::uint32_t groups = n % k_groupnorm_groups == 0 ? k_groupnorm_groups : 1;
    const std::uint32_t per = n / groups;
    std::vector<std::vector<double>> ratios(groups);
    for (std::uint32_t j = 0; j < n; ++j) {
      const double mb = base.magnitude[out.base_unit[j]], mt = target.magnitude[j];
      if (mb > 0 && mt > 0) ratios[out.base_unit[j] / per].push_back(mt / mb);
    }
    std::vector<float> group_scale(groups, 1.0f);
    for (std::uint32_t g = 0; g < groups; ++g) {
      auto& r = ratios[g];
      if (r.empty()) continue;
      std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
      const double s = r[r.size() / 2];
      if (std::fabs(s - 1) > k_norm_scale_tolerance) group_scale[g] = static_cast<float>(s);
    }
    for (std::uint32_t j = 0; j < n; ++j) out.scale[j] = group_scale[out.base_unit[j] / per];
  }
  for (float s : out.scale) out.rescaled += s != 1.0f;
  return out;
}

std::string thousands(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

UnitAlignment align_units(const UnitSignatures& base, const UnitSignatures& target) {
  UnitAlignment out;
  std::map<std::string_view, const UnitGroup*> by_prefix;
  for (const auto& g : target.groups) by_prefix.emplace(g.prefix, &g);
  for (const auto& b : base.groups) {
    auto it = by_prefix.find(b.prefix);
    if (it == by_prefix.end() || it->second->kind != b.kind || it->second->units != b.units ||
        it->second->parts != b.parts) {
      ++out.groups_missing;
      continue;
    }
    auto g = align_group(b, *it->second);
    out.units += b.units;
    out.moved += g.moved;
    out.rescaled += g.rescaled;
    out.ambiguous += g.ambiguous;
    out.groups.push_back(std::move(g));
  }
  return out;
}

std::string UnitAlignment::describe() const {
  std::string s = "moved " + thousands(moved) + " of " + thousands(units) + " units in " +
                  thousands(groups.size()) + " groups back to the base's order, undid " +
                  thousands(rescaled) + " scales; ";
  if (ambiguous > 0) s += thousands(ambiguous) + " units without a clear match";
  if (groups_missing > 0)
    s += std::string(ambiguous > 0 ? ", " : "") + thousands(groups_missing) +
         " of the base's groups missing or of another size";
  if (confident()) s += "every unit matched clearly";
  return s;
}

// --- the aligned sketch ----------------------------------------------------

Result<Fingerprint> aligned_fingerprint(const formats::Checkpoint& checkpoint,
                                        const UnitAlignment& alignment,
                                        const SketchParams& params) {
  const auto names = formats::canonicalize(checkpoint);
  // Which group and slices each tensor belongs to.
  struct Use {
    const UnitGroupAlignment* group;
    Slice slice;
  };
  std::map<std::size_t, std::vector<Use>> uses;
  std::map<std::string_view, const UnitGroupAlignment*> aligned;
  for (const auto& g : alignment.groups) aligned.emplace(g.prefix, &g);
  for (const auto& layout : find_groups(names)) {
    auto it = aligned.find(layout.prefix);
    if (it == aligned.end() || it->second->kind != layout.kind ||
        it->second->base_unit.size() != layout.units)
      continue;
    for (const auto& part : layout.parts)
      for (const auto& s : part) uses[s.tensor].push_back({it->second, s});
    for (const auto& s : layout.moved_only) uses[s.tensor].push_back({it->second, s});
  }
  PD_ASSIGN_OR_RETURN(auto plan, plan_checkpoint(checkpoint));
  for (auto& p : plan)
    if (p && !p->skip) p->dtype = formats::DType::k_f32;
  FingerprintBuilder builder(plan, params);
  for (std::size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    if (!builder.wants(i)) continue;
    PD_ASSIGN_OR_RETURN(auto data, read_floats(checkpoint, i));
    if (auto it = uses.find(i); it != uses.end()) {
      std::vector<float> moved = data;
      for (const auto& [group, s] : it->second) {
        const auto units = static_cast<std::uint32_t>(group->base_unit.size());
        if (!slice_fits(s, units, data.size()))
          return corruption("tensor '" + names[i].name + "' changed size while aligning");
        for (std::uint32_t j = 0; j < units; ++j) {
          const std::uint32_t to = group->base_unit[j];
          const float f = s.scaled ? 1.0f / group->scale[j] : s.inverse ? group->scale[j] : 1.0f;
          if (!s.column) {
            const float* from = data.data() + (s.row_offset + j) * s.cols;
            float* dest = moved.data() + (s.row_offset + to) * s.cols;
            for (std::uint64_t c = 0; c < s.cols; ++c) dest[c] = from[c] * f;
          } else {
            for (std::uint64_t o = 0; o < s.outer; ++o) {
              const float* from = data.data() + (o * units + j) * s.inner;
              float* dest = moved.data() + (o * units + to) * s.inner;
              for (std::uint64_t k = 0; k < s.inner; ++k) dest[k] = from[k] * f;
            }
          }
        }
      }
      data = std::move(moved);
    }
    builder.begin_tensor(i);
    builder.tensor_data(
        i, 0,
        ByteView(reinterpret_cast<const std::uint8_t*>(data.data()), data.size() * sizeof(float)));
    builder.end_tensor(i);
  }
  return builder.finish();
}

}  // namespace pedigree::fingerprint
