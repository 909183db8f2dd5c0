// The verdict: does an artifact carry NAI weights, from the leak or from the
// licensed release, how much, how sure, and on what evidence.
//
// decide() combines evidence strongest first: identity (the file, its weights
// or its UNet is a NAI reference), trusted declared lineage, recipes in the
// file's metadata (forgeable), the fingerprint estimate, trusted claims.
// Policy is monotonic: `no-nai-found` needs positive trusted evidence
// (complete ancestry to base references, a clean fingerprint or a trusted
// "no" claim) AND no NAI evidence of any status, so distrusting or revoking an
// event can move a verdict toward `unknown`, never from NAI to clean.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/lineage/ancestry.hpp"
#include "pedigree/lineage/facts.hpp"

namespace pedigree::lineage {

// First day of the licensed release (HF commits dated 2024-08-20): a model
// published before it can only carry NAI weights from the leak.
inline constexpr std::string_view k_official_release_date = "2024-08-20";
inline constexpr std::string_view k_official_licence =
    "CreativeML OpenRAIL-M + CC BY-NC-SA 4.0 (both apply): non-commercial use only, attribution "
    "to NovelAI, derivatives under the same terms (share-alike)";

enum class VerdictClass { k_nai_leak, k_nai_official, k_nai, k_no_nai_found, k_unknown };
// "nai-leak", "nai-official", "nai", "no-nai-found", "unknown".
std::string_view verdict_name(VerdictClass verdict);

struct ShareEstimate {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// The fingerprint estimator's answer for the target (filled by the caller
// from fingerprint/ when the file and reference fingerprints are available).
// Which calibrated configuration a fingerprint estimate used: the nuisance
// references (trusted `independent` models with a fingerprint), the projection
// rank and the threshold set calibrated for that many nuisance references.
struct FingerprintConfiguration {
  std::vector<std::string> nuisance;  // display names, in fit order
  unsigned projection_rank = 0;
  std::string thresholds;  // name of the calibrated set, e.g. "nuisance-0"
  double overall_threshold = 0;
  double block_threshold = 0;
};

struct FingerprintResult {
  ShareEstimate share;
  bool nai_detected = false;  // the estimator's calibrated decision
  std::string summary;
  FingerprintConfiguration configuration;
};

// A parent named by a merge recipe inside the file's own metadata (forgeable).
struct MetadataRecipe {
  std::string parent;    // SHA-256, short hash or name as written
  std::string resolved;  // SHA-256 of a known artifact it resolves to, or ""
  std::string relation;
  std::optional<double> weight;
  std::string source;  // e.g. "sd_merge_recipe", "supermerger", "modelspec.merged_from"
};

// What identifies the target, as far as it is known.
struct TargetIdentity {
  std::string input;         // what the user typed
  std::string kind;          // "file", "hash", "name", "image"
  std::string sha256;        // the artifact decided on ("" when unresolved)
  std::string matched_by;    // hash kind or "name" that matched ("" for a scanned file)
  bool weak_match = false;   // matched only by AutoV1 / CRC32 (8 hex)
  std::string weights_hash;  // pedigree weights hash of a scanned file
  std::string unet_hash;     // pedigree UNet hash of a scanned file
};

struct CheckInput {
  TargetIdentity target;
  std::vector<MetadataRecipe> recipes;
  std::optional<FingerprintResult> fingerprint;
};

// One piece of evidence, shown whether or not it counted.
struct Evidence {
  std::string kind;  // identity, lineage, metadata, fingerprint, claim, weak-hash, cycle, conflict
  std::string strength;   // decisive, strong, moderate, weak, ignored
  bool counts = true;     // false for untrusted/revoked/refused evidence
  bool says_nai = false;  // whether it points at NAI
  std::string summary;
  std::string event_id;  // "" when not from an event
  std::string signer;
};

struct Verdict {
  VerdictClass verdict = VerdictClass::k_unknown;
  double confidence = 0;     // 0..1
  std::string summary;       // one sentence
  std::string licence_note;  // non-empty when the licensed release may be the source
  std::optional<ShareEstimate> declared_share;
  std::optional<ShareEstimate> fingerprint_share;
  std::optional<FingerprintConfiguration> fingerprint_configuration;
  bool shares_disagree = false;
  Ancestry ancestry;
  std::vector<Evidence> evidence;
  std::vector<std::string> next_steps;  // what is unknown and how to resolve it
};

// Decides the verdict for one resolved target.
Verdict decide(const FactBase& facts, const CheckInput& input);

}  // namespace pedigree::lineage
