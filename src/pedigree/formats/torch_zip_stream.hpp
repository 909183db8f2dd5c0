// Reading a PyTorch zip checkpoint front to back, as its bytes arrive (an
// HTTP upload), without seeking and without keeping it.
//
// parse_torch_zip reads the central directory at the end of the file first.
// A stream cannot: it sees local headers in order. PyTorch's writer puts
// <dir>/data.pkl first, then (torch 2.x) <dir>/byteorder, then one stored
// entry per storage in the sorted order of their keys, then <dir>/version,
// each entry's sizes in a data descriptor after its data (zip flag bit 3).
// So once data.pkl has arrived the tensor table is known, and the storages'
// bytes can be handed on as they pass: the plan's tensor offsets refer to
// the *payload*, the storages concatenated in the order they are written.
//
// Everything a file reader would check is checked here too, in stream order,
// and at the end the central directory must describe exactly the entries the
// stream showed (same names, offsets, sizes, CRCs), so an archive whose local
// headers tell a different story from its directory (which torch.load
// follows) is refused. An archive laid out otherwise (storages out of order,
// data.pkl not first, deflated entries) is NotSupported, never misread:
// read the file where it is stored instead.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/formats/torch_pickle.hpp"
#include "pedigree/formats/zip.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// Largest data.pkl (and any other non-storage entry) held while it arrives.
inline constexpr std::uint64_t k_torch_stream_max_record = 64ull << 20;
// Largest central directory held at the end (1,000,000 entries would need more).
inline constexpr std::uint64_t k_torch_stream_max_directory = 64ull << 20;

class TorchZipStream {
public:
  // Receives the payload: the bytes of every storage, in the order written.
  using PayloadSink = std::function<Result<void>(ByteView)>;

  // `file_size` is the number of bytes that will be fed.
  explicit TorchZipStream(std::uint64_t file_size);

  // Feeds the next bytes of the file. Returns how many were consumed: all
  // of them, except when the plan becomes ready inside `bytes` (feed the
  // rest in another call, typically after starting the payload's consumer).
  // Storage bytes go to `payload` (which may be empty only while plan() is
  // not ready: no storage byte comes before it). After an error the stream
  // is finished; feed nothing more.
  Result<std::size_t> feed(ByteView bytes, const PayloadSink& payload);

  // The tensor table, once data.pkl (and whatever precedes the first
  // storage) has arrived: format k_torch_zip, tensor offsets into the
  // payload (source 0), source_sizes = {payload_size()}; sources empty.
  const Checkpoint* plan() const { return m_plan ? &*m_plan : nullptr; }
  std::uint64_t payload_size() const { return m_payload_size; }

  // Ends the stream: every byte fed, every storage seen whole, a valid
  // version record, and a central directory that agrees with the local
  // headers. Corruption or NotSupported otherwise.
  Result<void> finish();

private:
  enum class State : std::uint8_t {
    k_signature,   // the next 4 bytes: a local header or the central directory
    k_header,      // the rest of a local header
    k_data,        // an entry's data
    k_descriptor,  // the data descriptor after it
    k_directory,   // the central directory and end records, held for finish()
    k_failed,
  };
  enum class Role : std::uint8_t { k_pickle, k_storage, k_byteorder, k_version, k_other };

  // An entry as the stream showed it.
  struct Seen {
    std::string name;
    std::uint16_t method = 0;
    std::uint64_t header_offset = 0;
    std::uint64_t size = 0;
    std::uint32_t crc32 = 0;
    // CRC-32 of the bytes read for a record the stream interprets (pickle,
    // version, byteorder): the file reader checks those, so the stream must too.
    std::optional<std::uint32_t> content_crc32;
    std::uint64_t data_offset = 0;
  };

  Result<void> on_header(std::uint64_t header_offset);
  Result<void> on_entry_data_end();
  static Result<void> check_record_crc(const Seen& seen);
  std::unexpected<Error> descriptor_crc_error() const;
  Result<void> on_record(Role role, ByteView bytes);
  Result<void> make_plan();
  Result<std::size_t> step(ByteView bytes, const PayloadSink& payload);

  std::uint64_t m_file_size;
  std::uint64_t m_offset = 0;  // bytes consumed so far
  State m_state = State::k_signature;
  std::vector<std::uint8_t> m_buf;  // a header, a record or a descriptor being gathered

  // The current entry.
  ZipLocalHeader m_header;
  Role m_role = Role::k_other;
  std::optional<std::uint64_t> m_length;  // known data length (else: found by its descriptor)
  std::uint64_t m_data_done = 0;
  // A descriptor whose sizes fit the entry but whose CRC-32 does not: the
  // scan goes on (data may hold such bytes), and if no other descriptor is
  // found, this is the error worth reporting.
  bool m_descriptor_crc_failed = false;
  bool m_descriptor_zip64 = false;  // its data descriptor has 8-byte sizes

  std::string m_dir;  // <dir> of <dir>/data.pkl
  std::optional<torch::TorchObject> m_object;
  std::vector<std::string> m_order;  // storage keys in the order they must arrive
  std::size_t m_next_storage = 0;
  std::optional<bool> m_big_endian;
  bool m_version_seen = false;
  std::optional<Checkpoint> m_plan;
  std::uint64_t m_payload_size = 0;

  std::vector<Seen> m_seen;
  std::uint64_t m_directory_offset = 0;
};

}  // namespace pedigree::formats
