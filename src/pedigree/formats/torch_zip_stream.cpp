#include "pedigree/formats/torch_zip_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <unordered_map>

#include "pedigree/formats/torch_zip.hpp"

namespace pedigree::formats {
namespace {

constexpr std::uint16_t k_zip64_extra_id = 0x0001;
constexpr std::string_view k_cannot_follow =
    ": this archive is not laid out as PyTorch writes it and cannot be read as it arrives";

std::uint32_t crc_of(ByteView bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: records are bounded by k_torch_stream_max_record.
  crc = crc32(crc, bytes.data(), static_cast<uInt>(bytes.size()));
  return static_cast<std::uint32_t>(crc);
}

// Whether the local header's extra field holds a ZIP64 record: its data
// descriptor then carries 8-byte sizes (APPNOTE 4.3.9.1).
bool has_zip64_extra(ByteView header, std::size_t name_len) {
  ByteView extra = header.subspan(k_zip_local_header_fixed + name_len);
  while (extra.size() >= 4) {
    const std::uint16_t id = load_le16(extra.data());
    const std::size_t size = load_le16(extra.data() + 2);
    if (id == k_zip64_extra_id) return true;
    if (size > extra.size() - 4) return false;
    extra = extra.subspan(4 + size);
  }
  return false;
}

// The descriptor after an entry's data: signature (optional), CRC-32, sizes.
struct Descriptor {
  std::uint32_t crc32 = 0;
  std::uint64_t compressed = 0;
  std::uint64_t uncompressed = 0;
};

Descriptor read_descriptor(const std::uint8_t* fields, bool zip64) {
  Descriptor d;
  d.crc32 = load_le32(fields);
  d.compressed = zip64 ? load_le64(fields + 4) : load_le32(fields + 4);
  d.uncompressed = zip64 ? load_le64(fields + 12) : load_le32(fields + 8);
  return d;
}

}  // namespace

TorchZipStream::TorchZipStream(std::uint64_t file_size) : m_file_size(file_size) {}

Result<std::size_t> TorchZipStream::feed(ByteView bytes, const PayloadSink& payload) {
  if (m_state == State::k_failed) return invalid_argument("torch zip stream already failed");
  if (bytes.size() > m_file_size - m_offset)
    return invalid_argument("torch zip stream: more than the declared " +
                            std::to_string(m_file_size) + " bytes");
  const bool had_plan = m_plan.has_value();
  std::size_t used = 0;
  while (used < bytes.size()) {
    auto n = step(bytes.subspan(used), payload);
    if (!n) {
      m_state = State::k_failed;
      return std::unexpected(n.error());
    }
    used += *n;
    m_offset += *n;
    if (!had_plan && m_plan) break;
  }
  return used;
}

Result<std::size_t> TorchZipStream::step(ByteView bytes, const PayloadSink& payload) {
  const bool zip64_descriptor = m_descriptor_zip64;
  switch (m_state) {
    case State::k_signature: {
      const std::size_t take = std::min<std::size_t>(4 - m_buf.size(), bytes.size());
      m_buf.insert(m_buf.end(), bytes.begin(), bytes.begin() + take);
      if (m_buf.size() < 4) return take;
      const std::uint32_t sig = load_le32(m_buf.data());
      const std::uint64_t where = m_offset + take - 4;
      if (sig == k_zip_local_signature) {
        m_state = State::k_header;
      } else if (sig == k_zip_central_signature && !m_seen.empty()) {
        if (!m_object)
          return corruption("zip archive has no <dir>/data.pkl entry" + at_offset(where));
        if (!m_plan) PD_TRY(make_plan());
        m_state = State::k_directory;
        m_directory_offset = where;
      } else {
        return corruption("bytes" + at_offset(where) +
                          " are neither a zip local header nor the central directory");
      }
      return take;
    }
    case State::k_header: {
      std::size_t take = 0;
      if (m_buf.size() < k_zip_local_header_fixed) {
        take = std::min<std::size_t>(k_zip_local_header_fixed - m_buf.size(), bytes.size());
        m_buf.insert(m_buf.end(), bytes.begin(), bytes.begin() + take);
        if (m_buf.size() < k_zip_local_header_fixed) return take;
      }
      const std::uint64_t header_offset = m_offset + take - m_buf.size();
      PD_ASSIGN_OR_RETURN(
          auto want, zip_local_header_length(ByteView(m_buf.data(), m_buf.size()), header_offset));
      const std::size_t more = std::min<std::size_t>(want - m_buf.size(), bytes.size() - take);
      m_buf.insert(m_buf.end(), bytes.begin() + take, bytes.begin() + take + more);
      take += more;
      if (m_buf.size() < want) return take;
      PD_TRY(on_header(header_offset));
      return take;
    }
    case State::k_data: {
      if (m_length) {
        const std::uint64_t left = *m_length - m_data_done;
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes.size()));
        const ByteView piece = bytes.first(take);
        if (m_role == Role::k_storage) {
          PD_TRY(payload(piece));
        } else if (m_role != Role::k_other) {
          m_buf.insert(m_buf.end(), piece.begin(), piece.end());
        }
        m_data_done += take;
        if (m_data_done == *m_length) PD_TRY(on_entry_data_end());
        return take;
      }
      // Length unknown until a descriptor is found after the data: hold the
      // bytes and look for a descriptor that completes within the new ones.
      const std::size_t dl = zip64_descriptor ? 24 : 16;
      const std::size_t old_size = m_buf.size();
      const std::size_t room = static_cast<std::size_t>(k_torch_stream_max_record + dl) - old_size;
      const std::size_t take = std::min(room, bytes.size());
      m_buf.insert(m_buf.end(), bytes.begin(), bytes.begin() + take);
      const std::size_t lowest = old_size >= dl ? old_size - dl + 1 : 0;
      for (std::size_t p = lowest; p + dl <= m_buf.size(); ++p) {
        if (load_le32(m_buf.data() + p) != k_zip_descriptor_signature) continue;
        const Descriptor d = read_descriptor(m_buf.data() + p + 4, zip64_descriptor);
        if (d.compressed != p || d.uncompressed != p) continue;
        if (d.crc32 != crc_of(ByteView(m_buf.data(), p))) {
          m_descriptor_crc_failed = true;
          continue;
        }
        const std::size_t used = p + dl - old_size;
        m_buf.resize(p);
        m_data_done = p;
        m_length = p;
        m_descriptor_crc_failed = false;
        m_seen.back().crc32 = d.crc32;
        PD_TRY(on_entry_data_end());
        m_state = State::k_signature;  // the descriptor is consumed already
        m_buf.clear();
        return used;
      }
      if (m_buf.size() >= k_torch_stream_max_record + dl) {
        if (m_descriptor_crc_failed) return descriptor_crc_error();
        return not_supported("zip entry '" + m_header.name + "' has no data descriptor within " +
                             std::to_string(k_torch_stream_max_record) + " bytes" +
                             std::string(k_cannot_follow));
      }
      return take;
    }
    case State::k_descriptor: {
      // Signature (optional in the APPNOTE), CRC-32, compressed and uncompressed size.
      std::size_t take = 0;
      if (m_buf.size() < 4) {
        take = std::min<std::size_t>(4 - m_buf.size(), bytes.size());
        m_buf.insert(m_buf.end(), bytes.begin(), bytes.begin() + take);
        if (m_buf.size() < 4) return take;
      }
      const bool signed_descriptor = load_le32(m_buf.data()) == k_zip_descriptor_signature;
      const std::size_t want = (zip64_descriptor ? 20 : 12) + (signed_descriptor ? 4 : 0);
      const std::size_t more = std::min<std::size_t>(want - m_buf.size(), bytes.size() - take);
      m_buf.insert(m_buf.end(), bytes.begin() + take, bytes.begin() + take + more);
      take += more;
      if (m_buf.size() < want) return take;
      const Descriptor d =
          read_descriptor(m_buf.data() + (signed_descriptor ? 4 : 0), zip64_descriptor);
      if (d.compressed != *m_length || d.uncompressed != *m_length)
        return corruption("zip data descriptor of '" + m_header.name + "'" +
                          at_offset(m_offset + take - m_buf.size()) + " gives size " +
                          std::to_string(d.compressed) + ", not the " + std::to_string(*m_length) +
                          " bytes its entry holds");
      m_seen.back().crc32 = d.crc32;
      PD_TRY(check_record_crc(m_seen.back()));
      m_buf.clear();
      m_state = State::k_signature;
      return take;
    }
    case State::k_directory: {
      if (bytes.size() > k_torch_stream_max_directory - m_buf.size())
        return not_supported("zip central directory" + at_offset(m_directory_offset) + " is over " +
                             std::to_string(k_torch_stream_max_directory) + " bytes" +
                             std::string(k_cannot_follow));
      m_buf.insert(m_buf.end(), bytes.begin(), bytes.end());
      return bytes.size();
    }
    case State::k_failed: break;
  }
  return internal_error("torch zip stream: no state");
}

