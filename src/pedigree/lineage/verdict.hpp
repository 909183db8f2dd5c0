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

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/lineage/ancestry.hpp"
#include "pedigree/lineage/facts.hpp"
#include "pedigree/lineage/licence.hpp"

namespace pedigree::lineage {

// First day of the licensed release (HF commits dated 2024-08-20): a model
// published before it can only carry NAI weights from the leak.
inline constexpr std::string_view k_official_release_date = "2024-08-20";
inline constexpr std::string_view k_official_licence =
    "CreativeML OpenRAIL-M + CC BY-NC-SA 4.0 (both apply): non-commercial use only, attribution "
    "to NovelAI, derivatives under the same terms (share-alike)";

// The lineage relation of an adapter (LoRA, embedding, hypernetwork) trained
// on a model: derived from it without carrying its weights.
inline constexpr std::string_view k_relation_trained_on = "trained-on";

enum class VerdictClass { k_nai_leak, k_nai_official, k_nai, k_no_nai_found, k_unknown };
// "nai-leak", "nai-official", "nai", "no-nai-found", "unknown".
std::string_view verdict_name(VerdictClass verdict);

struct ShareEstimate {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// The three outcomes of fingerprint evidence (lineage/fingerprint_policy.hpp):
// present (NAI share significantly above the detection limit), absent (good
// coverage, alignment and fit, and the interval's upper end below the limit),
// inconclusive (anything else: it never counts toward "clean").
enum class FingerprintOutcome { k_present, k_absent, k_inconclusive };
// "present", "absent", "inconclusive".
std::string_view fingerprint_outcome_name(FingerprintOutcome outcome);

// Why a fingerprint estimate is not conclusive.
struct FingerprintReason {
  std::string code;    // coverage, alignment, fit, interval, ambiguous-share
  std::string detail;  // one sentence with the measured numbers
};

// One copy of the UNet a file ships (the UNet, or its EMA copy), as judged.
struct FingerprintCopy {
  std::string component;  // "unet" or "unet_ema"
  FingerprintOutcome outcome = FingerprintOutcome::k_inconclusive;
  std::optional<ShareEstimate> share;  // nullopt when it could not be estimated
  std::string summary;                 // or why it could not be
};

// How much of the UNet the estimate saw, and what the scan left out.
struct FingerprintCoverage {
  double unet_params = 0;  // fraction of the base reference's UNet parameters covered
  std::uint64_t unet_tensors = 0, reference_tensors = 0;  // covered / in the base reference
  std::uint64_t missing_tensors = 0, shape_mismatch_tensors = 0;
  bool scanned = false;   // the fields below come from this scan (not from a .fp file)
  double sd1_params = 0;  // fraction of the canonical SD1.x UNet sketched with its shape
  std::uint64_t unet_tensors_present = 0, unet_tensors_sketched = 0;
  std::map<std::string, std::uint64_t> skipped;  // "unsupported-dtype F8_X" / "unknown-name" -> n
  std::vector<std::string> skipped_examples;
};

// The fingerprint estimator's answer for the target (filled by the caller
// from fingerprint/ when the file and reference fingerprints are available).
// Which calibrated configuration a fingerprint estimate used: the nuisance
// references (trusted `independent` models with a fingerprint), the projection
// rank and the threshold set calibrated for that many nuisance references.
struct FingerprintConfiguration {
  std::vector<std::string> nuisance;  // display names, in fit order
  // Trusted independents left out as the same model as one in `nuisance`
  // (policy::k_same_model_update_distance): "name (same weights as other)".
  std::vector<std::string> nuisance_duplicates;
  unsigned projection_rank = 0;
  std::string thresholds;  // name of the calibrated set, e.g. "nuisance-0"
  double overall_threshold = 0;
  double block_threshold = 0;
};

// The target sketched again in a base's frame after its hidden units were
// matched to the base's (fingerprint/units.hpp): re-ordered, rescaled.
struct UnitRealignment {
  std::string base;        // display name of the base whose unit signatures were used
  bool confident = false;  // every unit matched clearly: the estimate below is the aligned one
  std::uint64_t units = 0, moved = 0, rescaled = 0, flipped = 0, ambiguous = 0;
  double weakest_match = 1;  // lowest signature cosine of a moved unit matched (1: none moved)
  std::string summary;       // UnitAlignment::describe()
};

struct FingerprintResult {
  ShareEstimate share;
  bool nai_detected = false;  // == outcome present
  std::string summary;
  FingerprintOutcome outcome = FingerprintOutcome::k_inconclusive;
  std::vector<FingerprintReason> reasons{};  // empty unless inconclusive
  FingerprintCoverage coverage{};
  double max_block_delta = 0;  // alignment: largest per-block |target - base| / |base|
  std::string max_block{};     // the block where it is largest
  std::string aligned_base{};  // the base reference it was measured against
  double fit_r2 = 0;           // parameter-weighted R^2 of the per-block fits
  double detection_limit = 0;  // the share "absent" rules out (fraction of the UNet)
  FingerprintConfiguration configuration;
  std::optional<UnitRealignment> realigned{};  // when a re-alignment was tried
  // A file that also ships an EMA copy of its UNet (lineage/ema_evidence.hpp):
  // which copy this result describes ("unet", or "unet_ema" when NAI shows in
  // the EMA copy only), and both copies' outcomes.
  std::string component = "unet";
  std::vector<FingerprintCopy> copies{};  // empty without an EMA copy
  // The estimator's calibrated presence rule fired (fingerprint::ShareEstimate::present): NAI
  // evidence only on weights aligned with a base, or put in a base's frame by a confident
  // re-alignment (classify). Last, so that aggregate initializers keep their order.
  bool estimator_fired = false;
};

// The leaked NAI VAE's share in the target's VAE, from fingerprints
// (lineage/vae_evidence.hpp): target VAE - base VAE = share * (NAI VAE - base VAE) + rest.
struct VaeShareResult {
  ShareEstimate share;        // fraction of the leaked VAE's update from the base VAE
  double stderr = 0;          // jackknife standard error of share.estimate
  std::string nai_vae;        // display name of the nai-vae reference
  std::string base;           // display name of the base reference whose VAE is the origin
  std::size_t tensors = 0;    // VAE tensors the fit used
  double coverage = 0;        // fraction of the base VAE's parameters those tensors hold
  double relative_delta = 0;  // |target VAE - base VAE| / |base VAE| over the sketches
  bool present = false;       // a merge of the leaked VAE (policy::k_vae_presence_share, z)
  bool rules_out = false;     // no leaked VAE above policy::k_vae_detection_limit
  // The base's VAE itself stored in another precision (every VAE tensor within rounding of
  // the base's; policy::k_vae_precision_tolerance): no share was fitted, nai_vae may be "".
  bool base_in_other_precision = false;
  std::string why_not;  // when neither: the reason in one sentence
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
  // Per-component weights hashes (hash/), of a scanned file or from the
  // candidate's trusted model events; "" when unknown.
  std::string vae_hash;
  std::string text_encoder_hash;
  std::string declared_licence;  // a scanned file's modelspec.license ("" if none)
};

struct CheckInput {
  TargetIdentity target;
  std::vector<MetadataRecipe> recipes;
  std::optional<FingerprintResult> fingerprint;
  std::optional<VaeShareResult> vae_share;  // the VAE against the leaked NAI VAE, when measured
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

// A reference model the verdict relied on, and who made it one: the model
// event giving the role, its signer (trusted for references).
struct ReferenceUse {
  std::string sha256;
  std::string name;
  Role role = Role::k_none;
  std::string used_for;         // "identity", "lineage", "component", "fingerprint"
  std::string event_id;         // the model event that gives the role
  std::string signer;           // its keyid
  std::string signer_identity;  // "Name <email>" when the ledger knows the key, else ""
};

// What one component of the target carries (NAI trained the UNet only; its
// leaked VAE is leaked material of its own).
struct ComponentFinding {
  std::string component;               // "unet", "vae", "text_encoder"
  std::string nai;                     // "yes", "no", "unknown"
  std::string summary;                 // how that is known, or why not
  std::optional<ShareEstimate> share;  // unet: the NAI share when one is known
};

struct Verdict {
  VerdictClass verdict = VerdictClass::k_unknown;
  double confidence = 0;     // 0..1
  std::string summary;       // one sentence
  std::string licence_note;  // non-empty when the licensed release may be the source
  // For a NAI verdict, what the target holds of NAI: "weights" (NAI weights,
  // or the leaked VAE), or "trained-on" when the only counted evidence is of
  // training on NAI (an adapter trained on it, or a model baking one in);
  // "" for other verdicts.
  std::string nai_relation;
  std::optional<ShareEstimate> declared_share;
  std::optional<ShareEstimate> fingerprint_share;
  std::optional<FingerprintResult> fingerprint;  // the fingerprint evidence, when there is one
  std::optional<FingerprintConfiguration> fingerprint_configuration;
  bool shares_disagree = false;
  Ancestry ancestry;
  std::vector<Evidence> evidence;
  std::vector<std::string> next_steps;       // what is unknown and how to resolve it
  std::vector<ComponentFinding> components;  // unet, vae, text_encoder (in that order)
  std::vector<ReferenceUse> references;      // the references used, with who defined them
  LicenceFinding licence;                    // may it be used commercially (lineage/licence.hpp)
};

// Decides the verdict for one resolved target.
Verdict decide(const FactBase& facts, const CheckInput& input);

}  // namespace pedigree::lineage
