// Reader for diffusers model folders (unet/, text_encoder/, vae/ with
// safetensors or .bin weights), mapping their tensor names to the canonical
// LDM layout. Implemented by the names/diffusers work (issue 2); until that
// lands, open_checkpoint refuses folders with NotSupported.
#pragma once

#include <filesystem>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// Opens the diffusers folder `dir`: one Checkpoint whose `sources` are the
// weight files read and whose tensors carry the index of their source.
// NotFound when `dir` holds no model files; reader errors name the file.
Result<Checkpoint> open_diffusers(const std::filesystem::path& dir);

}  // namespace pedigree::formats
