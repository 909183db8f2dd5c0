#include "pedigree/lineage/upload_scan.hpp"

#include <algorithm>
#include <utility>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/inspect.hpp"
#include "pedigree/formats/names.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/formats/safetensors.hpp"
#include "pedigree/util/bytes.hpp"

namespace pedigree::lineage {
namespace {

constexpr std::size_t k_length_field = 8;
constexpr std::size_t k_format_probe = 64;  // bytes detect_format needs to name a pickle

// Parents named by the file's own metadata recipes (not nested ancestors).
std::vector<MetadataRecipe> recipes_of(const formats::Checkpoint& checkpoint) {
  std::vector<MetadataRecipe> out;
  auto report = formats::decode_recipes(checkpoint.metadata);
  bool adapter = false;
  for (const auto& recipe : report.recipes)
    if (recipe.source == formats::RecipeSource::k_kohya)
      adapter = formats::guess_architecture(formats::canonicalize(checkpoint)) ==
                formats::Architecture::k_lora;
  for (const auto& recipe : report.recipes) {
    if (!recipe.subject_sha256.empty()) continue;
    for (const auto& p : recipe.parents) {
      MetadataRecipe m;
      m.parent = !p.sha256.empty() ? p.sha256 : (!p.short_hash.empty() ? p.short_hash : p.name);
      m.relation = recipe.method.empty() ? p.role : recipe.method;
      if (recipe.source == formats::RecipeSource::k_kohya && adapter)
        m.relation = std::string(k_relation_trained_on);
      m.weight = p.weight;
      m.source = std::string(formats::recipe_source_name(recipe.source));
      out.push_back(std::move(m));
    }
  }
  return out;
}

// Why a stream whose leading bytes are `head` cannot be read for its weights.
Error why_not_streamable(ByteView head, const std::string& display) {
  auto format = formats::detect_format(head);
  if (format == formats::Format::k_torch_legacy)
    return Error(ErrorCode::k_not_supported,
                 display +
                     ": a legacy (pre-1.6) PyTorch checkpoint cannot be read as it arrives (its "
                     "pickle is read by seeking); upload a .safetensors file, or check the file "
                     "where it is stored, for weight evidence");
  return Error(ErrorCode::k_corruption,
               display + ": not a checkpoint (" + formats::describe_content(head) + ")");
}

}  // namespace

FileScanResult file_scan_result(const std::string& input, const hash::ModelHashes& hashes,
                                const formats::Checkpoint* checkpoint,
                                std::optional<Result<fingerprint::Fingerprint>> built,
                                std::string sketch_error) {
  FileScanResult out;
  out.sketch_error = std::move(sketch_error);
  out.identity.input = input;
  out.identity.kind = "file";
  out.identity.sha256 = hashes.sha256.value_or("");
  out.identity.weights_hash = hashes.weights.value_or("");
  auto component = [&](const char* name) {
    auto it = hashes.components.find(name);
    return it == hashes.components.end() ? std::string() : it->second;
  };
  out.identity.unet_hash = component("unet");
  out.identity.vae_hash = component("vae");
  out.identity.text_encoder_hash = component("text_encoder");
  if (checkpoint) {
    out.recipes = recipes_of(*checkpoint);
    if (auto it = checkpoint->metadata.find("modelspec.license"); it != checkpoint->metadata.end())
      out.identity.declared_licence = it->second.substr(0, 256);
  }
  if (built) {
    if (*built && !(*built)->tensors.empty())
      out.sketch = std::move(**built);
    else
      out.sketch_error = *built ? "no tensor to fingerprint" : built->error().message();
  }
  return out;
}

UploadScan::UploadScan(std::string display, std::uint64_t size, FingerprintPass pass,
                       scan::ScanOptions scan)
    : m_display(std::move(display)), m_size(size), m_pass(pass), m_scan(std::move(scan)) {}

UploadScan::~UploadScan() {
  m_hasher.reset();  // joins the scan's threads before the builder goes
}

std::size_t UploadScan::head_wanted() const {
  if (m_size < k_length_field) return 0;  // too short for anything: bytes only, at finish
  if (m_head.size() < k_length_field) return k_length_field - m_head.size();
  const std::uint64_t length = load_le64(m_head.data());
  if (length == 0 || length > k_upload_max_header || length > m_size - k_length_field) {
    // Not a safetensors header. A pickle (a legacy torch file starts with
    // one) needs a few more bytes to be told apart from other content.
    if (m_head[0] == 0x80 && m_size >= k_format_probe && m_head.size() < k_format_probe)
      return k_format_probe - m_head.size();
    return 0;
  }
  const std::uint64_t total = k_length_field + length;
  return total > m_head.size() ? static_cast<std::size_t>(total - m_head.size()) : 0;
}

void UploadScan::plan_sketches(hash::HashOptions& options) {
  auto plan = fingerprint::plan_checkpoint(*m_checkpoint);
  if (plan)
    m_builder.emplace(std::move(*plan));
  else
    m_sketch_error = plan.error().message();
  auto ema_plan = fingerprint::plan_ema_as_unet(*m_checkpoint);
  if (ema_plan && fingerprint::plans_any(*ema_plan))
    m_ema_builder.emplace(std::move(*ema_plan));
  else if (!ema_plan)
    m_ema_error = ema_plan.error().message();
  if (m_builder) options.extra_tensor_sinks.push_back(&*m_builder);
  if (m_ema_builder) options.extra_tensor_sinks.push_back(&*m_ema_builder);
}

Result<void> UploadScan::start_scan() {
  const ByteView head(m_head.data(), m_head.size());
  if (formats::looks_like_safetensors(head)) {
    auto parsed = formats::parse_safetensors_header(head, m_size);
    if (parsed) {
      m_checkpoint = std::move(*parsed);
      m_checkpoint->sources = {m_display};
      m_checkpoint->source_sizes = {m_size};
    } else {
      m_why_not = parsed.error().with_context(m_display);
    }
  } else if (!m_why_not) {
    m_why_not = why_not_streamable(head, m_display);
  }
  hash::HashOptions options;
  options.sets = hash::k_set_sha256 | hash::k_set_weights;
  options.scan = m_scan;
  if (m_pass == FingerprintPass::k_build && m_checkpoint) {
    plan_sketches(options);
  } else if (m_pass == FingerprintPass::k_build) {
    m_sketch_error = m_why_not ? m_why_not->message() : "not a checkpoint";
  }
  PD_ASSIGN_OR_RETURN(m_hasher, hash::StreamHasher::start(m_display, m_size,
                                                          m_checkpoint ? &*m_checkpoint : nullptr,
                                                          m_why_not, options));
  std::vector<std::uint8_t> head_bytes;
  head_bytes.swap(m_head);  // the header is not kept once pushed
  return m_hasher->write(ByteView(head_bytes.data(), head_bytes.size()));
}

Result<void> UploadScan::write(ByteView bytes) {
  while (!m_hasher && !bytes.empty()) {
    if (m_zip) {
      PD_TRY(write_zip_head(bytes));
      continue;
    }
    if (m_head.size() < 4) {  // enough to tell a zip
      const std::size_t take = std::min<std::size_t>(4 - m_head.size(), bytes.size());
      if (m_head.size() + take > m_size)
        return invalid_argument(m_display + ": more than the declared " + std::to_string(m_size) +
                                " bytes");
      m_head.insert(m_head.end(), bytes.begin(), bytes.begin() + take);
      bytes = bytes.subspan(take);
      if (m_head.size() == 4 && formats::looks_like_zip(ByteView(m_head.data(), 4))) {
        m_zip.emplace(m_size);
        const std::vector<std::uint8_t> magic = std::exchange(m_head, {});
        ByteView head(magic.data(), magic.size());
        PD_TRY(write_zip_head(head));  // 4 bytes never complete a plan
      }
      continue;
    }
    const std::size_t wanted = head_wanted();
    if (wanted == 0) {
      PD_TRY(start_scan());
      break;
    }
    if (m_head.size() + bytes.size() > m_size)
      return invalid_argument(m_display + ": more than the declared " + std::to_string(m_size) +
                              " bytes");
    const std::size_t take = std::min(wanted, bytes.size());
    m_head.insert(m_head.end(), bytes.begin(), bytes.begin() + take);
    bytes = bytes.subspan(take);
  }
  if (m_hasher && !bytes.empty()) return push(bytes);
  return {};
}

std::span<std::uint8_t> UploadScan::write_space() {
  m_space = {};
  if (!m_hasher) return {};
  auto space = m_hasher->write_space();
  if (space) m_space = *space;
  return m_space;
}

Result<void> UploadScan::commit(std::size_t count) {
  if (!m_hasher || count > m_space.size()) return internal_error("commit outside the write space");
  const ByteView bytes(m_space.data(), count);
  m_space = {};
  PD_TRY(m_hasher->commit(count));
  // The bytes stay in the ring's slot until the scan reuses it, many chunks
  // later: a PyTorch zip reads its storages from them as write() would.
  return feed_zip(bytes);
}

Result<void> UploadScan::write_zip_head(ByteView& bytes) {
  if (bytes.size() > m_size - m_head.size())
    return invalid_argument(m_display + ": more than the declared " + std::to_string(m_size) +
                            " bytes");
  auto no_payload = [](ByteView) -> Result<void> {
    return internal_error("storage bytes before the tensor table");
  };
  auto used = m_zip->feed(bytes, no_payload);
  if (!used) {  // not a zip pedigree can follow as it arrives: bytes only
    m_why_not = used.error().with_context(m_display);
    m_zip.reset();
    m_head.insert(m_head.end(), bytes.begin(), bytes.end());
    bytes = {};
    if (m_head.size() == m_size) return {};  // finish() starts the bytes-only scan
    return start_scan();
  }
  m_head.insert(m_head.end(), bytes.begin(), bytes.begin() + *used);
  bytes = bytes.subspan(*used);
  if (m_zip->plan()) return start_zip_scan();
  if (m_head.size() > k_upload_max_header) {
    m_why_not =
        Error(ErrorCode::k_not_supported,
              m_display + ": the PyTorch zip's tensor table does not end within its first " +
                  std::to_string(k_upload_max_header) +
                  " bytes; check the file where it is stored for weight evidence");
    m_zip.reset();
    return start_scan();
  }
  return {};
}

Result<void> UploadScan::start_zip_scan() {
  m_checkpoint = *m_zip->plan();
  m_checkpoint->sources = {m_display};
  hash::HashOptions options;
  options.sets = hash::k_set_sha256 | hash::k_set_weights;
  options.scan = m_scan;
  if (m_pass == FingerprintPass::k_build) plan_sketches(options);
  PD_ASSIGN_OR_RETURN(
      m_hasher, hash::StreamHasher::start_with_payload(m_display, m_size, *m_checkpoint, options));
  std::vector<std::uint8_t> head_bytes;
  head_bytes.swap(m_head);  // already read by m_zip: the file hashes still need them
  return m_hasher->write(ByteView(head_bytes.data(), head_bytes.size()));
}

Result<void> UploadScan::push(ByteView bytes) {
  PD_TRY(m_hasher->write(bytes));
  return feed_zip(bytes);
}

Result<void> UploadScan::feed_zip(ByteView bytes) {
  if (!m_zip) return {};
  auto to_payload = [this](ByteView payload) { return m_hasher->write_payload(payload); };
  while (!bytes.empty()) {
    auto used = m_zip->feed(bytes, to_payload);
    if (!used) {
      give_up_zip(used.error().with_context(m_display));
      return {};
    }
    bytes = bytes.subspan(*used);
  }
  return {};
}

void UploadScan::give_up_zip(const Error& why) {
  m_hasher->abandon_payload(why);  // the builders get no more tensor data
  m_builder.reset();
  if (m_ema_builder) m_ema_error = why.message();
  m_ema_builder.reset();
  m_sketch_error = why.message();
  m_zip.reset();
}

Result<FileScanResult> UploadScan::finish() {
  if (!m_hasher && m_zip) {  // ended before the zip's tensor table was known
    auto why = m_zip->finish();
    m_why_not = why ? Error(ErrorCode::k_corruption, m_display + ": no tensor table")
                    : why.error().with_context(m_display);
    m_zip.reset();
  }
  if (!m_hasher) {
    if (m_head.size() != m_size || (!m_why_not && head_wanted() != 0))
      return corruption(m_display + ": upload ended after " + std::to_string(m_head.size()) +
                        " of " + std::to_string(m_size) + " bytes");
    PD_TRY(start_scan());
  }
  if (m_zip) {
    auto complete = m_zip->finish();
    if (!complete) give_up_zip(complete.error().with_context(m_display));
  }
  PD_ASSIGN_OR_RETURN(auto hashes, m_hasher->finish());
  std::optional<Result<fingerprint::Fingerprint>> built;
  if (m_builder) built = m_builder->finish();
  FileScanResult out = file_scan_result(m_display, hashes, m_checkpoint ? &*m_checkpoint : nullptr,
                                        std::move(built), m_sketch_error);
  if (m_ema_builder) {
    auto ema = m_ema_builder->finish();
    if (ema && !ema->tensors.empty())
      out.ema_sketch = std::move(*ema);
    else
      m_ema_error = ema ? "no tensor of it could be sketched" : ema.error().message();
  }
  out.ema_sketch_error = m_ema_error;
  return out;
}

}  // namespace pedigree::lineage
