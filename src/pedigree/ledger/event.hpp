// Events: in-toto Statement v1 payloads about one artifact, signed in a DSSE
// envelope (payloadType application/vnd.in-toto+json). Spec: docs/formats/ledger.md.
//
// subject = [{"name": <file name or "sha256:<hex>">, "digest": {"sha256": <hex>,
//            optional "pedigree-weights-v1": <hex>}}]
// One predicateType URI per predicate kind, versioned:
//   https://pedigree.dev/predicate/<kind>/v1
// The event id is the hex SHA-256 of the envelope file's bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pedigree/hash/weights_hash.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

inline constexpr std::string_view k_statement_type = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view k_in_toto_payload_type = "application/vnd.in-toto+json";
// A subject or parent digest may name the weights hash by its own domain.
inline constexpr std::string_view k_weights_digest_name = hash::k_weights_domain;
// Largest event file accepted. Only fingerprint events come near it (a full
// SD1 spec-v2 .fp is ~836 KB without EMA and under 1 MiB with it, 4/3 of that
// as base64, and 4/3 again once the envelope base64-encodes the payload: about
// 1.5-1.8 MB); every other predicate is limited to k_max_small_payload bytes of
// payload. Larger events are refused, never cut.
inline constexpr std::size_t k_max_event_bytes = 2 * 1024 * 1024;
inline constexpr std::size_t k_max_small_payload = 16 * 1024;

// k_key: a key's own lifecycle statement (key_event.hpp: rotated to a
// successor, or revoked as compromised); valid only about its own signer.
enum class PredicateKind { k_model, k_lineage, k_fingerprint, k_claim, k_revocation, k_key };
// The predicates trust is given for (a key event needs no trust: it speaks
// about its own signer).
inline constexpr PredicateKind k_all_predicates[] = {
    PredicateKind::k_model, PredicateKind::k_lineage, PredicateKind::k_fingerprint,
    PredicateKind::k_claim, PredicateKind::k_revocation};
// Every predicate an event may carry.
inline constexpr PredicateKind k_event_predicates[] = {
    PredicateKind::k_model, PredicateKind::k_lineage,    PredicateKind::k_fingerprint,
    PredicateKind::k_claim, PredicateKind::k_revocation, PredicateKind::k_key};

// "model", "lineage", ... and back.
std::string_view predicate_name(PredicateKind kind);
std::optional<PredicateKind> predicate_from_name(std::string_view name);
// "https://pedigree.dev/predicate/model/v1", ... and back.
std::string predicate_type_uri(PredicateKind kind);
std::optional<PredicateKind> predicate_from_uri(std::string_view uri);

struct Subject {
  std::string name;
  std::string sha256;   // 64 lower-case hex digits
  std::string weights;  // pedigree weights hash, empty when unknown
};

struct Statement {
  Subject subject;
  PredicateKind kind = PredicateKind::k_model;
  nlohmann::json predicate = nlohmann::json::object();
};

// True for exactly 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

// Placeholder subjects name a model whose file SHA-256 is not known (only a
// short hash, or nothing: an unpublished merge intermediate), so that lineage
// can still point at it. A placeholder is k_placeholder_prefix (96 zero bits,
// which no real file's SHA-256 reaches without ~2^96 work) followed by the
// first 40 hex digits of SHA-256("pedigree-placeholder/v1:" + key), where `key`
// is a stable namespace string such as "nai-leak/animefull-latest".
// Placeholders are never matched as a file's SHA-256 or as a prefix of one;
// a model event about one must say "identity": "unconfirmed". Spec:
// docs/reference-ledger.md.
inline constexpr std::string_view k_placeholder_prefix = "000000000000000000000000";
std::string placeholder_sha256(std::string_view key);
bool is_placeholder_sha256(std::string_view sha256);
// True for a decimal string such as "0.3", "-1", "0.25" (how weights are written).
bool is_decimal_string(std::string_view text);

// Checks a predicate body against its kind's schema (schema/<kind>.schema.json).
// Corruption naming `what` and the field at fault.
Result<void> validate_predicate(PredicateKind kind, const nlohmann::json& predicate,
                                std::string_view what);

// The rules tying a predicate to its subject: a placeholder subject takes no
// fingerprint, and a model event's "identity": "unconfirmed" is present
// exactly when its subject is a placeholder (whose hashes hold no sha256).
// Corruption naming `what` otherwise.
Result<void> validate_subject_rules(const Statement& statement, std::string_view what);

// Canonical JSON payload bytes of a statement; InvalidArgument if it is not
// valid or, for predicates other than fingerprint, longer than k_max_small_payload.
Result<std::string> statement_payload(const Statement& statement);

// Parses verified payload bytes: canonical JSON, the Statement v1 shape, one
// subject, a known predicateType and a valid predicate. Corruption otherwise.
Result<Statement> parse_statement(std::string_view payload, std::string_view what);

}  // namespace pedigree::ledger
