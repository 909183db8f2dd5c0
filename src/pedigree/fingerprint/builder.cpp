#include "pedigree/fingerprint/builder.hpp"

#include <algorithm>
#include <map>

#include "pedigree/fingerprint/sketcher.hpp"
#include "pedigree/formats/names.hpp"

namespace pedigree::fingerprint {
namespace {

std::optional<TensorPlan> plan_tensor(const formats::CanonicalTensor& canonical,
                                      formats::DType dtype) {
  if (!detail::sketchable_dtype(dtype)) return std::nullopt;
  auto placement = place_tensor(canonical.name);
  if (!placement) return std::nullopt;
  return TensorPlan{canonical.name, *placement, dtype, canonical.shape};
}

Result<void> check_unique(const std::vector<std::optional<TensorPlan>>& plan) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i]) continue;
    if (!seen.emplace(plan[i]->canonical_name, i).second) {
      return corruption("two tensors have the canonical name '" + plan[i]->canonical_name + "'");
    }
  }
  return {};
}

}  // namespace

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

FingerprintBuilder::FingerprintBuilder(std::vector<std::optional<TensorPlan>> plan,
                                       SketchParams params)
    : m_plan(std::move(plan)), m_params(params), m_active(m_plan.size()), m_done(m_plan.size()) {}

FingerprintBuilder::~FingerprintBuilder() = default;

bool FingerprintBuilder::wants(std::size_t tensor_index) const {
  return tensor_index < m_plan.size() && m_plan[tensor_index].has_value();
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
    if (!m_plan[i]) continue;
    if (!m_done[i]) return corruption("tensor '" + m_plan[i]->canonical_name + "' was never read");
    if (!*m_done[i]) return std::unexpected(m_done[i]->error());
    fp.tensors.push_back(std::move(**m_done[i]));
  }
  std::sort(fp.tensors.begin(), fp.tensors.end(),
            [](const TensorSketch& a, const TensorSketch& b) { return a.name < b.name; });
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
