// Fingerprints of files: a checkpoint (streamed once) or a stored `.fp`.
#pragma once

#include <filesystem>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::fingerprint {

// The fingerprint of a checkpoint file or diffusers folder (formats::open_checkpoint),
// computed in one streaming pass with `options.threads` workers (0 = all cores).
// Errors from opening or scanning, prefixed with the path.
Result<Fingerprint> fingerprint_file(const std::filesystem::path& path,
                                     const scan::ScanOptions& options = {},
                                     SketchParams params = {});

// A `.fp` file (recognised by its magic, whatever its name) or else a checkpoint,
// fingerprinted as fingerprint_file does.
Result<Fingerprint> load_fingerprint(const std::filesystem::path& path,
                                     const scan::ScanOptions& options = {});

}  // namespace pedigree::fingerprint
