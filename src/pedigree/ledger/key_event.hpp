// A key's lifecycle in the ledger: a `key` event about the key itself (its
// keyid is the subject), signed by that key, says it is retired:
//   - "rotated": a planned rotation to a successor key. The old key's
//     statements present in the ledger at `ledger_commit` (the HEAD the
//     owner rotated at) keep counting; any other statement of it does not.
//   - "compromised": none of the key's statements count any more, earlier
//     ones included (whoever stole it may have signed them).
// A successor is named with its own signature over the succession
// (succession_payload), so both keys sign; trust then follows the successor
// with the old key's scopes only where the old key was trusted. Spec:
// docs/trust.md#key-lifecycle, docs/formats/ledger.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

inline constexpr std::string_view k_succession_payload_type =
    "application/vnd.pedigree.key-succession+json";

enum class KeyRetirement { k_rotated, k_compromised };

// The canonical bytes a successor signs (as a DSSE PAE with
// k_succession_payload_type): {"_type":"https://pedigree.dev/key-succession/v1",
// "from":<old keyid>,"reason":"rotated"|"compromised","to":<new keyid>}.
std::string succession_payload(std::string_view from, std::string_view to, KeyRetirement reason);

// The key event retiring `old_key` (signed later by old_key itself), naming
// `successor` (which signs the succession now) when given. A rotation needs
// a successor and the ledger's HEAD commit (40 hex). InvalidArgument otherwise.
Result<Statement> key_event_statement(const crypto::PrivateKey& old_key,
                                      const crypto::PrivateKey* successor, KeyRetirement reason,
                                      const std::string& ledger_commit, const std::string& note);

// The rules of a key event that need its signer and the keys (after
// validate_predicate): the signer is the subject (a key retires only itself),
// and the successor's signature verifies (NotFound when the successor's key
// is not in `keys`, Untrusted when it does not verify).
Result<void> verify_key_event(const Statement& statement, std::string_view signer,
                              const KeyRing& keys, std::string_view what);

}  // namespace pedigree::ledger
