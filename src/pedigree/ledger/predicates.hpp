// Typed predicate bodies: the one place that reads the fields of an event's
// predicate (docs/formats/ledger.md, schema/<kind>.schema.json). The indexer,
// the index's integrity check and the fact base behind `check` all decode
// through here, so a field is read one way everywhere.
//
// A verified event already passed validate_predicate (event.hpp); the decoders
// still check what their callers rely on (a lineage parent names a digest, a
// revocation names an event) and return Corruption naming `what` instead of
// throwing. Optional text fields of another JSON type read as empty, as they
// always have for the fact base.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pedigree/ledger/event.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

// A `model` predicate: who a file is (names, hashes, publication) and, from a
// key trusted for references, the reference role it plays.
struct ModelPredicate {
  std::string title, file_name, published, license, source;
  std::string civitai_model, civitai_version, hf_repo;
  std::string role;                           // "" or base, nai-leak, ... (lineage::Role)
  std::map<std::string, std::string> hashes;  // kind -> value, text values only
};

// One parent of a `lineage` predicate.
struct LineageParent {
  std::string sha256;   // the parent file's SHA-256; empty when named by weights only
  std::string weights;  // its weights hash (k_weights_digest_name), empty when not given
  std::string name;
  std::string relation;  // merge, finetune, add-difference, lora-bake, conversion, same-weights
  // The coefficient as written (a decimal string), and its value (a JSON number
  // is accepted for the value too); both empty when absent.
  std::optional<std::string> weight_text;
  std::optional<double> weight;
  // The block weights as written (JSON array text), and the values that parse.
  std::optional<std::string> block_weights_text;
  std::vector<double> block_weights;

  // How the parent is named: "sha256" when the file SHA-256 is given, else the
  // weights digest name; digest() is the matching value.
  std::string_view digest_kind() const;
  const std::string& digest() const { return sha256.empty() ? weights : sha256; }
};

struct LineagePredicate {
  std::vector<LineageParent> parents;
  std::string method;
  std::string basis;  // author-statement, file-metadata, fingerprint-analysis, other
};

struct ClaimPredicate {
  std::string contains_nai;  // yes, no, unknown
  std::string basis;
  std::vector<std::pair<std::string, std::string>> evidence;  // (kind, value)
};

struct FingerprintPredicate {
  std::string spec;  // fingerprint spec id; the data stays in the payload
};

struct RevocationPredicate {
  std::string event;  // id of the revoked event (same signer)
};

// A trusted signer's own "unconfirmed" marker: the fact stays out of verdicts.
bool predicate_unconfirmed(const nlohmann::json& predicate);

Result<ModelPredicate> decode_model(const nlohmann::json& predicate, std::string_view what);
Result<LineagePredicate> decode_lineage(const nlohmann::json& predicate, std::string_view what);
Result<ClaimPredicate> decode_claim(const nlohmann::json& predicate, std::string_view what);
Result<FingerprintPredicate> decode_fingerprint(const nlohmann::json& predicate,
                                                std::string_view what);
Result<RevocationPredicate> decode_revocation(const nlohmann::json& predicate,
                                              std::string_view what);

// A decimal weight as events write it ("0.3", "-0.25"); nullopt otherwise.
std::optional<double> parse_decimal(std::string_view text);

}  // namespace pedigree::ledger
