// Resolving what the user typed (a pasted hash of any community form, or a
// model name) to the artifacts the ledger knows.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pedigree/lineage/facts.hpp"

namespace pedigree::lineage {

// One artifact a hash or name matched, and how.
struct Candidate {
  std::string sha256;
  std::string name;
  std::string matched_by;  // "sha256", "autov2", "sha256_12", "autov1", "crc32", "crc32_civitai",
                           // "autov3", "blake3", "weights", "unet", "name"
  // False when only events that do not count (untrusted or revoked signers)
  // give the artifact this name, or are all that is known of an artifact
  // matched by a hash prefix: such a candidate is listed, never decided on.
  bool trusted = true;
  Provenance named_by;  // for an untrusted candidate: an event that named it
};

struct Resolution {
  std::string input;
  std::string kind;        // "hash" or "name"
  std::string normalized;  // lower-case hex without prefix, or the name as typed
  std::vector<Candidate> candidates;
  // True when every match is by an 8-hex identifier (AutoV1, CRC32): collisions
  // are common and spoofing trivial, so such a match only proposes candidates.
  bool weak = false;
  // The candidates a verdict may rest on (trusted ones; resolve() lists them first).
  std::size_t trusted_count() const;
};

// True when `text` looks like a pasted hash: 8, 10, 12 or 64 hex digits, any
// case, surrounding whitespace, optional "<kind>:" prefix (AutoV1:, AutoV2:,
// AutoV3:, SHA256:, SHA256_12:, CRC32:, BLAKE3:).
bool looks_like_hash(std::string_view text);

// Splits a pasted hash into its lower-case prefix kind and lower-case digits:
// " AutoV2: ABCDEF0123" -> ("autov2", "abcdef0123"); the kind is "" without a prefix.
std::pair<std::string, std::string> split_hash_prefix(std::string_view text);

// Finds every artifact whose SHA-256 or trusted model-event hashes match
// `text` (a hash of any supported form), or, when it is not a hash, whose
// names match it (case-insensitive, with or without a file extension).
// An unknown hash or name yields no candidates (not an error).
// Trusted identities come first: a name given only by untrusted or revoked
// events, or a SHA-256 prefix of an artifact only untrusted events speak
// about, yields a candidate with trusted = false (an attacker's key can name
// any file anything and mint subjects sharing any prefix). A full SHA-256 is
// the file's identity and always trusted.
Resolution resolve(const FactBase& facts, std::string_view text);

}  // namespace pedigree::lineage
