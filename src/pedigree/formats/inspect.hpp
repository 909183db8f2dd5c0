// What `pedigree inspect` reports about a checkpoint: format, sizes, tensor and
// parameter counts per component, dtypes, architecture guess, EMA, NAI's old
// CLIP prefix, the state of CLIP's position_ids, metadata, merge recipes (as
// claims) and, for torch files, the pickle globals. JSON schema:
// docs/json/inspect.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/formats/names.hpp"
#include "pedigree/formats/recipes.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

enum class Architecture : std::uint8_t {
  k_sd1,
  k_sd1_inpainting,
  k_sd2,
  k_sdxl,
  k_lora,
  k_vae,
  k_unknown,
};
// "sd1", "sd1-inpainting", "sd2", "sdxl", "lora", "vae", "unknown".
std::string_view architecture_name(Architecture architecture);
// "SD1.x", "SD1.x inpainting", "SD2.x", "SDXL", "LoRA", "VAE", "unknown".
std::string_view architecture_title(Architecture architecture);

// Guesses the architecture from canonical names and shapes only (rules in
// docs/json/inspect.md); works on shrunk test models as on real ones.
Architecture guess_architecture(const std::vector<CanonicalTensor>& tensors);

struct ComponentStats {
  std::uint64_t tensors = 0;
  std::uint64_t parameters = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::uint64_t> dtypes;  // dtype name -> tensor count
};

enum class PositionIdsState : std::uint8_t {
  k_intact,       // the values 0..n-1, exactly
  k_non_integer,  // some value is not an integer: merge arithmetic touched it
  k_altered,      // integers, but not 0..n-1 in order
  k_missing,      // no CLIP position_ids tensor
};
// "intact", "non-integer", "altered", "missing".
std::string_view position_ids_state_name(PositionIdsState state);

struct PositionIds {
  PositionIdsState state = PositionIdsState::k_missing;
  std::string name;         // canonical name of the tensor read
  std::string dtype;        // as stored, e.g. "I64" or "F32"
  std::uint64_t count = 0;  // number of values
  std::uint64_t wrong = 0;  // values differing from their index
  std::optional<std::uint64_t> first_wrong_index;
  std::optional<double> first_wrong_value;
  double max_deviation = 0;  // max |value - index|
};

struct InspectReport {
  std::filesystem::path path;
  Format format = Format::k_safetensors;
  std::uint64_t size = 0;  // bytes over all sources
  std::vector<std::filesystem::path> sources;
  std::vector<std::uint64_t> source_sizes;
  std::uint64_t tensors = 0;
  std::uint64_t parameters = 0;
  std::array<ComponentStats, k_component_count> components{};  // indexed by Component
  std::map<std::string, std::uint64_t> dtypes;                 // over all tensors
  Architecture architecture = Architecture::k_unknown;
  std::uint64_t ema_tensors = 0;  // 0 when there is no EMA copy
  bool old_clip_prefix = false;   // NAI-leak style CLIP names
  PositionIds position_ids;
  std::map<std::string, std::string> metadata;
  RecipeReport recipes;
  std::map<std::string, std::string> scalars;  // torch: epoch, global_step, ...
  std::vector<PickleGlobal> globals;           // torch only
  bool is_torch = false;
  std::vector<std::string> warnings;  // e.g. duplicate canonical names
};

// Builds the report for an opened checkpoint; reads only the small tensors it
// needs (CLIP position_ids, at most 64 KiB). Errors: those of reading that tensor
// (I/O, corruption); everything else is reported inside the report.
Result<InspectReport> inspect_checkpoint(const Checkpoint& checkpoint,
                                         const std::filesystem::path& path);

// Opens `path` (file or diffusers folder) and inspects it. Errors of open_checkpoint.
Result<InspectReport> inspect_path(const std::filesystem::path& path);

// The JSON document of docs/json/inspect.md ("schema": "pedigree.inspect/1").
nlohmann::json inspect_to_json(const InspectReport& report);

}  // namespace pedigree::formats
