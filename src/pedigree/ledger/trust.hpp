// Trust policy: which keys count, for which predicates. Pinned keys are
// compiled into the binary (pins.hpp: the reference-ledger key, trusted for
// reference facts); the user's own choices live in
// $XDG_CONFIG_HOME/pedigree/trust.json. Everything else is untrusted: shown,
// never used for a verdict. Spec: docs/trust.md, docs/reference-ledger.md.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

enum class TrustSource { k_pinned, k_user };

// Whether a key may give models a reference role (k_reference_scope in
// ledger.hpp). Only ever granted by name: `trust add KEY` without it, and
// trust.json entries written before the scope existed, do not grant it.
enum class ReferenceScope { k_excluded, k_included };

struct TrustEntry {
  std::string keyid;
  std::vector<PredicateKind> predicates;
  TrustSource source = TrustSource::k_user;
  ReferenceScope reference = ReferenceScope::k_excluded;
};

class TrustPolicy {
public:
  // config_dir()/trust.json.
  static Result<std::filesystem::path> default_file();
  // Reads the user's file (absent = empty) and adds `pins` as pinned entries.
  // pedigree itself passes compiled_pins() (pins.hpp), never a LEDGER.json's.
  static Result<TrustPolicy> load(const std::filesystem::path& file,
                                  std::span<const PinnedKey> pins);
  // The same with the pins `bundled` lists (nullptr: none). For tests and
  // tools that pin a key of their own; never used for the user's ledger.
  static Result<TrustPolicy> load(const std::filesystem::path& file, const LedgerInfo* bundled);

  bool trusts(std::string_view keyid, PredicateKind kind) const;
  // Whether `keyid` may give models a reference role (the reference scope).
  bool trusts_references(std::string_view keyid) const;
  const std::vector<TrustEntry>& entries() const { return m_entries; }

  // Trusts `keyid` (64 hex) for `predicates` (replacing an earlier user
  // entry). Empty `predicates`: every predicate, or only `model` when the
  // reference scope is included. The reference scope implies `model`.
  Result<void> add(const std::string& keyid, std::vector<PredicateKind> predicates,
                   ReferenceScope reference = ReferenceScope::k_excluded);
  // Removes the user's entry; NotFound if none (pinned keys stay pinned).
  Result<void> remove(const std::string& keyid);
  // Writes the user's entries back atomically.
  Result<void> save() const;

private:
  std::filesystem::path m_file;
  std::vector<TrustEntry> m_entries;
};

}  // namespace pedigree::ledger
