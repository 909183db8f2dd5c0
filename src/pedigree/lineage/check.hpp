// `pedigree check` as a library call: resolve a target (a model file, a
// pasted hash, a model name or a generated image), gather evidence and decide.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/examine/examine.hpp"
#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/hints/hints.hpp"
#include "pedigree/lineage/facts.hpp"
#include "pedigree/lineage/hint_evidence.hpp"
#include "pedigree/lineage/picture_verdict.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/lineage/resolve.hpp"
#include "pedigree/lineage/source.hpp"
#include "pedigree/lineage/verdict.hpp"
#include "pedigree/pictures/image_metadata.hpp"
#include "pedigree/scan/scan.hpp"
#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::lineage {

// Largest image file read whole for its metadata.
inline constexpr std::uint64_t k_max_image_bytes = 256ull << 20;

struct CandidateVerdict {
  Candidate candidate;
  std::string via;  // what named it, e.g. "parameters (Model hash, Model)"
  Verdict verdict;
};

// The checked file's own fingerprint compared with one already held for the
// same artifact (a trusted fingerprint event, or the local reference store):
// how anyone holding the file re-verifies a published fingerprint.
struct FingerprintCheck {
  std::string sha256;  // the artifact: the file's SHA-256, or the reference its weights equal
  std::string name;
  std::string origin;  // "event <id>" (published) or "local <path>"
  bool matches = false;
};

// A hash a file declares about itself in its metadata, against the one
// pedigree computed (such hashes are never trusted: domain.md §2).
struct DeclaredHashCheck {
  std::string key;       // "modelspec.hash_sha256" or "sshs_model_hash"
  std::string declared;  // as written
  std::string kind;      // what it is meant as: "autov3" (SHA-256 of the tensor data)
  std::string computed;  // pedigree's value of that kind, "" when it cannot be computed
  bool matches = false;
};

struct CheckReport {
  std::string input;
  std::string kind;         // "file", "hash", "name", "image"
  TargetIdentity identity;  // for a file: its hashes; otherwise what was typed
  std::optional<pictures::ImageMetadata> image;
  // Artifacts the input may denote (several for AutoV1 collisions, names, images).
  std::vector<CandidateVerdict> candidates;
  // A picture: every resource it names, each judged (lineage/picture_verdict.hpp).
  std::vector<ResourceVerdict> resources;
  Verdict verdict;  // the overall answer (== the single candidate's when there is one)
  // What check did beside deciding: the fingerprint references used (or why
  // none), a reference fingerprint stored locally and how to publish it.
  std::vector<std::string> notes;
  // A model file only: its fingerprint against each one already known for it.
  std::vector<FingerprintCheck> fingerprint_checks;
  // A model file only: the hashes its metadata declares about itself, compared.
  std::vector<DeclaredHashCheck> declared_hashes;
  // Unsigned hints from community sites that match the target (hint_evidence.hpp).
  std::vector<HintFinding> hints;
};

// Whether scan_file_identity also builds the file's fingerprint in its pass.
using FingerprintPass = examine::FingerprintPass;

struct CheckOptions {
  scan::ScanOptions scan;  // threads, progress
  FingerprintPass fingerprint = FingerprintPass::k_build;
  ReferenceStore references{std::filesystem::path()};  // local reference fingerprints
  // Unsigned hints imported from community sites (not owned; nullptr: none).
  // Shown and weighed below signed facts by check_scanned and check_identifier.
  const hints::HintStore* hints = nullptr;
};

// What one scan of a model file yields: its identity (SHA-256, weights and
// UNet hashes via hash/), the merge recipes in its metadata (formats/recipes,
// forgeable) and, once wired in, its fingerprint estimate.
struct FileScanResult {
  TargetIdentity identity;
  // The file that was read, when it was a file on this machine (empty for an
  // upload's stream): what re-alignment reads again (lineage/realign.hpp).
  std::filesystem::path file;
  // stat(2) of `file` taken before the pass: a second read (re-alignment, unit
  // signatures of a base) goes ahead only when the file is still this one.
  std::optional<FileStat> file_stat;
  std::optional<fingerprint::Fingerprint> sketch;  // the file's own fingerprint (k_build)
  std::string sketch_error;                        // why there is none although it was asked for
  // The file's EMA copy of the UNet sketched as a UNet (lineage/ema_evidence.hpp),
  // or why it could not be; both empty when the file has no EMA copy.
  std::optional<fingerprint::Fingerprint> ema_sketch;
  std::string ema_sketch_error;
  std::optional<FingerprintResult> fingerprint;
  std::optional<VaeShareResult> vae_share;  // its VAE against the leaked NAI VAE
  std::vector<MetadataRecipe> recipes;
  std::vector<DeclaredHashCheck> declared_hashes;  // self-declared hashes, compared
};

// Hashes a model file or diffusers folder in one pass (examine::examine_opened,
// with the fingerprint builder as one more sink of the same pass when asked)
// and decodes the recipes in its metadata. A file that is not a readable
// checkpoint still gets its SHA-256.
Result<FileScanResult> scan_file_identity(const std::filesystem::path& path,
                                          FingerprintPass pass = FingerprintPass::k_skip,
                                          const scan::ScanOptions& scan = {});

// Checks one target. A path that exists is a file (image or model); anything
// else is a hash if it looks like one, else a model name. Errors: NotFound /
// IO for unreadable files, Corruption for malformed images, NotSupported for
// folders that are not diffusers checkpoints.
// For a model file, the fingerprint is estimated against the reference
// fingerprints of `source` (and of options.references); when the file IS a
// reference model without a known fingerprint, its fingerprint is stored in
// options.references (reference bootstrap) and a note says how to publish it.
Result<CheckReport> check_target(FactSource& source, std::string_view target,
                                 const CheckOptions& options = {});

// The verdict for what a scan of a model file yielded (the second half of
// checking a file; the first is scan_file_identity or an UploadScan).
// `input` names the file in the report. Reference bootstrap as check_target
// (nothing is stored when options.references is disabled).
Result<CheckReport> check_scanned(FactSource& source, FileScanResult scanned,
                                  const std::string& input, const CheckOptions& options = {});

// Checks pasted text (a hash in any form, a model name, ...) without ever
// reading the file system: what check_target does with a target that is not
// an existing path. For servers, where text from a request must never name
// a file on the server's machine.
Result<CheckReport> check_identifier(FactSource& source, std::string_view target,
                                     const CheckOptions& options = {});

// Checks a picture held in memory (an upload) as check_target checks a
// picture file; `name` names it in the report. InvalidArgument when the
// bytes are not a PNG, JPEG or WebP picture or exceed k_max_image_bytes.
Result<CheckReport> check_picture(FactSource& source, std::string_view name, ByteView bytes);

// The artifacts `target` denotes, for `tree` and `graph`: an existing file
// by its SHA-256 (it is hashed; no fingerprint), anything else as a pasted
// hash or a model name. No candidates when the ledger knows none.
Result<Resolution> resolve_target(FactSource& source, std::string_view target);

// Combines the verdicts of several candidates: only trusted candidates
// decide (Candidate::trusted); one gives its own; several that agree give
// their class at the lowest confidence; several that disagree give `unknown`
// (a collision cannot decide). Without a trusted candidate the verdict is
// `unknown` (fail closed). Untrusted candidates are added as evidence that
// does not count (kind "resolution", naming the event).
Verdict combine_candidates(const std::vector<CandidateVerdict>& candidates);

}  // namespace pedigree::lineage
