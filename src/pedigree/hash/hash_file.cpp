#include "pedigree/hash/hash_file.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "pedigree/formats/names.hpp"
#include "pedigree/hash/crc32.hpp"
#include "pedigree/hash/file_hashes.hpp"
#include "pedigree/hash/weights_hash.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::hash {
namespace {

// The byte sinks one regular file needs, and where their results go.
struct FileSinks {
  std::unique_ptr<RangeSha256Sink> sha256, autov1, autov3;
  std::unique_ptr<Crc32Sink> crc32;
  std::unique_ptr<Blake3Sink> blake3;

  std::vector<scan::ByteSink*> list() const {
    std::vector<scan::ByteSink*> out;
    for (scan::ByteSink* s : std::initializer_list<scan::ByteSink*>{
             sha256.get(), autov1.get(), autov3.get(), crc32.get(), blake3.get()}) {
      if (s != nullptr) out.push_back(s);
    }
    return out;
  }
};

FileSinks make_file_sinks(unsigned sets, std::uint64_t size, const formats::Checkpoint* ck) {
  FileSinks s;
  if (sets & k_set_sha256) s.sha256 = std::make_unique<RangeSha256Sink>(0, UINT64_MAX);
  if ((sets & k_set_autov1) && size >= k_autov1_min_size) {
    s.autov1 =
        std::make_unique<RangeSha256Sink>(k_autov1_offset, k_autov1_offset + k_autov1_length);
  }
  if ((sets & k_set_autov3) && ck != nullptr && ck->format == formats::Format::k_safetensors &&
      ck->data_start) {
    s.autov3 = std::make_unique<RangeSha256Sink>(*ck->data_start, UINT64_MAX);
  }
  if (sets & k_set_crc32) s.crc32 = std::make_unique<Crc32Sink>();
  if (sets & k_set_blake3) s.blake3 = std::make_unique<Blake3Sink>();
  return s;
}

void collect_file_hashes(const FileSinks& s, ModelHashes& out) {
  if (s.sha256) {
    out.sha256 = s.sha256->hex();
    out.autov2 = out.sha256->substr(0, 10);
  }
  if (s.autov1) out.autov1 = s.autov1->hex().substr(0, 8);
  if (s.autov3) out.autov3 = s.autov3->hex();
  if (s.crc32) {
    out.crc32 = crc32_hex(s.crc32->value());
    out.crc32_civitai = crc32_civitai_hex(s.crc32->value());
  }
  if (s.blake3) out.blake3 = s.blake3->hex();
}

}  // namespace

Result<ModelHashes> hash_checkpoint(const std::string& display, const std::filesystem::path& path,
                                    const formats::Checkpoint* checkpoint,
                                    const std::optional<Error>& why_not,
                                    const HashOptions& options) {
  ModelHashes out;
  out.file = display;
  out.computed = options.sets;
  PD_ASSIGN_OR_RETURN(FileStat st, stat_file(path));
  const bool folder = st.is_directory;
  if (!folder && !st.is_regular) {  // a FIFO or device would block or never end
    return invalid_argument(path.string() + ": not a regular file or folder");
  }
  if (folder && checkpoint == nullptr) {
    return why_not ? std::unexpected(*why_not)
                   : invalid_argument(path.string() + ": is a directory, not a diffusers model");
  }
  if (checkpoint != nullptr) out.format = std::string(formats::format_name(checkpoint->format));
  if (folder) {
    out.size = 0;
    for (auto s : checkpoint->source_sizes) out.size += s;
  } else {
    out.size = st.size;
  }

  FileSinks file_sinks = folder ? FileSinks{} : make_file_sinks(options.sets, st.size, checkpoint);
  std::unique_ptr<WeightsHasher> weights;
  if ((options.sets & k_set_weights) && checkpoint != nullptr) {
    weights = std::make_unique<WeightsHasher>(*checkpoint, formats::canonicalize(*checkpoint));
  } else if (options.sets & k_set_weights) {
    out.weights_error = why_not.value_or(Error(ErrorCode::k_invalid_argument, "not a checkpoint"));
  }
  const auto byte_sinks = file_sinks.list();
  std::vector<scan::TensorSink*> tensor_sinks;
  if (weights) tensor_sinks.push_back(weights.get());
  if (checkpoint != nullptr)
    tensor_sinks.insert(tensor_sinks.end(), options.extra_tensor_sinks.begin(),
                        options.extra_tensor_sinks.end());
  if (checkpoint != nullptr) {
    PD_TRY(scan::scan_checkpoint(*checkpoint, byte_sinks, tensor_sinks, options.scan));
  } else {
    PD_TRY(scan::scan_file(path, byte_sinks, options.scan));
  }
  collect_file_hashes(file_sinks, out);
  if (weights) {
    auto result = weights->result();
    if (result) {
      out.weights = result->weights;
      out.components = result->components;
    } else {
      out.weights_error = result.error().with_context(display);
    }
  }
  return out;
}

struct StreamHasher::State {
  formats::Checkpoint table;  // the weights hasher points into it
  ModelHashes out;
  FileSinks file_sinks;
  std::unique_ptr<WeightsHasher> weights;
  std::unique_ptr<scan::StreamScan> scan;
  std::unique_ptr<scan::StreamScan> payload;  // start_with_payload: the tensors' stream
};

