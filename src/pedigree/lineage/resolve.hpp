// Resolving what the user typed (a pasted hash of any community form, or a
// model name) to the artifacts the ledger knows.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pedigree/hash/identifier.hpp"
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
  std::string kind;        // "hash", "air", "hf" or "name" (hash::identifier_kind_name)
  std::string normalized;  // lower-case hex without prefix, AIR/repo key, or the name as typed
  std::vector<Candidate> candidates;
  // True when every match is by an 8-hex identifier (AutoV1, CRC32): collisions
  // are common and spoofing trivial, so such a match only proposes candidates.
  bool weak = false;
  // The candidates a verdict may rest on (trusted ones; resolve() lists them first).
  std::size_t trusted_count() const;
};

// Finds every artifact `id` (hash::classify_identifier) denotes: for a hash
// of any supported form, those whose SHA-256 or trusted model-event hashes
// match it within the kinds the hash may be; for a name, those whose names
// match it (case-insensitive, with or without a file extension); an AIR or
// a Hugging Face repository matches nothing yet (the ledger records no such
// identity), so it resolves to no candidate rather than to a name.
// An unknown hash or name yields no candidates (not an error).
// Trusted identities come first: a name given only by untrusted or revoked
// events, or a SHA-256 prefix of an artifact only untrusted events speak
// about, yields a candidate with trusted = false (an attacker's key can name
// any file anything and mint subjects sharing any prefix). A full SHA-256 is
// the file's identity and always trusted.
Resolution resolve(const FactBase& facts, const hash::Identifier& id);

// classify_identifier(text), then resolve(); its InvalidArgument otherwise.
Result<Resolution> resolve(const FactBase& facts, std::string_view text);

}  // namespace pedigree::lineage