Result<void> TorchZipStream::on_header(std::uint64_t header_offset) {
  PD_ASSIGN_OR_RETURN(m_header,
                      parse_zip_local_header(ByteView(m_buf.data(), m_buf.size()), header_offset));
  const std::string& name = m_header.name;
  m_descriptor_zip64 = has_zip64_extra(ByteView(m_buf.data(), m_buf.size()), name.size());
  m_buf.clear();
  if ((m_header.flags & 0x0041) != 0)
    return not_supported("zip entry '" + name + "' is encrypted" + at_offset(header_offset));
  for (const auto& seen : m_seen)
    if (seen.name == name) return corruption("duplicate zip entry name '" + name + "'");
  if (m_header.method != static_cast<std::uint16_t>(ZipMethod::k_stored))
    return not_supported("zip entry '" + name + "' is compressed" + std::string(k_cannot_follow));

  const auto slash = name.find('/');
  const bool is_pickle = slash != std::string::npos && name.substr(slash + 1) == "data.pkl";
  m_length.reset();
  if (!m_header.has_data_descriptor()) {
    // A stored entry's two sizes are one; the file reader holds both to the
    // central directory, so a header whose sizes differ is refused here too.
    if (m_header.compressed_size != m_header.uncompressed_size)
      return corruption("zip local header of '" + name + "'" + at_offset(header_offset) +
                        " gives " + std::to_string(m_header.compressed_size) +
                        " stored bytes but " + std::to_string(m_header.uncompressed_size) +
                        " uncompressed");
    m_length = m_header.compressed_size;
  }
  if (m_seen.empty()) {
    if (!is_pickle)
      return not_supported("the first zip entry is '" + name + "', not <dir>/data.pkl" +
                           std::string(k_cannot_follow));
    m_dir = name.substr(0, slash);
    m_role = Role::k_pickle;
  } else if (is_pickle) {
    return corruption("torch zip has two object pickles ('" + m_dir + "/data.pkl', '" + name +
                      "')");
  } else if (const std::string prefix = m_dir + "/data/";
             name.starts_with(prefix) && m_object &&
             m_object->storages.contains(name.substr(prefix.size()))) {
    m_role = Role::k_storage;
    const std::string key = name.substr(prefix.size());
    if (!m_plan) PD_TRY(make_plan());
    if (m_next_storage >= m_order.size() || m_order[m_next_storage] != key)
      return not_supported("storage '" + key + "' arrives" + at_offset(header_offset) +
                           " before '" +
                           (m_next_storage < m_order.size() ? m_order[m_next_storage] : "") + "'" +
                           std::string(k_cannot_follow));
    const auto& decl = m_object->storages.at(key);
    const std::uint64_t want = decl.numel * dtype_size(decl.dtype);
    if (m_length && *m_length != want)
      return corruption(name + ": storage holds " + std::to_string(*m_length) + " bytes but its " +
                        std::to_string(decl.numel) + " " + std::string(dtype_name(decl.dtype)) +
                        " elements need " + std::to_string(want) + at_offset(m_header.data_offset));
    m_length = want;
  } else if (name == m_dir + "/byteorder") {
    m_role = Role::k_byteorder;
  } else if (name == m_dir + "/version" || name == m_dir + "/.data/version") {
    m_role = Role::k_version;
  } else {
    m_role = Role::k_other;
  }
  if (m_length && m_role != Role::k_storage && m_role != Role::k_other &&
      *m_length > k_torch_stream_max_record)
    return not_supported("zip entry '" + name + "' is " + std::to_string(*m_length) +
                         " bytes, more than " + std::to_string(k_torch_stream_max_record) +
                         std::string(k_cannot_follow));
  m_seen.push_back({name, m_header.method, header_offset, m_length.value_or(0), m_header.crc32,
                    std::nullopt, m_header.data_offset});
  m_data_done = 0;
  m_state = State::k_data;
  if (m_length && *m_length == 0) return on_entry_data_end();
  return {};
}

