// Diffusers folders (docs/formats/diffusers.md): one weight file per known
// component sub-folder, each parsed by the single-file reader its content calls
// for, gathered into one Checkpoint whose tensor names are "<subfolder>/<name>".
#include "pedigree/formats/diffusers.hpp"

#include <array>
#include <string_view>
#include <system_error>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::formats {
namespace {

namespace fs = std::filesystem;

// Component sub-folders pedigree reads, in the order their tensors are listed.
constexpr std::array<std::string_view, 4> k_subfolders = {"unet", "text_encoder", "text_encoder_2",
                                                          "vae"};

// Weight file names, most preferred first: full precision before the fp16 variant,
// safetensors before torch pickles.
constexpr std::array<std::string_view, 8> k_weight_files = {
    "diffusion_pytorch_model.safetensors",
    "model.safetensors",
    "diffusion_pytorch_model.fp16.safetensors",
    "model.fp16.safetensors",
    "diffusion_pytorch_model.bin",
    "pytorch_model.bin",
    "diffusion_pytorch_model.fp16.bin",
    "pytorch_model.fp16.bin",
};

// The weight file of `sub`, or nullopt when it holds none pedigree knows.
Result<std::optional<fs::path>> pick_weight_file(const fs::path& sub) {
  for (std::string_view name : k_weight_files) {
    const fs::path candidate = sub / name;
    std::error_code ec;
    const auto status = fs::status(candidate, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return io_error(candidate.string() + ": cannot stat: " + ec.message());
    }
    if (fs::is_regular_file(status)) return std::optional<fs::path>(candidate);
  }
  std::error_code ec;
  for (std::string_view sharded :
       {"diffusion_pytorch_model.safetensors.index.json", "model.safetensors.index.json"}) {
    if (fs::exists(sub / sharded, ec)) {
      return not_supported((sub / sharded).string() +
                           ": sharded weights are not supported; merge the shards first");
    }
  }
  return std::optional<fs::path>();
}

// Parses one weight file and appends its tensors (renamed "<sub>/<name>") to `out`.
Result<void> add_source(const fs::path& file, std::string_view sub, Checkpoint& out) {
  PD_ASSIGN_OR_RETURN(auto mapped, MappedFile::open(file));
  auto parsed = parse_checkpoint(mapped.bytes());
  if (!parsed) return std::unexpected(parsed.error().with_context(file.string()));
  const auto source = static_cast<std::uint32_t>(out.sources.size());
  out.sources.push_back(file);
  out.source_sizes.push_back(mapped.size());
  for (auto& tensor : parsed->tensors) {
    tensor.name = std::string(sub) + "/" + tensor.name;
    tensor.source = source;
    out.tensors.push_back(std::move(tensor));
  }
  for (auto& [key, value] : parsed->metadata) {
    if (!out.metadata.emplace(key, value).second && out.metadata[key] != value) {
      out.metadata[std::string(sub) + "/" + key] = value;
    }
  }
  for (auto& [key, value] : parsed->scalars) out.scalars[std::string(sub) + "/" + key] = value;
  for (auto& global : parsed->globals) out.globals.push_back(std::move(global));
  return {};
}

}  // namespace

Result<Checkpoint> open_diffusers(const fs::path& dir) {
  Checkpoint out;
  out.format = Format::k_diffusers;
  for (std::string_view sub : k_subfolders) {
    std::error_code ec;
    if (!fs::is_directory(dir / sub, ec)) continue;
    PD_ASSIGN_OR_RETURN(auto file, pick_weight_file(dir / sub));
    if (!file) continue;
    PD_TRY(add_source(*file, sub, out));
  }
  if (out.sources.empty()) {
    return not_found(dir.string() +
                     ": no model files (expected a diffusers folder: unet/, text_encoder/ or vae/ "
                     "holding diffusion_pytorch_model.safetensors, model.safetensors or a .bin)");
  }
  return out;
}

}  // namespace pedigree::formats
