// What `pedigree attest` learns from a model file, read once: the facts of a
// model statement and its fingerprint from one pass (examine.hpp), and the
// lineage its metadata's merge recipes state. The statements themselves are
// built by ledger/attest.hpp, which never reads a model file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/examine/examine.hpp"
#include "pedigree/hash/hash_cache.hpp"
#include "pedigree/ledger/attest.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::examine {

// A model file as `attest model` records it.
struct ModelFile {
  ledger::FileFacts facts;  // every identity and the architecture
  // FingerprintPass::k_build, for a checkpoint: the serialized fingerprint
  // (the bytes of a `.fp`), or why there is none, prefixed with the path.
  std::optional<std::string> fp_file;
  std::optional<Error> fp_error;
};

// Hashes `path` (every identity; through `cache` when given and no
// fingerprint is wanted) and, with k_build, fingerprints it in the same pass.
// NotSupported for a diffusers folder (no single file SHA-256).
Result<ModelFile> examine_model_file(const std::filesystem::path& path, hash::HashCache* cache,
                                     FingerprintPass fingerprint);

// Groups per .units file of a ledger event: ~768 KiB, so that an event (its
// payload base64 twice over) stays well under 2 MiB.
inline constexpr std::size_t k_units_event_bytes = std::size_t(768) << 10;

// The unit signatures of the checkpoint at `path` (fingerprint/units.hpp) as
// .units files of at most about `max_bytes` of groups each (a larger group
// gets a file of its own; SIZE_MAX: one file), for a base reference's
// `attest`. Empty when the file has no unit group. Reads the groups' tensors
// (a second read of those bytes after examine_model_file).
Result<std::vector<std::string>> unit_signature_files(const std::filesystem::path& path,
                                                      std::size_t max_bytes = k_units_event_bytes);

// The lineage statement that the merge recipes in `path`'s metadata state
// (basis "file-metadata"), plus one line per recipe parent that could not be
// recorded (no full SHA-256 stated). NotFound when the metadata names no
// parent with a full SHA-256. Reads the file's header only.
struct MetadataLineage {
  ledger::Statement statement;
  std::vector<std::string> skipped;
};
Result<MetadataLineage> lineage_from_metadata(const std::filesystem::path& path,
                                              const ledger::Subject& child);

}  // namespace pedigree::examine