Result<void> TorchZipStream::on_entry_data_end() {
  Seen& seen = m_seen.back();
  seen.size = *m_length;
  const ByteView record(m_buf.data(), m_buf.size());
  if (m_role != Role::k_storage && m_role != Role::k_other) {
    seen.content_crc32 = crc_of(record);
    // Without a descriptor the local header's CRC is final; with one, the
    // descriptor is checked when it arrives.
    if (!m_header.has_data_descriptor()) PD_TRY(check_record_crc(seen));
  }
  switch (m_role) {
    case Role::k_pickle: {
      PD_ASSIGN_OR_RETURN(auto parsed,
                          torch::parse_checked_pickle(record, m_header.data_offset, seen.name));
      PD_ASSIGN_OR_RETURN(auto object, torch::read_torch_object(parsed, seen.name));
      m_order.clear();
      for (const auto& [key, decl] : object.storages) m_order.push_back(key);  // sorted, as torch
      m_object = std::move(object);
      break;
    }
    case Role::k_byteorder: {
      PD_ASSIGN_OR_RETURN(bool big, torch_byteorder_is_big(as_string_view(record), seen.name));
      if (m_plan && big != m_big_endian.value_or(false))
        return not_supported(seen.name + " comes after the storages" +
                             std::string(k_cannot_follow));
      m_big_endian = big;
      break;
    }
    case Role::k_version:
      PD_TRY(check_torch_version_record(as_string_view(record), seen.name));
      m_version_seen = true;
      break;
    case Role::k_storage: ++m_next_storage; break;
    case Role::k_other: break;
  }
  m_buf.clear();
  m_state = m_header.has_data_descriptor() ? State::k_descriptor : State::k_signature;
  return {};
}

