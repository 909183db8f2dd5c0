// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse, protocol v1).
//
// An envelope carries a payload, its type and signatures over
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
// with lengths in ASCII decimal and the body as raw bytes (not base64).
// pedigree stores envelopes as canonical JSON (see canonical_json.hpp):
//   {"payload":"<b64>","payloadType":"<type>","signatures":[{"keyid":"<hex>","sig":"<b64>"}]}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::crypto {

// At most this many signatures are accepted in one envelope.
inline constexpr std::size_t k_max_signatures = 8;

struct Signature {
  std::string keyid;  // lower-case hex SHA-256 of the signer's raw public key
  std::string sig;    // raw signature bytes (64 for Ed25519)
};

struct Envelope {
  std::string payload_type;
  std::string payload;  // the exact signed bytes (decoded from base64)
  std::vector<Signature> signatures;
};

// The pre-authentication encoding that signatures cover.
std::string pae(std::string_view payload_type, std::string_view payload);

// An envelope over `payload` signed by `key`.
Result<Envelope> sign_envelope(std::string_view payload_type, std::string payload,
                               const PrivateKey& key);

// Canonical JSON bytes of `envelope`.
std::string serialize_envelope(const Envelope& envelope);

// Parses canonical envelope JSON of at most `max_bytes`: exactly the members
// payload, payloadType, signatures (1..k_max_signatures, each exactly keyid
// and sig), strict base64. Corruption naming `what` and the field otherwise.
Result<Envelope> parse_envelope(std::string_view bytes, std::string_view what,
                                std::size_t max_bytes);

// Verifies the signature made by `key` (matched by keyid) over the PAE of the
// envelope's exact payload bytes. NotFound when no signature has that keyid,
// Untrusted when it does not verify.
Result<void> verify_envelope(const Envelope& envelope, const PublicKey& key);

}  // namespace pedigree::crypto
