#include "pedigree/hash/weights_hash.hpp"

#include <algorithm>

#include "pedigree/util/hex.hpp"

namespace pedigree::hash {
namespace {

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

using Keyed = std::pair<std::string, std::string>;  // (canonical name, record)

// BLAKE3( domain || 0x00 || records ordered by name bytes, then record bytes ).
std::string final_digest(std::vector<Keyed> records) {
  std::sort(records.begin(), records.end());
  Blake3 h;
  h.update(
      {reinterpret_cast<const std::uint8_t*>(k_weights_domain.data()), k_weights_domain.size()});
  const std::uint8_t zero = 0;
  h.update({&zero, 1});
  for (const auto& [name, r] : records) {
    h.update({reinterpret_cast<const std::uint8_t*>(r.data()), r.size()});
  }
  return to_hex(h.digest());
}

}  // namespace

bool is_weights_component(formats::Component component) {
  using formats::Component;
  return component == Component::k_unet || component == Component::k_text_encoder ||
         component == Component::k_vae || component == Component::k_unet_ema;
}

std::string weights_record(std::string_view canonical_name, formats::DType dtype,
                           std::span<const std::uint64_t> shape,
                           const std::array<std::uint8_t, 32>& data_digest) {
  std::string out;
  put_le(out, canonical_name.size(), 4);
  out.append(canonical_name);
  const auto dtype_text = formats::dtype_name(dtype);
  put_le(out, dtype_text.size(), 1);
  out.append(dtype_text);
  put_le(out, shape.size(), 4);
  for (auto d : shape) put_le(out, d, 8);
  out.append(reinterpret_cast<const char*>(data_digest.data()), data_digest.size());
  return out;
}

WeightsHasher::WeightsHasher(const formats::Checkpoint& checkpoint,
                             std::vector<formats::CanonicalTensor> canonical)
    : m_checkpoint(checkpoint),
      m_canonical(std::move(canonical)),
      m_running(m_canonical.size()),
      m_digests(m_canonical.size()) {}

bool WeightsHasher::wants(std::size_t tensor_index) const {
  return tensor_index < m_canonical.size() &&
         is_weights_component(m_canonical[tensor_index].component);
}

void WeightsHasher::begin_tensor(std::size_t tensor_index) {
  m_running[tensor_index] = std::make_unique<Blake3>();
}

void WeightsHasher::tensor_data(std::size_t tensor_index, std::uint64_t, ByteView elements) {
  m_running[tensor_index]->update(elements);
}

void WeightsHasher::end_tensor(std::size_t tensor_index) {
  m_digests[tensor_index] = m_running[tensor_index]->digest();
  m_running[tensor_index].reset();
}

Result<WeightsHashes> WeightsHasher::result() const {
  std::vector<Keyed> all;
  std::map<std::string, std::vector<Keyed>> by_component;
  for (std::size_t i = 0; i < m_canonical.size(); ++i) {
    const auto& c = m_canonical[i];
    if (!is_weights_component(c.component)) continue;
    auto record = weights_record(c.name, m_checkpoint.tensors[i].dtype, c.shape, m_digests[i]);
    by_component[std::string(formats::component_name(c.component))].emplace_back(c.name, record);
    all.emplace_back(c.name, std::move(record));
  }
  if (all.empty()) {
    return invalid_argument("no model tensors (UNet, text encoder, VAE or EMA UNet) to hash");
  }
  WeightsHashes out;
  out.tensor_count = all.size();
  out.weights = final_digest(std::move(all));
  for (auto& [name, records] : by_component)
    out.components[name] = final_digest(std::move(records));
  return out;
}

}  // namespace pedigree::hash
