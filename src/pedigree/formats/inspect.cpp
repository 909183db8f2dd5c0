// Building an InspectReport (docs/json/inspect.md).
#include "pedigree/formats/inspect.hpp"

#include <cmath>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/formats/tensor_data.hpp"

namespace pedigree::formats {
namespace {

constexpr std::uint64_t k_max_position_ids_bytes = 64u << 10;

bool any_name(const std::vector<CanonicalTensor>& tensors, auto&& predicate) {
  for (const auto& t : tensors) {
    if (predicate(t)) return true;
  }
  return false;
}

const CanonicalTensor* find_name(const std::vector<CanonicalTensor>& tensors,
                                 std::string_view name) {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool is_lora_name(std::string_view n) {
  return n.starts_with("lora_") || n.find(".lora_down.") != std::string_view::npos ||
         n.find(".lora_up.") != std::string_view::npos ||
         n.find(".lora_A.") != std::string_view::npos ||
         n.find(".lora_B.") != std::string_view::npos;
}

// Compares the values of a position_ids tensor with 0..n-1.
PositionIds check_position_ids(const TensorInfo& info, std::string name,
                               const std::vector<double>& values) {
  PositionIds out;
  out.name = std::move(name);
  out.dtype = std::string(dtype_name(info.dtype));
  out.count = values.size();
  bool integral = true;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    const double deviation = std::fabs(v - static_cast<double>(i));
    if (!(deviation == 0)) {
      if (!out.first_wrong_index) {
        out.first_wrong_index = i;
        out.first_wrong_value = v;
      }
      ++out.wrong;
      if (!std::isfinite(v) || v != std::floor(v)) integral = false;
      out.max_deviation =
          std::isfinite(deviation) ? std::max(out.max_deviation, deviation) : INFINITY;
    }
  }
  out.state = out.wrong == 0 ? PositionIdsState::k_intact
              : integral     ? PositionIdsState::k_altered
                             : PositionIdsState::k_non_integer;
  return out;
}

Result<PositionIds> read_position_ids(const Checkpoint& checkpoint,
                                      const std::vector<CanonicalTensor>& canonical,
                                      std::vector<std::string>& warnings) {
  for (std::string_view wanted :
       {k_clip_position_ids,
        std::string_view(
            "conditioner.embedders.0.transformer.text_model.embeddings.position_ids")}) {
    for (std::size_t i = 0; i < canonical.size(); ++i) {
      if (canonical[i].name != wanted) continue;
      const TensorInfo& info = checkpoint.tensors[i];
      if (info.nbytes() > k_max_position_ids_bytes) {
        warnings.push_back(std::string(wanted) + " has " + std::to_string(info.numel()) +
                           " values; not read");
        PositionIds out;
        out.state = PositionIdsState::k_altered;
        out.name = std::string(wanted);
        out.dtype = std::string(dtype_name(info.dtype));
        out.count = info.numel();
        return out;
      }
      PD_ASSIGN_OR_RETURN(auto bytes, read_tensor_bytes(checkpoint, i, k_max_position_ids_bytes));
      PD_ASSIGN_OR_RETURN(auto values, to_doubles(info.dtype, bytes));
      return check_position_ids(info, std::string(wanted), values);
    }
  }
  return PositionIds{};
}

}  // namespace

std::string_view architecture_name(Architecture a) {
  switch (a) {
    case Architecture::k_sd1: return "sd1";
    case Architecture::k_sd1_inpainting: return "sd1-inpainting";
    case Architecture::k_sd2: return "sd2";
    case Architecture::k_sdxl: return "sdxl";
    case Architecture::k_lora: return "lora";
    case Architecture::k_vae: return "vae";
    case Architecture::k_unknown: return "unknown";
  }
  return "unknown";
}

std::string_view architecture_title(Architecture a) {
  switch (a) {
    case Architecture::k_sd1: return "SD1.x";
    case Architecture::k_sd1_inpainting: return "SD1.x inpainting";
    case Architecture::k_sd2: return "SD2.x";
    case Architecture::k_sdxl: return "SDXL";
    case Architecture::k_lora: return "LoRA";
    case Architecture::k_vae: return "VAE";
    case Architecture::k_unknown: return "unknown";
  }
  return "unknown";
}

std::string_view position_ids_state_name(PositionIdsState state) {
  switch (state) {
    case PositionIdsState::k_intact: return "intact";
    case PositionIdsState::k_non_integer: return "non-integer";
    case PositionIdsState::k_altered: return "altered";
    case PositionIdsState::k_missing: return "missing";
  }
  return "missing";
}

Architecture guess_architecture(const std::vector<CanonicalTensor>& tensors) {
  auto has = [&](Component c) {
    return any_name(tensors, [c](const CanonicalTensor& t) { return t.component == c; });
  };
  const bool unet = has(Component::k_unet);
  if (!unet && !has(Component::k_text_encoder) && !has(Component::k_vae) &&
      any_name(tensors, [](const CanonicalTensor& t) { return is_lora_name(t.name); })) {
    return Architecture::k_lora;
  }
  if (!unet) {
    const bool only_vae =
        has(Component::k_vae) && !has(Component::k_text_encoder) && !has(Component::k_unet_ema);
    return only_vae ? Architecture::k_vae : Architecture::k_unknown;
  }
  if (any_name(tensors, [](const CanonicalTensor& t) {
        return t.name.starts_with("model.diffusion_model.label_emb.") ||
               t.name.starts_with("conditioner.embedders.") ||
               t.name.starts_with("text_encoder_2/");
      })) {
    return Architecture::k_sdxl;
  }
  const CanonicalTensor* proj_in =
      find_name(tensors, "model.diffusion_model.input_blocks.1.1.proj_in.weight");
  if ((proj_in && proj_in->shape.size() == 2) || any_name(tensors, [](const CanonicalTensor& t) {
        return t.name.starts_with("cond_stage_model.model.");
      })) {
    return Architecture::k_sd2;
  }
  const CanonicalTensor* conv_in =
      find_name(tensors, "model.diffusion_model.input_blocks.0.0.weight");
  if (!conv_in || conv_in->shape.size() != 4) return Architecture::k_unknown;
  if (conv_in->shape[1] == 4) return Architecture::k_sd1;
  if (conv_in->shape[1] == 9) return Architecture::k_sd1_inpainting;
  return Architecture::k_unknown;
}

Result<InspectReport> inspect_checkpoint(const Checkpoint& checkpoint,
                                         const std::filesystem::path& path) {
  InspectReport r;
  r.path = path;
  r.format = checkpoint.format;
  r.sources = checkpoint.sources;
  r.source_sizes = checkpoint.source_sizes;
  for (auto s : checkpoint.source_sizes) r.size += s;
  const auto canonical = canonicalize(checkpoint);
  r.tensors = checkpoint.tensors.size();
  std::uint64_t unmapped_diffusers = 0;
  for (std::size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    const TensorInfo& info = checkpoint.tensors[i];
    const CanonicalTensor& t = canonical[i];
    ComponentStats& stats = r.components[static_cast<std::size_t>(t.component)];
    const std::string dtype(dtype_name(info.dtype));
    ++stats.tensors;
    stats.parameters += info.numel();
    stats.bytes += info.nbytes();
    ++stats.dtypes[dtype];
    ++r.dtypes[dtype];
    r.parameters += info.numel();
    if (checkpoint.format != Format::k_diffusers && t.name.starts_with(k_clip_prefix) &&
        info.name.find("text_model.") == std::string::npos) {
      r.old_clip_prefix = true;
    }
    if (checkpoint.format == Format::k_diffusers &&
        (t.name.starts_with("unet/") || t.name.starts_with("vae/"))) {
      ++unmapped_diffusers;
    }
  }
  r.ema_tensors = r.components[static_cast<std::size_t>(Component::k_unet_ema)].tensors;
  r.architecture = guess_architecture(canonical);
  if (auto dup = find_duplicate_name(canonical)) {
    r.warnings.push_back("two tensors share the canonical name " + *dup);
  }
  if (unmapped_diffusers > 0) {
    r.warnings.push_back(std::to_string(unmapped_diffusers) +
                         " diffusers tensors have no LDM name (kept as stored)");
  }
  PD_ASSIGN_OR_RETURN(r.position_ids, read_position_ids(checkpoint, canonical, r.warnings));
  r.metadata = checkpoint.metadata;
  r.recipes = decode_recipes(checkpoint.metadata);
  r.scalars = checkpoint.scalars;
  r.globals = checkpoint.globals;
  r.is_torch = checkpoint.format == Format::k_torch_zip ||
               checkpoint.format == Format::k_torch_legacy || !checkpoint.globals.empty();
  return r;
}

Result<InspectReport> inspect_path(const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(auto checkpoint, open_checkpoint(path));
  auto report = inspect_checkpoint(checkpoint, path);
  if (!report) return std::unexpected(report.error().with_context(path.string()));
  return report;
}

}  // namespace pedigree::formats
