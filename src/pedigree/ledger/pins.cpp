#include "pedigree/ledger/pins.hpp"

#include <algorithm>

namespace pedigree::ledger {
namespace {

// The reference-ledger key "pedigree reference ledger 2026-1" (Ed25519,
// public key MCowBQYDK2VwAyEA0Dm9iixG7qv/GwSRbP4CnZMaNUyNXfRHFvf2cDBivzM=).
// It signs reference facts: model identities and their reference roles (the
// `reference` scope), published recipes (lineage), public declarations
// (claim), reference fingerprints, and the revocations that retract any of them.
constexpr const char* k_reference_key_2026_1 =
    "669683d88aace2178daba06af30080caf9da78e48faf461496e90148f1c9d7a1";

}  // namespace

std::span<const PinnedKey> compiled_pins() {
  static const std::vector<PinnedKey> pins = {
      {k_reference_key_2026_1,
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
