// Verifying one event file: the per-file half of ledger verification, shared
// by `pedigree verify`, the index and sync (issue 7), which checks each
// incoming file before accepting it. Ledger-wide rules (duplicates,
// revocations, stray files) live in the index (index/index.hpp).
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

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
  // The envelope signature was vouched for by a VerifiedSignatures entry
  // rather than checked with Ed25519 in this call.
  bool signature_remembered = false;
};

// Event files whose envelope signature has already been checked with Ed25519,
// each named by the SHA-256 of the file's exact bytes (lower-case hex, the
// event id) and the signer's keyid (the SHA-256 of its public key). An entry
// is a fact that holds forever: those bytes carry a valid signature by that
// key; whether the key is trusted is decided elsewhere, later, every time.
// verify_event_file consults it only after hashing the bytes it was given and
// finding the signer in its key ring, so an entry vouches for no other bytes
// and no other key. Not thread-safe for writing; const lookups may run on
// several threads at once.
class VerifiedSignatures {
public:
  void add(std::string_view event_sha256, std::string_view keyid);
  bool holds(std::string_view event_sha256, std::string_view keyid) const;
  std::size_t size() const { return m_entries.size(); }

private:
  std::unordered_set<std::string> m_entries;  // event id + ' ' + keyid
};

// Checks, in this order: size <= k_max_event_bytes; the path is an event path;
// the file name is the SHA-256 of `bytes`; a canonical DSSE envelope with
// the in-toto payloadType and exactly one signature; the signer is in `keys`
// (NotFound "unknown key" otherwise); the signature verifies over the PAE of
// the exact payload bytes (Untrusted otherwise); only then the payload is
// parsed as a canonical Statement (Corruption) whose subject SHA-256 equals
// the subject directory; a `key` event must be about its own signer and its
// successor's signature must verify (key_event.hpp). Every message starts
// with `rel_path`. With `remembered`, the Ed25519 check of the envelope
// signature is skipped when it holds (SHA-256 of `bytes`, signer): every other
// check still runs (a key event's successor signature included).
Result<VerifiedEvent> verify_event_file(std::string_view rel_path, std::string_view bytes,
                                        const KeyRing& keys,
                                        const VerifiedSignatures* remembered = nullptr);

// The keyid of the (single) signature of an event file, without verifying
// anything; empty when the file is not an envelope. For reports about events
// whose key is unknown.
std::string claimed_signer(std::string_view bytes);

// Builds the envelope file bytes for `statement` signed by `key`; InvalidArgument
// when the statement is invalid or the file would exceed k_max_event_bytes.
Result<std::string> sign_statement(const Statement& statement, const crypto::PrivateKey& key);

}  // namespace pedigree::ledger