Result<void> TorchZipStream::check_record_crc(const Seen& seen) {
  if (seen.content_crc32 && *seen.content_crc32 != seen.crc32)
    return corruption("zip entry '" + seen.name + "' fails its CRC-32 check" +
                      at_offset(seen.data_offset));
  return {};
}

std::unexpected<Error> TorchZipStream::descriptor_crc_error() const {
  return corruption("zip entry '" + m_header.name + "' fails its CRC-32 check" +
                    at_offset(m_header.data_offset) +
                    ": no data descriptor after it matches its bytes");
}

Result<void> TorchZipStream::make_plan() {
  std::map<std::string, std::uint64_t> begins;
  std::uint64_t at_byte = 0;
  for (const auto& key : m_order) {
    begins[key] = at_byte;
    const auto& decl = m_object->storages.at(key);
    at_byte += decl.numel * dtype_size(decl.dtype);
  }
  Checkpoint plan;
  plan.format = Format::k_torch_zip;
  torch::TorchObject object = *m_object;  // the storages stay for the size checks
  PD_TRY(torch::place_tensors(std::move(object), begins, m_big_endian.value_or(false), plan));
  plan.source_sizes = {at_byte};
  m_payload_size = at_byte;
  m_plan = std::move(plan);
  return {};
}

Result<void> TorchZipStream::finish() {
  if (m_state == State::k_failed) return invalid_argument("torch zip stream already failed");
  const bool inside_unsized_entry = m_state == State::k_data && !m_length;
  m_state = State::k_failed;  // whatever happens, nothing more
  if (inside_unsized_entry && m_descriptor_crc_failed) return descriptor_crc_error();
  if (m_offset != m_file_size)
    return corruption("torch zip stream ended after " + std::to_string(m_offset) + " of " +
                      std::to_string(m_file_size) + " bytes");
  if (m_seen.empty() || !m_object || !m_plan)
    return corruption("zip archive ends before its <dir>/data.pkl was read");
  if (m_directory_offset == 0 || m_buf.empty())
    return corruption("zip archive ends inside '" + m_seen.back().name +
                      "' (no central directory)");
  PD_ASSIGN_OR_RETURN(
      auto archive, parse_zip_directory(ByteView(m_buf.data(), m_buf.size()), m_directory_offset));
  std::unordered_map<std::uint64_t, const Seen*> by_offset;
  for (const auto& seen : m_seen) by_offset[seen.header_offset] = &seen;
  if (archive.entries.size() != m_seen.size())
    return corruption("the zip central directory lists " + std::to_string(archive.entries.size()) +
                      " entries, the archive holds " + std::to_string(m_seen.size()));
  for (const auto& entry : archive.entries) {
    auto it = by_offset.find(entry.header_offset);
    const Seen* seen = it == by_offset.end() ? nullptr : it->second;
    if (seen == nullptr || seen->name != entry.name ||
        seen->method != static_cast<std::uint16_t>(entry.method) ||
        entry.compressed_size != seen->size || entry.uncompressed_size != seen->size ||
        entry.crc32 != seen->crc32)
      return corruption("the zip central directory's entry '" + entry.name + "'" +
                        at_offset(entry.header_offset) +
                        " disagrees with the archive's local headers");
  }
  if (m_next_storage != m_order.size())
    return corruption("torch zip has no entry " + m_dir + "/data/" + m_order[m_next_storage] +
                      " for storage '" + m_order[m_next_storage] + "'");
  if (!m_version_seen) return corruption("torch zip has no " + m_dir + "/version entry");
  return {};
}

}  // namespace pedigree::formats
