// Canonical names: the rules of docs/formats/canonical-names.md, applied in
// the order that document gives.
#include "pedigree/formats/names.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <unordered_set>

#include "pedigree/formats/names_diffusers.hpp"

namespace pedigree::formats {
namespace {

constexpr std::array<std::string_view, k_component_count> k_component_names = {
    "unet", "text_encoder", "vae", "unet_ema", "schedule", "other"};

// Buffers of ldm.models.diffusion.ddpm.DDPM (register_schedule) and LatentDiffusion.
constexpr std::array<std::string_view, 14> k_schedule_names = {
    "betas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod",
    "sqrt_recip_alphas_cumprod",
    "sqrt_recipm1_alphas_cumprod",
    "posterior_variance",
    "posterior_log_variance_clipped",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
    "logvar",
    "lvlb_weights",
};

// Prefixes whose presence marks a full LDM checkpoint (so encoder.* etc. are not a bare VAE).
constexpr std::array<std::string_view, 5> k_ldm_roots = {"model.diffusion_model.",
                                                         "first_stage_model.", "cond_stage_model.",
                                                         "conditioner.", "model_ema."};
constexpr std::array<std::string_view, 4> k_vae_roots = {"encoder.", "decoder.", "quant_conv.",
                                                         "post_quant_conv."};
constexpr std::array<std::string_view, 3> k_old_clip_parts = {"embeddings.", "encoder.",
                                                              "final_layer_norm."};
constexpr std::string_view k_old_clip_prefix = "cond_stage_model.transformer.";
constexpr std::string_view k_ema_dotless_prefix = "model_ema.diffusion_model";

bool starts_with_any(std::string_view name, std::span<const std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return name.starts_with(p); });
}

// Rule 1: strip leading "state_dict." and "module." wrappers, repeatedly.
std::string_view strip_wrappers(std::string_view name) {
  for (;;) {
    if (name.starts_with("state_dict.")) {
      name.remove_prefix(11);
    } else if (name.starts_with("module.")) {
      name.remove_prefix(7);
    } else {
      return name;
    }
  }
}

std::string remove_dots(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '.') out += c;
  }
  return out;
}

// Dotless EMA name -> dotted UNet-relative name, from the UNet names present and the SD1.x
// layout; a dotless form claimed by two different dotted names is ambiguous and left out.
class EmaResolver {
public:
  void add(std::string_view unet_relative) {
    auto [it, inserted] = m_map.emplace(remove_dots(unet_relative), std::string(unet_relative));
    if (!inserted && it->second != unet_relative) m_ambiguous.insert(it->first);
  }
  std::optional<std::string> resolve(std::string_view dotless) const {
    const std::string key(dotless);
    if (m_ambiguous.contains(key)) return std::nullopt;
    auto it = m_map.find(key);
    if (it == m_map.end()) return std::nullopt;
    return it->second;
  }

private:
  std::map<std::string, std::string> m_map;
  std::set<std::string> m_ambiguous;
};

// Component and block of a name already in LDM spelling.
void classify_ldm(CanonicalTensor& t) {
  std::string_view n = t.name;
  if (n.starts_with(k_unet_prefix)) {
    t.component = Component::k_unet;
    t.block = unet_block(n.substr(k_unet_prefix.size()));
  } else if (n.starts_with(k_unet_ema_prefix)) {
    t.component = Component::k_unet_ema;
    t.block = unet_block(n.substr(k_unet_ema_prefix.size()));
  } else if (n.starts_with(k_ema_dotless_prefix)) {
    t.component = Component::k_unet_ema;  // an EMA tensor whose dots could not be recovered
  } else if (n.starts_with("cond_stage_model.") || n.starts_with("conditioner.embedders.")) {
    t.component = Component::k_text_encoder;
    t.block = k_block_base;
  } else if (n.starts_with(k_vae_prefix)) {
    t.component = Component::k_vae;
  } else if (std::find(k_schedule_names.begin(), k_schedule_names.end(), n) !=
             k_schedule_names.end()) {
    t.component = Component::k_schedule;
  } else {
    t.component = Component::k_other;
  }
}

