#include "pedigree/fingerprint/units_layout.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <thread>

#include "pedigree/formats/tensor_data.hpp"

namespace pedigree::fingerprint::detail {
namespace {

constexpr std::string_view k_unet_prefix = "model.diffusion_model.";
// Larger groups are not signed (the .units format's bound; SD1.x's widest has 5,120 units,
// and matching is quadratic in a group's size).
constexpr std::uint64_t k_max_group_units = 1u << 16;

std::uint64_t product_of(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

}  // namespace

bool slice_fits(const UnitSlice& s, std::uint32_t units, std::size_t size) {
  if (s.column) return size == s.outer * units * s.inner;
  return size >= (s.row_offset + units) * s.cols;
}

std::vector<UnitGroupLayout> find_unit_groups(const std::vector<formats::CanonicalTensor>& names) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i].name, i);
  auto find = [&](const std::string& name) -> const formats::CanonicalTensor* {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &names[it->second];
  };
  auto at = [&](const std::string& name) { return index.at(name); };
  std::vector<UnitGroupLayout> groups;
  for (const auto& t : names) {
    if (!t.name.starts_with(k_unet_prefix)) continue;
    if (t.name.ends_with("ff.net.0.proj.weight") && t.shape.size() == 2) {
      const std::string prefix = t.name.substr(0, t.name.size() - 17);  // "...ff."
      const auto* down = find(prefix + "net.2.weight");
      if (!down || down->shape.size() != 2 || down->shape[1] == 0 ||
          down->shape[1] > k_max_group_units || t.shape[0] != 2 * down->shape[1])
        continue;
      const std::uint64_t hidden = down->shape[1], in = t.shape[1];
      UnitGroupLayout g{
          UnitGroupKind::k_geglu, prefix, static_cast<std::uint32_t>(hidden), {}, {}, 1, 2};
      std::vector<UnitSlice> gate{{at(t.name), false, hidden, 1, 1, in, false, false}};
      std::vector<UnitSlice> value{{at(t.name), false, 0, 1, 1, in, true, false}};
      if (const auto* bias = find(prefix + "net.0.proj.bias");
          bias && product_of(bias->shape) == 2 * hidden) {
        gate.push_back({at(bias->name), false, hidden, 1, 1, 1, false, false});
        value.push_back({at(bias->name), false, 0, 1, 1, 1, true, false});
      }
      std::vector<UnitSlice> column{{at(down->name), true, 0, down->shape[0], 1, 1, false, true}};
      g.parts = {gate, value, column};
      groups.push_back(std::move(g));
    } else if (t.name.ends_with(".to_q.weight") && t.shape.size() == 2 && t.shape[0] > 0 &&
               t.shape[0] <= k_max_group_units) {
      // Attention: q/k rows (scale a on q, 1/a on k) and v rows with to_out.0 columns.
      const std::string prefix = t.name.substr(0, t.name.size() - 11);  // "...attn1."
      const std::uint64_t inner = t.shape[0];
      const auto* k = find(prefix + "to_k.weight");
      if (k && k->shape.size() == 2 && k->shape[0] == inner) {
        UnitGroupLayout g{UnitGroupKind::k_attention_qk,
                          prefix + "qk.",
                          static_cast<std::uint32_t>(inner),
                          {},
                          {},
                          0,
                          1};
        g.parts = {{{at(t.name), false, 0, 1, 1, t.shape[1], true, false}},
                   {{at(k->name), false, 0, 1, 1, k->shape[1], false, true}}};
        groups.push_back(std::move(g));
      }
      const auto* v = find(prefix + "to_v.weight");
      const auto* out = find(prefix + "to_out.0.weight");
      if (v && out && v->shape.size() == 2 && out->shape.size() == 2 && v->shape[0] == inner &&
          out->shape[1] == inner) {
        UnitGroupLayout g{UnitGroupKind::k_attention_vo,
                          prefix + "vo.",
                          static_cast<std::uint32_t>(inner),
                          {},
                          {},
                          0,
                          1};
        g.parts = {{{at(v->name), false, 0, 1, 1, v->shape[1], true, false}},
                   {{at(out->name), true, 0, out->shape[0], 1, 1, false, true}}};
        groups.push_back(std::move(g));
      }
    } else if (t.name.ends_with("in_layers.2.weight") && t.shape.size() >= 2 && t.shape[0] > 0 &&
               t.shape[0] <= k_max_group_units) {
      const std::string prefix = t.name.substr(0, t.name.size() - 18);
      const std::uint64_t channels = t.shape[0];
      UnitGroupLayout g{
          UnitGroupKind::k_resblock, prefix, static_cast<std::uint32_t>(channels), {}, {}, 0, -1};
      std::vector<UnitSlice> conv1{
          {at(t.name), false, 0, 1, 1, product_of(t.shape) / channels, true, false}};
      for (const char* row : {"in_layers.2.bias", "emb_layers.1.weight", "emb_layers.1.bias"}) {
        const auto* r = find(prefix + row);
        if (r && !r->shape.empty() && r->shape[0] == channels)
          conv1.push_back(
              {at(r->name), false, 0, 1, 1, product_of(r->shape) / channels, true, false});
      }
      g.parts.push_back(conv1);
      if (const auto* conv2 = find(prefix + "out_layers.3.weight");
          conv2 && conv2->shape.size() >= 2 && conv2->shape[1] == channels) {
        g.parts.push_back(
            {{at(conv2->name), true, 0, conv2->shape[0],
              product_of(conv2->shape) / conv2->shape[0] / channels, 1, false, false}});
      }
      for (const char* norm : {"out_layers.0.weight", "out_layers.0.bias"}) {
        const auto* r = find(prefix + norm);
        if (r && product_of(r->shape) == channels)
          g.moved_only.push_back({at(r->name), false, 0, 1, 1, 1, false, false});
      }
      groups.push_back(std::move(g));
    }
  }
  return groups;
}

