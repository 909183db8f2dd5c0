#include "pedigree/formats/torch_legacy.hpp"

#include <map>
#include <set>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/torch_pickle.hpp"

namespace pedigree::formats {
namespace {

using pickle::Kind;

// pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2): PROTO 2, LONG1 10 bytes (LE), STOP.
constexpr std::uint8_t k_magic_pickle[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                           0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
constexpr std::string_view k_magic_text = "0x1950a86a20f9469cfc6c";
constexpr std::int64_t k_protocol_version = 1001;

// Interprets the next pickle at `offset`; returns it and advances `offset` past its STOP.
Result<pickle::Pickle> next_pickle(ByteView file, std::uint64_t& offset, std::string_view what) {
  if (offset >= file.size())
    return corruption(std::string(what) + " is missing" + at_offset(offset));
  PD_ASSIGN_OR_RETURN(auto p, torch::parse_checked_pickle(file.subspan(offset), offset, what));
  offset = p.end_offset;
  return p;
}

Result<bool> read_little_endian(const pickle::Pickle& info, std::uint64_t offset) {
  const auto& root = info.at(info.root);
  if (root.kind != Kind::k_dict)
    return corruption("legacy sys_info is not a dict" + at_offset(offset));
  for (std::size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const auto& k = info.at(root.items[i]);
    const auto& v = info.at(root.items[i + 1]);
    if (k.kind == Kind::k_string && k.text == "little_endian") {
      if (v.kind != Kind::k_bool) return corruption("legacy sys_info little_endian is not a bool");
      return v.boolean;
    }
  }
  return true;  // torch always writes it; absent means the common case
}

Result<std::vector<std::string>> read_keys(const pickle::Pickle& keys, std::uint64_t offset) {
  const auto& root = keys.at(keys.root);
  if (root.kind != Kind::k_list) {
    return corruption("legacy storage key list is not a list" + at_offset(offset));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto id : root.items) {
    const auto& k = keys.at(id);
    if (k.kind != Kind::k_string)
      return corruption("legacy storage key is not a string" + at_offset(offset));
    if (!seen.insert(k.text).second) {
      return corruption("legacy storage key '" + k.text + "' is listed twice" + at_offset(offset));
    }
    out.push_back(k.text);
  }
  return out;
}

}  // namespace

bool looks_like_torch_legacy(ByteView file) {
  return file.size() >= sizeof k_magic_pickle &&
         std::equal(std::begin(k_magic_pickle), std::end(k_magic_pickle), file.begin());
}

Result<Checkpoint> parse_torch_legacy(ByteView file) {
  std::uint64_t offset = 0;
  PD_ASSIGN_OR_RETURN(auto magic, next_pickle(file, offset, "legacy magic number"));
  const auto& m = magic.at(magic.root);
  if (m.kind != Kind::k_big_int || m.text != k_magic_text) {
    return corruption("not a legacy PyTorch checkpoint: the first pickle is not the magic number");
  }
  const std::uint64_t version_at = offset;
  PD_ASSIGN_OR_RETURN(auto version, next_pickle(file, offset, "legacy protocol version"));
  const auto& v = version.at(version.root);
  if (v.kind != Kind::k_int)
    return corruption("legacy protocol version is not an integer" + at_offset(version_at));
  if (v.integer != k_protocol_version) {
    return not_supported("legacy PyTorch protocol version " + std::to_string(v.integer) +
                         " is not supported (only 1001)");
  }
  const std::uint64_t info_at = offset;
  PD_ASSIGN_OR_RETURN(auto info, next_pickle(file, offset, "legacy sys_info"));
  PD_ASSIGN_OR_RETURN(bool little, read_little_endian(info, info_at));
  PD_ASSIGN_OR_RETURN(auto object_pickle, next_pickle(file, offset, "legacy object pickle"));
  PD_ASSIGN_OR_RETURN(auto object, torch::read_torch_object(object_pickle, "legacy object pickle"));
  const std::uint64_t keys_at = offset;
  PD_ASSIGN_OR_RETURN(auto keys_pickle, next_pickle(file, offset, "legacy storage key list"));
  PD_ASSIGN_OR_RETURN(auto keys, read_keys(keys_pickle, keys_at));

  std::map<std::string, std::uint64_t> begins;
  ByteReader r(file.subspan(offset), offset);
  for (const auto& key : keys) {
    auto decl = object.storages.find(key);
    if (decl == object.storages.end()) {
      return corruption("legacy storage key '" + key + "' names no storage of the object" +
                        at_offset(keys_at));
    }
    const std::uint64_t count_at = r.file_offset();
    PD_ASSIGN_OR_RETURN(auto raw, r.read_le64("legacy storage '" + key + "' element count"));
    const std::uint64_t count = little ? raw : __builtin_bswap64(raw);
    if (count != decl->second.numel) {
      return corruption("legacy storage '" + key + "' holds " + std::to_string(count) +
                        " elements but the object declares " + std::to_string(decl->second.numel) +
                        at_offset(count_at));
    }
    const std::uint64_t bytes = count * dtype_size(decl->second.dtype);
    begins[key] = r.file_offset();
    if (bytes > r.remaining()) {
      return corruption("legacy storage '" + key + "' needs " + std::to_string(bytes) + " bytes" +
                        at_offset(r.file_offset()) + " but the file has " +
                        std::to_string(r.remaining()) + " left");
    }
    PD_TRY(r.skip(static_cast<std::size_t>(bytes), "legacy storage data"));
  }
  for (const auto& [key, decl] : object.storages) {
    if (!begins.contains(key)) {
      return corruption("legacy storage '" + key + "' is used but missing from the key list" +
                        at_offset(keys_at));
    }
  }
  Checkpoint checkpoint;
  checkpoint.format = Format::k_torch_legacy;
  PD_TRY(torch::place_tensors(std::move(object), begins, !little, checkpoint));
  return checkpoint;
}

}  // namespace pedigree::formats