// Rule 7: diffusers' VAE attention is Linear [o,i] where LDM has Conv [o,i,1,1].
void canonical_shape(CanonicalTensor& t) {
  if (t.shape.size() != 2 || !t.name.ends_with(".weight")) return;
  for (std::string_view side :
       {"first_stage_model.encoder.mid.attn_1.", "first_stage_model.decoder.mid.attn_1."}) {
    if (!t.name.starts_with(side)) continue;
    std::string_view leaf = std::string_view(t.name).substr(side.size());
    if (leaf == "q.weight" || leaf == "k.weight" || leaf == "v.weight" ||
        leaf == "proj_out.weight") {
      t.shape.push_back(1);
      t.shape.push_back(1);
    }
  }
}

CanonicalTensor map_diffusers(std::string_view stored, const detail::DiffusersUnetContext& context,
                              bool has_text_encoder_2) {
  CanonicalTensor t;
  const auto slash = stored.find('/');
  const std::string_view folder = slash == std::string_view::npos ? "" : stored.substr(0, slash);
  const std::string_view rest = slash == std::string_view::npos ? stored : stored.substr(slash + 1);
  t.name = std::string(stored);
  if (folder == "unet") {
    t.component = Component::k_unet;
    if (auto ldm = detail::diffusers_unet_to_ldm(rest, context)) {
      t.name = std::string(k_unet_prefix) + *ldm;
      t.block = unet_block(*ldm);
    }
  } else if (folder == "text_encoder") {
    t.name = (has_text_encoder_2 ? "conditioner.embedders.0.transformer."
                                 : "cond_stage_model.transformer.") +
             std::string(rest);
    t.component = Component::k_text_encoder;
    t.block = k_block_base;
  } else if (folder == "text_encoder_2") {
    t.component = Component::k_text_encoder;
    t.block = k_block_base;
  } else if (folder == "vae") {
    t.component = Component::k_vae;
    if (auto ldm = detail::diffusers_vae_to_ldm(rest)) t.name = std::string(k_vae_prefix) + *ldm;
  }
  return t;
}

std::vector<CanonicalTensor> canonicalize_diffusers(const Checkpoint& checkpoint) {
  detail::DiffusersUnetContext context;
  bool has_text_encoder_2 = false;
  for (const auto& info : checkpoint.tensors) {
    std::string_view n = info.name;
    if (n.starts_with("text_encoder_2/")) has_text_encoder_2 = true;
    if (!n.starts_with("unet/up_blocks.")) continue;
    n.remove_prefix(15);
    auto i = detail::take_index(n);
    if (i && *i < 8 && n.starts_with("attentions.")) context.up_block_has_attention[*i] = true;
  }
  std::vector<CanonicalTensor> out;
  out.reserve(checkpoint.tensors.size());
  for (const auto& info : checkpoint.tensors) {
    out.push_back(map_diffusers(info.name, context, has_text_encoder_2));
    out.back().shape = info.shape;
    canonical_shape(out.back());
  }
  return out;
}

}  // namespace

std::string_view component_name(Component component) {
  return k_component_names[static_cast<std::size_t>(component)];
}

std::optional<Component> component_from_name(std::string_view name) {
  for (std::size_t i = 0; i < k_component_names.size(); ++i) {
    if (k_component_names[i] == name) return static_cast<Component>(i);
  }
  return std::nullopt;
}

std::string_view block_name(int block) {
  static constexpr std::array<std::string_view, k_block_count> k_names = {
      "BASE",  "IN00",  "IN01",  "IN02",  "IN03",  "IN04",  "IN05",  "IN06",  "IN07",
      "IN08",  "IN09",  "IN10",  "IN11",  "M00",   "OUT00", "OUT01", "OUT02", "OUT03",
      "OUT04", "OUT05", "OUT06", "OUT07", "OUT08", "OUT09", "OUT10", "OUT11"};
  if (block < 0 || block >= k_block_count) return "";
  return k_names[static_cast<std::size_t>(block)];
}