Result<TensorFloats> TensorFloats::open(const formats::Checkpoint& checkpoint) {
  TensorFloats out;
  out.m_checkpoint = &checkpoint;
  for (const auto& source : checkpoint.sources) {
    PD_ASSIGN_OR_RETURN(auto file, File::open_read(source));
    PD_ASSIGN_OR_RETURN(auto map, MappedFile::open(source));
    out.m_files.push_back(std::move(file));
    out.m_maps.push_back(std::move(map));
  }
  return out;
}

bool TensorFloats::plain(std::size_t i) const {
  const formats::TensorInfo& t = m_checkpoint->tensors[i];
  return t.is_contiguous() && !t.big_endian;
}

Result<ByteView> TensorFloats::bytes(std::size_t i, std::vector<std::uint8_t>& scratch) const {
  const formats::TensorInfo& t = m_checkpoint->tensors[i];
  if (t.source >= m_files.size()) return corruption("tensor '" + t.name + "': no such source");
  if (plain(i)) {
    const ByteView file = m_maps[t.source].bytes();
    if (t.offset > file.size() || t.nbytes() > file.size() - t.offset)
      return corruption("tensor '" + t.name + "' lies outside its file (was it truncated?)");
    return file.subspan(t.offset, t.nbytes());
  }
  PD_ASSIGN_OR_RETURN(scratch, formats::read_tensor_bytes(m_files[t.source], t));
  return ByteView(scratch.data(), scratch.size());
}

void TensorFloats::release(std::size_t i) const {
  const formats::TensorInfo& t = m_checkpoint->tensors[i];
  if (t.source < m_maps.size() && plain(i)) m_maps[t.source].drop(t.offset, t.nbytes());
}

float StoredElements::operator[](std::uint64_t i) const {
  const std::uint8_t* p = bytes.data() + i * formats::dtype_size(dtype);
  switch (dtype) {
    case formats::DType::k_f16: return formats::f16_to_float(load_le16(p));
    case formats::DType::k_bf16: return formats::bf16_to_float(load_le16(p));
    case formats::DType::k_f32: return std::bit_cast<float>(load_le32(p));
    case formats::DType::k_f8_e4m3: return formats::f8_e4m3_to_float(*p);
    case formats::DType::k_f8_e5m2: return formats::f8_e5m2_to_float(*p);
    default: {
      float value = 0;
      (void)formats::convert_to_float(dtype, ByteView(p, formats::dtype_size(dtype)),
                                      std::span<float>(&value, 1));
      return value;
    }
  }
}

Result<void> parallel_for(std::size_t count, unsigned threads,
                          const std::function<Result<void>(std::size_t, unsigned)>& body) {
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(count, 1)));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::size_t failed_at = count;
  std::optional<Error> failure;
  auto work = [&](unsigned worker) {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) {
      auto r = body(i, worker);
      if (r) continue;
      std::lock_guard lock(mutex);
      if (i < failed_at) {
        failed_at = i;
        failure = r.error();
      }
      next = count;  // stop handing out work
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  pool.clear();  // joins
  if (failure) return std::unexpected(*failure);
  return {};
}

}  // namespace pedigree::fingerprint::detail
