// Trust policy: which keys count, for which predicates. Pinned keys come from
// the bundled ledger's LEDGER.json and are trusted for the predicates listed
// there (reference facts); the user's own choices live in
// $XDG_CONFIG_HOME/pedigree/trust.json. Everything else is untrusted: shown,
// never used for a verdict. Spec: docs/trust.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

enum class TrustSource { k_pinned, k_user };

struct TrustEntry {
  std::string keyid;
  std::vector<PredicateKind> predicates;
  TrustSource source = TrustSource::k_user;
};

class TrustPolicy {
public:
  // config_dir()/trust.json.
  static Result<std::filesystem::path> default_file();
  // Reads the user's file (absent = empty) and adds the pinned keys of `bundled`.
  static Result<TrustPolicy> load(const std::filesystem::path& file, const LedgerInfo* bundled);

  bool trusts(std::string_view keyid, PredicateKind kind) const;
  const std::vector<TrustEntry>& entries() const { return m_entries; }

  // Trusts `keyid` (64 hex) for `predicates` (replacing an earlier user entry).
  Result<void> add(const std::string& keyid, std::vector<PredicateKind> predicates);
  // Removes the user's entry; NotFound if none (pinned keys stay pinned).
  Result<void> remove(const std::string& keyid);
  // Writes the user's entries back atomically.
  Result<void> save() const;

private:
  std::filesystem::path m_file;
  std::vector<TrustEntry> m_entries;
};

}  // namespace pedigree::ledger
