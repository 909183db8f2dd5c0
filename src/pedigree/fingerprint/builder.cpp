#include "pedigree/fingerprint/builder.hpp"

#include <algorithm>
#include <map>

#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/formats/names.hpp"

namespace pedigree::fingerprint {
namespace {

// The component a name's prefix implies, for tensors place_tensor cannot place.
std::optional<Component> component_by_prefix(std::string_view name) {
  if (name.starts_with(formats::k_unet_prefix)) return Component::k_unet;
  if (name.starts_with(formats::k_unet_ema_prefix)) return Component::k_unet_ema;
  if (name.starts_with("cond_stage_model.")) return Component::k_text_encoder;
  if (name.starts_with(formats::k_vae_prefix)) return Component::k_vae;
  return std::nullopt;
}

std::optional<TensorPlan> plan_tensor(const formats::CanonicalTensor& canonical,
                                      formats::DType dtype) {
  if (canonical.name == formats::k_clip_position_ids) return std::nullopt;  // a buffer, not weights
  auto placement = place_tensor(canonical.name);
  if (!placement) {
    auto component = component_by_prefix(canonical.name);
    if (!component) return std::nullopt;
    return TensorPlan{
        canonical.name, {*component, 0}, dtype, canonical.shape, SkipReason::k_unknown_name};
  }
  TensorPlan plan{canonical.name, *placement, dtype, canonical.shape, std::nullopt};
  if (!detail::sketchable_dtype(dtype)) plan.skip = SkipReason::k_unsupported_dtype;
  return plan;
}

Result<void> check_unique(const std::vector<std::optional<TensorPlan>>& plan) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i] || plan[i]->skip) continue;
    if (!seen.emplace(plan[i]->canonical_name, i).second) {
      return corruption("two tensors have the canonical name '" + plan[i]->canonical_name + "'");
    }
  }
  return {};
}

std::uint64_t numel_of(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

constexpr std::size_t k_max_skipped_examples = 5;

// Coverage of the sketched and skipped tensors of `plan` (`sketched[i]` for the sketched ones).
Coverage coverage_of(const std::vector<std::optional<TensorPlan>>& plan,
                     const std::vector<TensorSketch>& sketched) {
  Coverage cov;
  for (const auto& p : plan) {
    if (!p) continue;
    ComponentCoverage& c = cov.components[static_cast<std::size_t>(p->placement.component)];
    const std::uint64_t n = numel_of(p->shape);
    ++c.tensors_present;
    c.params_present += n;
    if (!p->skip) continue;
    const auto r = static_cast<std::size_t>(*p->skip);
    ++c.tensors_skipped[r];
    c.params_skipped[r] += n;
    if (*p->skip == SkipReason::k_unsupported_dtype)
      ++cov.skipped_dtypes[std::string(formats::dtype_name(p->dtype))];
    if (c.skipped_examples.size() < k_max_skipped_examples)
      c.skipped_examples.push_back(p->canonical_name + " (" +
                                   std::string(formats::dtype_name(p->dtype)) + ", " +
                                   std::string(skip_reason_name(*p->skip)) + ")");
  }
  std::map<std::string_view, const formats::CanonicalTensor*> sd1;
  for (const auto& t : formats::sd1_unet_layout()) {
    sd1.emplace(t.name, &t);
    ++cov.sd1_tensors_total;
    cov.sd1_params_total += numel_of(t.shape);
  }
  for (const auto& t : sketched) {
    ComponentCoverage& c = cov.components[static_cast<std::size_t>(t.component)];
    ++c.tensors_sketched;
    c.params_sketched += t.numel();
    if (t.component != Component::k_unet) continue;
    auto it = sd1.find(t.name);
    if (it == sd1.end()) continue;
    if (it->second->shape == t.shape) {
      ++cov.sd1_tensors_sketched;
      cov.sd1_params_sketched += t.numel();
    } else {
      ++cov.sd1_tensors_shape_mismatch;
    }
  }
  return cov;
}

}  // namespace

std::string_view skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::k_unsupported_dtype: return "unsupported-dtype";
    case SkipReason::k_unknown_name: return "unknown-name";
  }
  return "?";
}

Result<std::vector<std::optional<TensorPlan>>> plan_checkpoint(
    const formats::Checkpoint& checkpoint) {
  const auto canonical = formats::canonicalize(checkpoint);
  std::vector<std::optional<TensorPlan>> plan;
  plan.reserve(checkpoint.tensors.size());
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    plan.push_back(plan_tensor(canonical[i], checkpoint.tensors[i].dtype));
  }
  PD_TRY(check_unique(plan));
  return plan;
}

