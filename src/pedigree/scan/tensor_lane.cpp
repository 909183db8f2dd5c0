#include "pedigree/scan/tensor_lane.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace pedigree::scan {
namespace {

constexpr std::size_t k_scratch_bytes = 1u << 20;

// Bytes spanned by a strided view, from its first element to the end of its last.
std::uint64_t strided_span_bytes(const formats::TensorInfo& t, std::size_t element_size) {
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < t.shape.size(); ++i) last += (t.shape[i] - 1) * t.strides[i];
  return (last + 1) * element_size;
}

void swap_elements(const std::uint8_t* in, std::uint8_t* out, std::size_t bytes,
                   std::size_t element_size) {
  for (std::size_t i = 0; i < bytes; i += element_size) {
    for (std::size_t b = 0; b < element_size; ++b) out[i + b] = in[i + element_size - 1 - b];
  }
}

// Overflow-checked product of a tensor's dimensions and element size.
bool checked_nbytes(const formats::TensorInfo& t, std::size_t element_size, std::uint64_t& out) {
  std::uint64_t n = element_size;
  for (auto d : t.shape) {
    if (d != 0 && n > UINT64_MAX / d) return false;
    n *= d;
  }
  out = n;
  return true;
}

}  // namespace

Result<std::vector<TensorJob>> plan_tensor_jobs(const formats::Checkpoint& checkpoint,
                                                std::span<const std::uint64_t> source_sizes,
                                                std::span<TensorSink* const> sinks,
                                                std::uint64_t max_gather_bytes) {
  std::vector<TensorJob> jobs;
  for (std::size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    const auto& t = checkpoint.tensors[i];
    TensorJob job;
    for (auto* sink : sinks) {
      if (sink->wants(i)) job.sinks.push_back(sink);
    }
    if (job.sinks.empty()) continue;
    const std::string where = "tensor '" + t.name + "'";
    if (t.source >= source_sizes.size()) {
      return corruption(where + ": source index " + std::to_string(t.source) + " out of range");
    }
    const std::uint64_t source_size = source_sizes[t.source];
    job.tensor_index = i;
    job.source = t.source;
    job.element_size = formats::dtype_size(t.dtype);
    std::uint64_t nbytes = 0;
    if (!checked_nbytes(t, job.element_size, nbytes)) {
      return corruption(where + ": shape overflows 64 bits");
    }
    const bool swap = t.big_endian && job.element_size > 1;
    std::uint64_t span = nbytes;
    if (nbytes != 0 && !t.is_contiguous()) {
      if (t.strides.size() != t.shape.size()) {
        return corruption(where + ": " + std::to_string(t.strides.size()) + " strides for " +
                          std::to_string(t.shape.size()) + " dimensions");
      }
      span = strided_span_bytes(t, job.element_size);
      if (span > max_gather_bytes) {
        return not_supported(where + ": strided view over " + std::to_string(span) +
                             " bytes exceeds the gather limit");
      }
      job.kind = JobKind::k_gather;
      job.swap_bytes = swap;
    } else {
      job.kind = swap ? JobKind::k_swap : JobKind::k_direct;
    }
    job.begin = t.offset;
    if (t.offset > source_size || span > source_size - t.offset) {
      return corruption(where + ": bytes [" + std::to_string(t.offset) + ", +" +
                        std::to_string(span) + ") lie outside its file of " +
                        std::to_string(source_size) + " bytes");
    }
    job.end = t.offset + span;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<std::vector<TensorJob>> assign_lanes(std::vector<TensorJob> jobs, unsigned lanes) {
  lanes = std::max(1u, lanes);
  std::sort(jobs.begin(), jobs.end(), [](const TensorJob& a, const TensorJob& b) {
    return a.source != b.source ? a.source < b.source : a.begin < b.begin;
  });
  // Greedy in file order: each job goes to the lane with the fewest bytes so far,
  // which keeps lanes busy on neighbouring chunks at the same time.
  std::vector<std::vector<TensorJob>> out(lanes);
  std::vector<std::uint64_t> load(lanes, 0);
  for (auto& job : jobs) {
    auto lane = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lane] += job.end - job.begin + 1;
    out[lane].push_back(std::move(job));
  }
  std::erase_if(out, [](const auto& lane_jobs) { return lane_jobs.empty(); });
  return out;
}

TensorLane::TensorLane(std::vector<TensorJob> jobs, const formats::Checkpoint& checkpoint)
    : m_jobs(std::move(jobs)), m_states(m_jobs.size()), m_checkpoint(checkpoint) {}

void TensorLane::consume(const Chunk& chunk) {
  const std::uint64_t chunk_end = chunk.offset + chunk.size;
  auto starts_here = [&](std::size_t j) {
    return m_jobs[j].source == chunk.source && (m_jobs[j].begin < chunk_end || chunk.last);
  };
  while (m_next < m_jobs.size() && starts_here(m_next)) start(m_next++);
  std::erase_if(m_active, [&](std::size_t j) {
    const auto& job = m_jobs[j];
    const std::uint64_t lo = std::max(job.begin, chunk.offset);
    const std::uint64_t hi = std::min(job.end, chunk_end);
    if (lo < hi) feed(j, chunk.bytes().subspan(lo - chunk.offset, hi - lo));
    if (job.end > chunk_end && !chunk.last) return false;
    finish(j);
    return true;
  });
}

void TensorLane::start(std::size_t job) {
  for (auto* sink : m_jobs[job].sinks) sink->begin_tensor(m_jobs[job].tensor_index);
  m_active.push_back(job);
}

void TensorLane::feed(std::size_t job, ByteView piece) {
  auto& st = m_states[job];
  if (m_jobs[job].kind == JobKind::k_gather) {
    st.gathered.insert(st.gathered.end(), piece.begin(), piece.end());
    return;
  }
  const std::size_t es = m_jobs[job].element_size;
  std::size_t pos = 0;
  if (st.carry_len > 0) {  // complete the element split by the previous chunk boundary
    const std::size_t take = std::min(es - st.carry_len, piece.size());
    std::memcpy(st.carry + st.carry_len, piece.data(), take);
    st.carry_len += take;
    pos = take;
    if (st.carry_len < es) return;
    emit(job, {st.carry, es});
    st.carry_len = 0;
  }
  const std::size_t whole = (piece.size() - pos) / es * es;
  if (whole > 0) emit(job, piece.subspan(pos, whole));
  pos += whole;
  st.carry_len = piece.size() - pos;
  std::memcpy(st.carry, piece.data() + pos, st.carry_len);
}

void TensorLane::finish(std::size_t job) {
  if (m_jobs[job].kind == JobKind::k_gather) emit_gathered(job);
  for (auto* sink : m_jobs[job].sinks) sink->end_tensor(m_jobs[job].tensor_index);
  m_states[job] = State{};  // free a gather buffer now
}

void TensorLane::emit(std::size_t job, ByteView elements) {
  const auto& j = m_jobs[job];
  auto& st = m_states[job];
  const bool swap = j.kind == JobKind::k_swap || (j.kind == JobKind::k_gather && j.swap_bytes);
  if (!swap) {
    for (auto* sink : j.sinks) sink->tensor_data(j.tensor_index, st.next_element, elements);
    st.next_element += elements.size() / j.element_size;
    return;
  }
  if (m_scratch.empty()) m_scratch.resize(k_scratch_bytes);
  const std::size_t step = k_scratch_bytes / j.element_size * j.element_size;
  for (std::size_t pos = 0; pos < elements.size(); pos += step) {
    const std::size_t n = std::min(step, elements.size() - pos);
    swap_elements(elements.data() + pos, m_scratch.data(), n, j.element_size);
    for (auto* sink : j.sinks) {
      sink->tensor_data(j.tensor_index, st.next_element, ByteView(m_scratch.data(), n));
    }
    st.next_element += n / j.element_size;
  }
}

void TensorLane::emit_gathered(std::size_t job) {
  const auto& t = m_checkpoint.tensors[m_jobs[job].tensor_index];
  const std::size_t es = m_jobs[job].element_size;
  const std::vector<std::uint8_t> source = std::move(m_states[job].gathered);
  if (source.size() != m_jobs[job].end - m_jobs[job].begin) return;  // aborted scan
  const std::size_t dims = t.shape.size();
  std::vector<std::uint64_t> index(dims, 0);
  std::vector<std::uint8_t> out;
  out.reserve(std::min<std::uint64_t>(k_scratch_bytes, t.numel() * es));
  std::uint64_t remaining = t.numel();
  while (remaining-- > 0) {
    std::uint64_t element = 0;
    for (std::size_t d = 0; d < dims; ++d) element += index[d] * t.strides[d];
    const std::uint8_t* p = source.data() + element * es;
    out.insert(out.end(), p, p + es);
    if (out.size() + es > k_scratch_bytes || remaining == 0) {
      emit(job, out);
      out.clear();
    }
    for (std::size_t d = dims; d-- > 0;) {  // odometer over the row-major index
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace pedigree::scan
