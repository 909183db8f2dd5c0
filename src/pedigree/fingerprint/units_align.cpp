#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/fingerprint/units_layout.hpp"
#include "pedigree/fingerprint/units_match.hpp"
#include "pedigree/formats/tensor_data.hpp"

namespace pedigree::fingerprint {

// --- matching ----------------------------------------------------------------

namespace {

constexpr float k_same_unit = 0.8f;    // a unit in place: its own signature at least this close
constexpr float k_min_match = 0.5f;    // a moved unit's best match
constexpr float k_min_margin = 0.05f;  // over the second best
constexpr double k_pair_scale_tolerance = 0.02;   // per unit (GEGLU, attention)
constexpr double k_norm_scale_tolerance = 0.01;   // per GroupNorm group (median of its units)
constexpr std::uint32_t k_groupnorm_groups = 32;  // SD1.x: GroupNorm32 everywhere

// The leading signature dimensions whose sign no function-preserving edit flips: a GEGLU
// gate (part 0; GELU is not odd), nothing of an attention pair (a q row negated with its k
// row, a v row with its output column, change no output), all of a ResBlock (GroupNorm and
// SiLU follow conv1). A GEGLU value row negated with its ff.net.2 column changes nothing
// either, so parts 1 and 2 of a GEGLU unit flip together.
std::uint32_t fixed_dims(const UnitGroup& g) {
  const std::uint32_t dims = g.parts * k_unit_part_dims;
  switch (g.kind) {
    case UnitGroupKind::k_geglu: return std::min(dims, k_unit_part_dims);
    case UnitGroupKind::k_attention_qk:
    case UnitGroupKind::k_attention_vo: return 0;
    case UnitGroupKind::k_resblock: break;
  }
  return dims;
}

// The cosine of two units' signatures by detail::unit_score's rule (the flippable parts
// by their absolute value), and whether those parts point the other way (the target unit
// is its base unit negated).
struct PairScore {
  float cosine;
  bool flipped;
};
PairScore pair_score(const UnitGroup& base, const UnitGroup& target, std::uint32_t target_unit,
                     std::uint32_t base_unit) {
  const std::uint32_t dims = base.parts * k_unit_part_dims, fixed = fixed_dims(base);
  const std::int8_t* t = target.signature.data() + std::size_t(target_unit) * dims;
  const std::int8_t* b = base.signature.data() + std::size_t(base_unit) * dims;
  const detail::UnitDots dots = detail::unit_dots(t, b, dims, fixed);
  return {static_cast<float>(dots.score()) / (127.0f * 127.0f * static_cast<float>(base.parts)),
          dots.flip < 0};
}

// The few units the clear pass left (two targets claiming one base unit, or a best match
// too close to the second) against the base units still free: the assignment of the
// leftovers with the largest total cosine is taken when it beats every other assignment by
// the margin and each of its pairs is a match. With the clearly matched units out of the way
// one pairing usually stands out (a unit that lost a claim to its twin has only one place
// left). More than k_max_leftovers stay ambiguous: that many means the weights do not match.
constexpr std::uint32_t k_max_leftovers = 6;

void resolve_leftovers(const UnitGroup& base, const UnitGroup& target, std::vector<bool>& placed,
                       std::vector<bool>& taken, UnitGroupAlignment& out) {
  const std::uint32_t n = base.units;
  std::vector<std::uint32_t> left, free;
  for (std::uint32_t j = 0; j < n; ++j) {
    if (!placed[j]) left.push_back(j);
    if (!taken[j]) free.push_back(j);
  }
  if (left.empty() || left.size() > k_max_leftovers || left.size() != free.size()) return;
  const std::size_t k = left.size();
  std::vector<float> cos(k * k);
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = 0; b < k; ++b)
      cos[a * k + b] = pair_score(base, target, left[a], free[b]).cosine;
  std::vector<std::size_t> order(k), best_order;
  std::iota(order.begin(), order.end(), 0);
  float best = -1e9f, second = -1e9f;
  do {
    float total = 0;
    for (std::size_t a = 0; a < k; ++a) total += cos[a * k + order[a]];
    if (total > best) {
      second = best;
      best = total;
      best_order = order;
    } else if (total > second) {
      second = total;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  if (k > 1 && best - second < k_min_margin) return;
  for (std::size_t a = 0; a < k; ++a)
    if (cos[a * k + best_order[a]] < k_min_match) return;
  for (std::size_t a = 0; a < k; ++a) {
    const std::uint32_t j = left[a], to = free[best_order[a]];
    out.base_unit[j] = to;
    placed[j] = taken[to] = true;
    out.weakest_match = std::min(out.weakest_match, cos[a * k + best_order[a]]);
  }
}

// Matches each target unit to a base unit: in place when every unit is close to its own
// base unit, else by all pairs (a clear best, unclaimed by any other), then the few left
// by their best joint assignment (resolve_leftovers); the units still without a clear
// match keep their place or take the first free one, so base_unit is a permutation.
// A unit matched to a base unit it is the negation of (in its flippable parts) gets scale
// -1, which undo_scales multiplies by its magnitude ratio.
void match_units(const UnitGroup& base, const UnitGroup& target, UnitGroupAlignment& out) {
  const std::uint32_t n = base.units, dims = base.parts * k_unit_part_dims;
  auto set_signs = [&](const std::vector<bool>& placed) {
    for (std::uint32_t j = 0; j < n; ++j)
      if (placed[j] && pair_score(base, target, j, out.base_unit[j]).flipped) out.scale[j] = -1;
  };
  bool in_place = true;
  for (std::uint32_t j = 0; j < n && in_place; ++j)
    in_place = pair_score(base, target, j, j).cosine >= k_same_unit;
  if (in_place) {
    for (std::uint32_t j = 0; j < n; ++j) out.base_unit[j] = j;
    set_signs(std::vector<bool>(n, true));
    return;
  }
  // All pairs: the AVX2 kernel when the CPU has it (integer dot products, so the same answer).
  const detail::UnitScores scores = detail::score_units(
      base.signature.data(), target.signature.data(), n, dims, fixed_dims(base));
  const std::vector<std::uint32_t>& best = scores.best;
  std::vector<float> best_cos(n), second(n);
  const float unit = 127.0f * 127.0f * static_cast<float>(base.parts);
  for (std::uint32_t j = 0; j < n; ++j) {
    best_cos[j] = static_cast<float>(scores.best_dot[j]) / unit;
    second[j] = n > 1 ? static_cast<float>(scores.second_dot[j]) / unit : -2.0f;
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
  resolve_leftovers(base, target, placed, taken, out);
  set_signs(placed);
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

// The scales to undo, from the magnitudes, where they differ from the base's beyond what
// training does: per unit for a scale pair (GEGLU, attention), per GroupNorm group (the
// median of its units) for a ResBlock.
void undo_scales(const UnitGroup& base, const UnitGroup& target, UnitGroupAlignment& out) {
  const std::uint32_t n = base.units;
  if (target.kind != UnitGroupKind::k_resblock) {
    for (std::uint32_t j = 0; j < n; ++j) {
      const double mb = base.magnitude[out.base_unit[j]], mt = target.magnitude[j];
      if (!(mb > 0) || !(mt > 0)) continue;
      const double a = std::sqrt(mt / mb);  // |a v| / |w / a| = a^2 |v| / |w|
      if (std::fabs(a - 1) > k_pair_scale_tolerance) out.scale[j] *= static_cast<float>(a);
    }
    return;
  }
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

UnitGroupAlignment align_group(const UnitGroup& base, const UnitGroup& target) {
  const std::uint32_t n = base.units;
  UnitGroupAlignment out;
  out.kind = target.kind;
  out.prefix = target.prefix;
  out.base_unit.resize(n);
  out.scale.assign(n, 1.0f);
  match_units(base, target, out);
  for (std::uint32_t j = 0; j < n; ++j) out.moved += out.base_unit[j] != j;
  undo_scales(base, target, out);
  for (float s : out.scale) {
    out.rescaled += std::fabs(s) != 1.0f;
    out.flipped += s < 0;
  }
  return out;
}

std::string thousands(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

UnitAlignment align_units(const UnitSignatures& base, const UnitSignatures& target,
                          unsigned threads) {
  UnitAlignment out;
  std::map<std::string_view, const UnitGroup*> by_prefix;
  for (const auto& g : target.groups) by_prefix.emplace(g.prefix, &g);
  std::vector<std::pair<const UnitGroup*, const UnitGroup*>> pairs;  // base, target
  for (const auto& b : base.groups) {
    auto it = by_prefix.find(b.prefix);
    if (it == by_prefix.end() || it->second->kind != b.kind || it->second->units != b.units ||
        it->second->parts != b.parts) {
      ++out.groups_missing;
      continue;
    }
    pairs.emplace_back(&b, it->second);
  }
  out.groups.resize(pairs.size());
  (void)detail::parallel_for(pairs.size(), threads, [&](std::size_t i, unsigned) -> Result<void> {
    out.groups[i] = align_group(*pairs[i].first, *pairs[i].second);
    return {};
  });
  for (const auto& g : out.groups) {
    out.units += g.base_unit.size();
    out.moved += g.moved;
    out.rescaled += g.rescaled;
    out.flipped += g.flipped;
    out.ambiguous += g.ambiguous;
    out.weakest_match = std::min(out.weakest_match, g.weakest_match);
  }
  return out;
}

std::string UnitAlignment::describe() const {
  std::string s = "moved " + thousands(moved) + " of " + thousands(units) + " units in " +
                  thousands(groups.size()) + " groups back to the base's order, undid " +
                  thousands(rescaled) + " scales" +
                  (flipped > 0 ? " and " + thousands(flipped) + " sign flips" : "") + "; ";
  if (ambiguous > 0) s += thousands(ambiguous) + " units without a clear match";
  if (groups_missing > 0)
    s += std::string(ambiguous > 0 ? ", " : "") + thousands(groups_missing) +
         " of the base's groups missing or of another size";
  if (ambiguous == 0 && groups_missing == 0)
    s += "every unit matched clearly";
  else if (confident())
    s += " (within the 0.1% tolerated: kept in place or on a free slot)";
  return s;
}

// --- the aligned sketch ----------------------------------------------------

namespace {

// How one tensor moves into the base's frame, over its rows x cols view (rows =
// shape[0], as the sketch sees it): output element (r, c) is the stored
// element (row_from[r], col_from[c]) times col_factor[c] times row_factor[r].
// Unit j of a row slice is row `row_offset + j`; of a column slice, columns
// [j * inner, (j + 1) * inner) of every row. The tensor is then sketched row
// by row from its stored bytes: no float copy of it, whatever its size.
struct TensorMove {
  std::uint64_t rows = 0, cols = 0;
  std::vector<std::uint64_t> row_from;
  std::vector<float> row_factor;
  std::vector<std::uint64_t> col_from;  // empty: columns stay
  std::vector<float> col_factor;
};

struct Use {
  const UnitGroupAlignment* group;
  detail::UnitSlice slice;
};

// The maps of a tensor's uses; nullopt when a slice does not fit the view or
// two slices move the same row or column.
std::optional<TensorMove> plan_move(const std::vector<Use>& uses, std::uint64_t rows,
                                    std::uint64_t numel) {
  if (rows == 0 || numel % rows != 0) return std::nullopt;
  TensorMove m{
      rows, numel / rows, std::vector<std::uint64_t>(rows), std::vector<float>(rows, 1), {}, {}};
  std::iota(m.row_from.begin(), m.row_from.end(), std::uint64_t{0});
  std::vector<bool> row_set(rows, false), col_set;
  for (const auto& [group, s] : uses) {
    const auto units = static_cast<std::uint32_t>(group->base_unit.size());
    auto factor = [&](std::uint32_t j) {
      return s.scaled ? 1.0f / group->scale[j] : s.inverse ? group->scale[j] : 1.0f;
    };
    if (s.column) {
      if (s.outer != rows || std::uint64_t(units) * s.inner != m.cols) return std::nullopt;
      if (m.col_from.empty()) {
        m.col_from.resize(m.cols);
        std::iota(m.col_from.begin(), m.col_from.end(), std::uint64_t{0});
        m.col_factor.assign(m.cols, 1.0f);
        col_set.assign(m.cols, false);
      }
      for (std::uint32_t j = 0; j < units; ++j) {
        for (std::uint64_t k = 0; k < s.inner; ++k) {
          const std::uint64_t to = std::uint64_t(group->base_unit[j]) * s.inner + k;
          if (to >= m.cols || col_set[to]) return std::nullopt;
          col_set[to] = true;
          m.col_from[to] = std::uint64_t(j) * s.inner + k;
          m.col_factor[to] = factor(j);
        }
      }
      continue;
    }
    if (s.cols != m.cols || s.row_offset + units > rows) return std::nullopt;
    for (std::uint32_t j = 0; j < units; ++j) {
      const std::uint64_t to = s.row_offset + group->base_unit[j];
      if (to >= rows || row_set[to]) return std::nullopt;
      row_set[to] = true;
      m.row_from[to] = s.row_offset + j;
      m.row_factor[to] = factor(j);
    }
  }
  return m;
}

struct MoveBuffers {
  std::vector<std::uint8_t> scratch;  // a tensor that is not stored plain, gathered
  std::vector<float> row, out;
};

// Sketches tensor `i` moved by `m`, from its stored bytes, row by row.
Result<void> sketch_moved(std::size_t i, const TensorMove& m, ByteView stored, formats::DType dtype,
                          FingerprintBuilder& builder, MoveBuffers& b) {
  constexpr std::uint64_t k_batch = 1u << 16;  // elements handed to the sketch at once
  const std::uint64_t size = formats::dtype_size(dtype);
  const std::uint64_t rows_per_batch = std::max<std::uint64_t>(1, k_batch / m.cols);
  b.row.resize(m.cols);
  b.out.resize(rows_per_batch * m.cols);
  builder.begin_tensor(i);
  for (std::uint64_t first = 0; first < m.rows; first += rows_per_batch) {
    const std::uint64_t n = std::min(rows_per_batch, m.rows - first);
    for (std::uint64_t r = first; r < first + n; ++r) {
      float* out = b.out.data() + (r - first) * m.cols;
      const ByteView from = stored.subspan(m.row_from[r] * m.cols * size, m.cols * size);
      const float f = m.row_factor[r];
      if (m.col_from.empty()) {
        PD_TRY(formats::convert_to_float(dtype, from, std::span<float>(out, m.cols)));
        if (f != 1.0f)
          for (std::uint64_t c = 0; c < m.cols; ++c) out[c] *= f;
        continue;
      }
      PD_TRY(formats::convert_to_float(dtype, from, b.row));
      for (std::uint64_t c = 0; c < m.cols; ++c)
        out[c] = b.row[m.col_from[c]] * m.col_factor[c] * f;
    }
    builder.tensor_data(
        i, first * m.cols,
        ByteView(reinterpret_cast<const std::uint8_t*>(b.out.data()), n * m.cols * sizeof(float)));
  }
  builder.end_tensor(i);
  return {};
}

}  // namespace

Result<Fingerprint> aligned_fingerprint(const formats::Checkpoint& checkpoint,
                                        const UnitAlignment& alignment,
                                        const Fingerprint& unaligned, unsigned threads) {
  const auto names = formats::canonicalize(checkpoint);
  std::map<std::size_t, std::vector<Use>> uses;  // the tensors that move, and how
  std::map<std::string_view, const UnitGroupAlignment*> aligned;
  for (const auto& g : alignment.groups)
    if (g.moved > 0 || g.rescaled > 0 || g.flipped > 0)
      aligned.emplace(g.prefix, &g);  // else nothing to undo
  for (const auto& layout : detail::find_unit_groups(names)) {
    auto it = aligned.find(layout.prefix);
    if (it == aligned.end() || it->second->kind != layout.kind ||
        it->second->base_unit.size() != layout.units)
      continue;
    for (const auto& part : layout.parts)
      for (const auto& s : part) uses[s.tensor].push_back({it->second, s});
    for (const auto& s : layout.moved_only) uses[s.tensor].push_back({it->second, s});
  }
  PD_ASSIGN_OR_RETURN(auto source, detail::TensorFloats::open(checkpoint));
  PD_ASSIGN_OR_RETURN(auto plan, plan_checkpoint(checkpoint));
  // Only the tensors that move are sketched again (as float32); the others keep the
  // sketches of `unaligned`, made from the same bytes.
  std::vector<std::size_t> moving;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!uses.contains(i) || !plan[i] || plan[i]->skip) {
      plan[i].reset();
      continue;
    }
    plan[i]->dtype = formats::DType::k_f32;
    moving.push_back(i);
  }
  FingerprintBuilder builder(plan, unaligned.params);
  std::vector<MoveBuffers> buffers(std::max(threads, 4u));
  auto done = detail::parallel_for(
      moving.size(), threads, [&](std::size_t k, unsigned worker) -> Result<void> {
        const std::size_t i = moving[k];
        const formats::TensorInfo& info = checkpoint.tensors[i];
        const auto& shape = names[i].shape;
        const auto move = plan_move(uses.at(i), shape.empty() ? 0 : shape[0], info.numel());
        if (!move) return corruption("tensor '" + names[i].name + "' does not hold its units");
        MoveBuffers& b = buffers[worker];
        PD_ASSIGN_OR_RETURN(ByteView stored, source.bytes(i, b.scratch));
        auto sketched = sketch_moved(i, *move, stored, info.dtype, builder, b);
        source.release(i);
        return sketched;
      });
  if (!done) return std::unexpected(done.error());
  PD_ASSIGN_OR_RETURN(auto moved, builder.finish());
  Fingerprint out = unaligned;
  for (auto& t : moved.tensors) {
    auto it = std::find_if(out.tensors.begin(), out.tensors.end(),
                           [&](const TensorSketch& u) { return u.name == t.name; });
    if (it == out.tensors.end())
      return invalid_argument("tensor '" + t.name + "' is not in the fingerprint to align");
    if (it->rows != t.rows || it->cols != t.cols)
      return invalid_argument("tensor '" + t.name +
                              "': the fingerprint to align was made with other sketch sizes");
    *it = std::move(t);
  }
  return out;
}

}  // namespace pedigree::fingerprint
