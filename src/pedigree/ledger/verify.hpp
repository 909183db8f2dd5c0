// Verifying one event file: the per-file half of ledger verification, shared
// by `pedigree verify`, the index and sync (issue 7), which checks each
// incoming file before accepting it. Ledger-wide rules (duplicates,
// revocations, stray files) live in the index (index/index.hpp).
#pragma once

#include <string>
#include <string_view>

#include "pedigree/crypto/dsse.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

struct VerifiedEvent {
  std::string event_id;  // SHA-256 of the file bytes (== its file name)
  std::string signer;    // keyid
  std::string payload_sha256;
  std::string payload;  // exact signed bytes
  Statement statement;
};

// Checks, in this order: size <= k_max_event_bytes; the path is an event path;
// the file name is the SHA-256 of `bytes`; a canonical DSSE envelope with
// the in-toto payloadType and exactly one signature; the signer is in `keys`
// (NotFound "unknown key" otherwise); the signature verifies over the PAE of
// the exact payload bytes (Untrusted otherwise); only then the payload is
// parsed as a canonical Statement (Corruption) whose subject SHA-256 equals
// the subject directory; a `key` event must be about its own signer and its
// successor's signature must verify (key_event.hpp). Every message starts
// with `rel_path`.
Result<VerifiedEvent> verify_event_file(std::string_view rel_path, std::string_view bytes,
                                        const KeyRing& keys);

// The keyid of the (single) signature of an event file, without verifying
// anything; empty when the file is not an envelope. For reports about events
// whose key is unknown.
std::string claimed_signer(std::string_view bytes);

// Builds the envelope file bytes for `statement` signed by `key`; InvalidArgument
// when the statement is invalid or the file would exceed k_max_event_bytes.
Result<std::string> sign_statement(const Statement& statement, const crypto::PrivateKey& key);

}  // namespace pedigree::ledger
