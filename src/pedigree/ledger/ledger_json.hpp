// LEDGER.json, the one file that says what a ledger directory is: its format,
// its name and the keys it pins. It arrives from remotes like every other
// file, so its reader is fuzzed (fuzz/input_checks.hpp, "ledger_json").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pedigree/ledger/event.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

inline constexpr int k_ledger_format = 1;
// Largest LEDGER.json read (a real one is a few hundred bytes).
inline constexpr std::size_t k_max_ledger_json = 64 * 1024;

// The trust scope, beside the predicates, for giving a model a reference role
// (base, nai-leak, nai-official, nai-vae, ...) in a model event. Written
// "reference" in the "for" lists of LEDGER.json and trust.json; it implies
// `model` (the role is a field of a model event). docs/trust.md.
inline constexpr std::string_view k_reference_scope = "reference";

// A key pinned by a ledger's LEDGER.json ("pinned_keys"): trusted for `predicates`
// (and for reference roles when `reference`) when that ledger is the bundled one.
struct PinnedKey {
  std::string keyid;
  std::vector<PredicateKind> predicates;
  bool reference = false;
};

// LEDGER.json: {"format":1,"name":"...","pinned_keys":[{"keyid":..,"for":[..]}]}.
struct LedgerInfo {
  int format = k_ledger_format;
  std::string name;
  std::vector<PinnedKey> pinned_keys;
};

// Parses LEDGER.json bytes; Corruption naming `what` and the field otherwise.
Result<LedgerInfo> parse_ledger_json(std::string_view bytes, std::string_view what);
std::string ledger_json_text(const LedgerInfo& info);

}  // namespace pedigree::ledger
