// The keys pinned into this pedigree binary: the project's reference-ledger
// key(s), trusted for the listed predicates whatever any LEDGER.json says.
// The bundled ledger's LEDGER.json lists the same pins for readers; a pin that
// a LEDGER.json adds (an edited or foreign ledger) is ignored. Rotating the
// key means a new binary. Policy and procedures: docs/reference-ledger.md.
#pragma once

#include <span>

#include "pedigree/ledger/ledger.hpp"

namespace pedigree::ledger {

// The compiled-in pins, in a fixed order. Never empty in a release build.
std::span<const PinnedKey> compiled_pins();

// The LEDGER.json pins of `info` that are not compiled in (ignored, but worth
// reporting: someone edited the file or it comes from another project).
std::vector<PinnedKey> uncompiled_pins(const LedgerInfo& info);

}  // namespace pedigree::ledger