Result<std::vector<std::optional<TensorPlan>>> plan_ema_as_unet(
    const formats::Checkpoint& checkpoint) {
  PD_ASSIGN_OR_RETURN(auto plan, plan_checkpoint(checkpoint));
  for (auto& p : plan) {
    if (!p || p->placement.component != Component::k_unet_ema ||
        !p->canonical_name.starts_with(formats::k_unet_ema_prefix)) {
      p.reset();
      continue;
    }
    const std::string unet_name = std::string(formats::k_unet_prefix) +
                                  p->canonical_name.substr(formats::k_unet_ema_prefix.size());
    auto placement = place_tensor(unet_name);
    p->canonical_name = unet_name;
    if (!placement) {
      p->placement = {Component::k_unet, 0};
      if (!p->skip) p->skip = SkipReason::k_unknown_name;
      continue;
    }
    p->placement = *placement;
  }
  PD_TRY(check_unique(plan));
  return plan;
}

bool plans_any(const std::vector<std::optional<TensorPlan>>& plan) {
  return std::any_of(plan.begin(), plan.end(), [](const auto& p) { return p.has_value(); });
}

FingerprintBuilder::FingerprintBuilder(std::vector<std::optional<TensorPlan>> plan,
                                       SketchParams params)
    : m_plan(std::move(plan)), m_params(params), m_active(m_plan.size()), m_done(m_plan.size()) {}

FingerprintBuilder::~FingerprintBuilder() = default;

bool FingerprintBuilder::wants(std::size_t tensor_index) const {
  return tensor_index < m_plan.size() && m_plan[tensor_index].has_value() &&
         !m_plan[tensor_index]->skip;
}

void FingerprintBuilder::begin_tensor(std::size_t tensor_index) {
  if (!wants(tensor_index)) return;
  const TensorPlan& p = *m_plan[tensor_index];
  m_active[tensor_index] = std::make_unique<detail::TensorSketcher>(p.canonical_name, p.placement,
                                                                    p.dtype, p.shape, m_params);
}

void FingerprintBuilder::tensor_data(std::size_t tensor_index, std::uint64_t first_element,
                                     ByteView elements) {
  if (tensor_index < m_active.size() && m_active[tensor_index]) {
    m_active[tensor_index]->add(first_element, elements);
  }
}

void FingerprintBuilder::end_tensor(std::size_t tensor_index) {
  if (tensor_index >= m_active.size() || !m_active[tensor_index]) return;
  m_done[tensor_index] = m_active[tensor_index]->finish();
  m_active[tensor_index].reset();
}

Result<Fingerprint> FingerprintBuilder::finish() {
  Fingerprint fp;
  fp.params = m_params;
  for (std::size_t i = 0; i < m_plan.size(); ++i) {
    if (!m_plan[i] || m_plan[i]->skip) continue;
    if (!m_done[i]) return corruption("tensor '" + m_plan[i]->canonical_name + "' was never read");
    if (!*m_done[i]) return std::unexpected(m_done[i]->error());
    fp.tensors.push_back(std::move(**m_done[i]));
  }
  std::sort(fp.tensors.begin(), fp.tensors.end(),
            [](const TensorSketch& a, const TensorSketch& b) { return a.name < b.name; });
  fp.coverage = coverage_of(m_plan, fp.tensors);
  return fp;
}

Result<Fingerprint> fingerprint_tensors(std::span<const TensorData> tensors, SketchParams params) {
  formats::Checkpoint table;  // names, dtypes and shapes only, to canonicalize like a file
  for (const auto& t : tensors) {
    std::uint64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    if (numel * formats::dtype_size(t.dtype) != t.bytes.size()) {
      return invalid_argument("tensor '" + t.name + "': " + std::to_string(t.bytes.size()) +
                              " bytes do not match its shape and dtype");
    }
    formats::TensorInfo info;
    info.name = t.name;
    info.dtype = t.dtype;
    info.shape = t.shape;
    info.strides = formats::contiguous_strides(t.shape);
    table.tensors.push_back(std::move(info));
  }
  PD_ASSIGN_OR_RETURN(auto plan, plan_checkpoint(table));
  FingerprintBuilder builder(std::move(plan), params);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!builder.wants(i)) continue;
    builder.begin_tensor(i);
    builder.tensor_data(i, 0, tensors[i].bytes);
    builder.end_tensor(i);
  }
  return builder.finish();
}

}  // namespace pedigree::fingerprint