StreamHasher::StreamHasher(std::unique_ptr<State> state) : m_state(std::move(state)) {}
StreamHasher::~StreamHasher() = default;

Result<std::unique_ptr<StreamHasher>> StreamHasher::start(std::string display, std::uint64_t size,
                                                          const formats::Checkpoint* checkpoint,
                                                          const std::optional<Error>& why_not,
                                                          const HashOptions& options) {
  auto st = std::make_unique<State>();
  st->out.file = display;
  st->out.size = size;
  st->out.computed = options.sets;
  if (checkpoint != nullptr) st->out.format = std::string(formats::format_name(checkpoint->format));
  st->file_sinks = make_file_sinks(options.sets, size, checkpoint);
  formats::Checkpoint& table = st->table;
  if (checkpoint != nullptr) table = *checkpoint;
  table.sources = {std::filesystem::path(display)};
  table.source_sizes = {size};
  for (auto& t : table.tensors) t.source = 0;
  if ((options.sets & k_set_weights) && checkpoint != nullptr) {
    st->weights = std::make_unique<WeightsHasher>(table, formats::canonicalize(table));
  } else if (options.sets & k_set_weights) {
    st->out.weights_error =
        why_not.value_or(Error(ErrorCode::k_invalid_argument, "not a checkpoint"));
  }
  std::vector<scan::TensorSink*> tensor_sinks;
  if (st->weights) tensor_sinks.push_back(st->weights.get());
  if (checkpoint != nullptr)
    tensor_sinks.insert(tensor_sinks.end(), options.extra_tensor_sinks.begin(),
                        options.extra_tensor_sinks.end());
  const auto byte_sinks = st->file_sinks.list();
  PD_ASSIGN_OR_RETURN(st->scan,
                      scan::StreamScan::start(table, byte_sinks, tensor_sinks, options.scan));
  return std::unique_ptr<StreamHasher>(new StreamHasher(std::move(st)));
}

Result<std::unique_ptr<StreamHasher>> StreamHasher::start_with_payload(
    std::string display, std::uint64_t size, const formats::Checkpoint& checkpoint,
    const HashOptions& options) {
  if (checkpoint.source_sizes.size() != 1)
    return invalid_argument("a payload stream needs exactly one source size");
  auto st = std::make_unique<State>();
  st->out.file = display;
  st->out.size = size;
  st->out.computed = options.sets;
  st->out.format = std::string(formats::format_name(checkpoint.format));
  st->file_sinks = make_file_sinks(options.sets, size, &checkpoint);
  formats::Checkpoint bytes_only;
  bytes_only.sources = {std::filesystem::path(display)};
  bytes_only.source_sizes = {size};
  const auto byte_sinks = st->file_sinks.list();
  PD_ASSIGN_OR_RETURN(st->scan,
                      scan::StreamScan::start(std::move(bytes_only), byte_sinks, {}, options.scan));

  st->table = checkpoint;
  st->table.sources = {std::filesystem::path(display + " (payload)")};
  for (auto& t : st->table.tensors) t.source = 0;
  if (options.sets & k_set_weights)
    st->weights = std::make_unique<WeightsHasher>(st->table, formats::canonicalize(st->table));
  std::vector<scan::TensorSink*> tensor_sinks;
  if (st->weights) tensor_sinks.push_back(st->weights.get());
  tensor_sinks.insert(tensor_sinks.end(), options.extra_tensor_sinks.begin(),
                      options.extra_tensor_sinks.end());
  // The payload trails the file's bytes by at most one storage: half the
  // file ring's chunks keep the lanes busy and the memory of two rings near one's.
  scan::ScanOptions payload_options = options.scan;
  payload_options.ring_chunks = std::max<std::size_t>(2, options.scan.ring_chunks / 2);
  payload_options.progress = nullptr;  // the file's stream reports progress
  PD_ASSIGN_OR_RETURN(st->payload,
                      scan::StreamScan::start(st->table, {}, tensor_sinks, payload_options));
  return std::unique_ptr<StreamHasher>(new StreamHasher(std::move(st)));
}

Result<void> StreamHasher::write(ByteView bytes) {
  return m_state->scan->write(bytes);
}

Result<std::span<std::uint8_t>> StreamHasher::write_space() {
  return m_state->scan->write_space();
}

Result<void> StreamHasher::commit(std::size_t count) {
  return m_state->scan->commit(count);
}

Result<void> StreamHasher::write_payload(ByteView bytes) {
  if (!m_state->payload) return invalid_argument("this stream has no payload");
  return m_state->payload->write(bytes);
}

void StreamHasher::abandon_payload(const Error& why) {
  m_state->payload.reset();  // aborts the scan and joins its threads
  m_state->weights.reset();
  if (m_state->out.computed & k_set_weights) m_state->out.weights_error = why;
}

std::uint64_t StreamHasher::received() const {
  return m_state->scan->received();
}

Result<ModelHashes> StreamHasher::finish() {
  PD_TRY(m_state->scan->finish());
  if (m_state->payload) PD_TRY(m_state->payload->finish());
  ModelHashes out = std::move(m_state->out);
  collect_file_hashes(m_state->file_sinks, out);
  if (m_state->weights) {
    auto result = m_state->weights->result();
    if (result) {
      out.weights = result->weights;
      out.components = result->components;
    } else {
      out.weights_error = result.error().with_context(out.file);
    }
  }
  return out;
}

}  // namespace pedigree::hash
