// Building the statements `pedigree attest` signs, from what a model file is
// (examine/attest.hpp reads the file) and from what the user typed. Nothing
// here reads a model file, signs or writes: Ledger::add_event does.
// Predicate fields: docs/formats/ledger.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

// The `spec` value of fingerprint predicates holding a spec v1 `.fp`.
inline constexpr std::string_view k_fingerprint_spec = "pedigree-fingerprint-v2";
// The `spec` of fingerprint predicates holding a base's unit signatures (a
// `.units` file, docs/formats/units-v1.md; fingerprint/units.hpp), split over
// several events when large: readers merge the groups of every such event.
inline constexpr std::string_view k_units_spec = "pedigree-units-v1";

// What a file is, by content: its hashes and (for checkpoints) architecture.
struct FileFacts {
  hash::ModelHashes hashes;
  std::string architecture;  // formats::architecture_name, "" when not a checkpoint
};

// The subject of events about a hashed file: its SHA-256, weights hash, file name.
Subject subject_of(const FileFacts& facts);

// Optional fields of a model predicate given on the command line.
struct ModelDetails {
  std::string title, published, source, license, role;
};

// A model statement recording every identity of the file plus `details`.
// InvalidArgument naming the field when a detail is malformed (published must
// be YYYY-MM-DD, YYYY-MM or YYYY; role base|nai-leak|nai-official|nai-vae|independent).
Result<Statement> model_statement(const FileFacts& facts, const ModelDetails& details);

// A fingerprint statement (spec k_units_spec) about `subject` holding one
// `.units` file.
Result<Statement> units_statement(const Subject& subject, std::string_view units_file);

// A fingerprint statement about `subject` holding `fp_file`, a serialized
// fingerprint (fingerprint::serialize, the bytes of a `.fp`), in base64.
Result<Statement> fingerprint_statement(const Subject& subject, std::string_view fp_file);

// One parent of a lineage statement, already resolved to digests.
struct ParentRef {
  std::string sha256;                      // 64 hex
  std::string weights;                     // optional pedigree weights hash
  std::string name;                        // optional display name
  std::string weight;                      // optional decimal string
  std::vector<std::string> block_weights;  // optional, 26 decimal strings
};

struct LineageDetails {
  std::string relation;  // merge|finetune|add-difference|lora-bake|conversion|same-weights
  std::string method;
  std::string basis = "author-statement";
  std::string note;
};

// Largest weight magnitude accepted for an add-difference parent (A + α(B − C)
// uses α and −α; community recipes stay well below it).
inline constexpr double k_max_add_difference_weight = 10.0;

// Checks the parents' weights (decimal strings) against the relation: each in
// [0, 1], or in [−k_max_add_difference_weight, k_max_add_difference_weight]
// for add-difference (only there may a weight be negative); block weights
// likewise. InvalidArgument naming the parent otherwise. Returns warnings,
// e.g. when every parent has a weight and they do not sum to 1 (a merge is
// an affine combination).
Result<std::vector<std::string>> check_parent_weights(const std::vector<ParentRef>& parents,
                                                      const LineageDetails& details);

// A lineage statement; InvalidArgument naming the field when it is not valid.
Result<Statement> lineage_statement(const Subject& child, const std::vector<ParentRef>& parents,
                                    const LineageDetails& details);

// A claim statement; `evidence` items are "url:URL", "text:TEXT" or
// "image-sha256:HEX". InvalidArgument naming the item otherwise.
Result<Statement> claim_statement(const Subject& subject, const std::string& contains_nai,
                                  const std::string& basis,
                                  const std::vector<std::string>& evidence);

// A revocation of `event_id` (an event about `subject`).
Result<Statement> revocation_statement(const Subject& subject, const std::string& event_id,
                                       const std::string& reason);

// A decimal string for a weight, e.g. 0.3 -> "0.3", -1 -> "-1" (at most 9 decimals).
std::string decimal_string(double value);

}  // namespace pedigree::ledger