std::optional<int> block_from_name(std::string_view name) {
  for (int b = 0; b < k_block_count; ++b) {
    if (block_name(b) == name) return b;
  }
  return std::nullopt;
}

std::optional<int> unet_block(std::string_view n) {
  if (n.starts_with("time_embed.") || n.starts_with("label_emb.")) return k_block_in00;
  if (n.starts_with("middle_block.")) return k_block_m00;
  if (n.starts_with("out.")) return k_block_out00 + 11;
  const bool input = n.starts_with("input_blocks.");
  if (!input && !n.starts_with("output_blocks.")) return std::nullopt;
  n.remove_prefix(input ? 13 : 14);
  auto index = detail::take_index(n);
  if (!index || *index > 11) return std::nullopt;
  return (input ? k_block_in00 : k_block_out00) + *index;
}

std::vector<CanonicalTensor> canonicalize(const Checkpoint& checkpoint) {
  if (checkpoint.format == Format::k_diffusers) return canonicalize_diffusers(checkpoint);

  // Rules 1-2: unwrap, and spell NAI's old CLIP prefix the new way.
  std::vector<std::string> names;
  names.reserve(checkpoint.tensors.size());
  bool has_ldm_root = false, has_vae_root = false, has_ema = false, diffusers_vae = false;
  for (const auto& info : checkpoint.tensors) {
    std::string name(strip_wrappers(info.name));
    std::string_view rest = name;
    if (rest.starts_with(k_old_clip_prefix)) {
      rest.remove_prefix(k_old_clip_prefix.size());
      if (starts_with_any(rest, k_old_clip_parts)) {
        name = std::string(k_clip_prefix) + std::string(rest);
      }
    }
    has_ldm_root |= starts_with_any(name, k_ldm_roots);
    if (starts_with_any(name, k_vae_roots)) {
      has_vae_root = true;
      diffusers_vae |= name.find("_block") != std::string::npos;
    }
    has_ema |= name.starts_with(k_ema_dotless_prefix) && !name.starts_with(k_unet_ema_prefix);
    names.push_back(std::move(name));
  }

  // Rule 3: a bare VAE (animevae.pt, vae-ft-mse-*.ckpt) moves under first_stage_model.
  if (has_vae_root && !has_ldm_root) {
    for (auto& name : names) {
      if (!starts_with_any(name, k_vae_roots)) continue;
      std::optional<std::string> ldm =
          diffusers_vae ? detail::diffusers_vae_to_ldm(name) : std::optional<std::string>(name);
      if (ldm) name = std::string(k_vae_prefix) + *ldm;
    }
  }

  // Rule 4: dotless EMA names regain their dots.
  if (has_ema) {
    EmaResolver resolver;
    for (const auto& name : names) {
      if (name.starts_with(k_unet_prefix))
        resolver.add(std::string_view(name).substr(k_unet_prefix.size()));
    }
    for (const auto& t : sd1_unet_layout()) {
      resolver.add(std::string_view(t.name).substr(k_unet_prefix.size()));
    }
    for (auto& name : names) {
      if (!name.starts_with(k_ema_dotless_prefix) || name.starts_with(k_unet_ema_prefix)) continue;
      auto dotted = resolver.resolve(std::string_view(name).substr(k_ema_dotless_prefix.size()));
      if (dotted) name = std::string(k_unet_ema_prefix) + *dotted;
    }
  }

  std::vector<CanonicalTensor> out;
  out.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CanonicalTensor t;
    t.name = std::move(names[i]);
    t.shape = checkpoint.tensors[i].shape;
    classify_ldm(t);
    canonical_shape(t);
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::string> find_duplicate_name(std::span<const CanonicalTensor> tensors) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (!seen.insert(t.name).second) return t.name;
  }
  return std::nullopt;
}

}  // namespace pedigree::formats
