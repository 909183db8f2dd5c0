#include "pedigree/ledger/pins.hpp"

#include <algorithm>

namespace pedigree::ledger {
namespace {

// The reference-ledger key "pedigree reference ledger 2026-2" (Ed25519,
// public key MCowBQYDK2VwAyEAK5IuhmgLefSKpjG+/FK7QEXong2m3mN/aTTPmu9gkAk=).
// It signs reference facts: model identities and their reference roles (the
// `reference` scope), published recipes (lineage), public declarations
// (claim), reference fingerprints, and the revocations that retract any of them.
//
// It replaces key 2026-1 (669683d8…c9d7a1), whose private half was lost
// (docs/reference-ledger.md, "Key 2026-1 retired"). A key nobody can vouch for
// is no longer pinned: events it signed in existing ledgers read `untrusted`,
// and the same facts arrive re-signed by this key with the bundled ledger.
constexpr const char* k_reference_key_2026_2 =
    "ca0153d5e2b7f6ebfd68e6fff5463060b1998d46041ee44932036cc764ed94d5";

}  // namespace

std::span<const PinnedKey> compiled_pins() {
  static const std::vector<PinnedKey> pins = {
      {k_reference_key_2026_2,
       {PredicateKind::k_model, PredicateKind::k_lineage, PredicateKind::k_fingerprint,
        PredicateKind::k_claim, PredicateKind::k_revocation},
       /*reference=*/true},
  };
  return pins;
}

std::vector<PinnedKey> uncompiled_pins(const LedgerInfo& info) {
  std::vector<PinnedKey> out;
  auto pins = compiled_pins();
  for (const auto& p : info.pinned_keys) {
    bool known = std::any_of(pins.begin(), pins.end(),
                             [&](const PinnedKey& c) { return c.keyid == p.keyid; });
    if (!known) out.push_back(p);
  }
  return out;
}

}  // namespace pedigree::ledger
