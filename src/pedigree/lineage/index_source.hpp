// A FactSource over the SQLite index of a ledger (index::Index).
//
// Loads only what a verdict needs: the events about the target and, through
// the parents named by their lineage events (any status, so untrusted and
// revoked claims can be shown), about every ancestor; plus the reference
// models by role. Trusted edges are walked first and a load that reaches
// its bounds marks the FactBase incomplete (a verdict then never says
// `no-nai-found`). Each artifact costs one indexed query, so `check HASH`
// stays fast on a ledger of 100,000 artifacts. Events are taken from their
// verified payloads: valid events count when the trust policy (the index's
// trust table) accepts their signer, revoked ones are kept as revoked;
// invalid, unknown-key and duplicate events are never used.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/index/index.hpp"
#include "pedigree/lineage/reference_store.hpp"
#include "pedigree/lineage/source.hpp"

namespace pedigree::lineage {

// Most artifacts loaded for one target's neighbourhood (a hostile ledger
// cannot make a check unbounded); beyond it the ancestry is left incomplete.
inline constexpr std::size_t k_max_loaded_artifacts = 20000;
// Most parents loaded per artifact from lineage events the trust policy does
// not accept (they are shown, never used; trusted edges are not bounded).
inline constexpr std::size_t k_max_untrusted_parents = 256;

class IndexSource : public FactSource {
public:
  // `index` must outlive the source; `references` supplies locally stored
  // reference fingerprints (may be disabled).
  IndexSource(index::Index& index, ReferenceStore references)
      : m_index(index), m_references(std::move(references)) {}

  Result<Resolution> resolve(std::string_view text) override;
  Result<std::vector<std::string>> artifacts_with_hash(std::string_view kind,
                                                       std::string_view value) override;
  Result<const FactBase*> load(const std::vector<std::string>& roots) override;
  Result<std::vector<ReferenceModel>> reference_models() override;
  Result<std::optional<StoredFingerprint>> fingerprint_of(std::string_view sha256) override;
  Result<std::optional<StoredUnits>> units_of(std::string_view sha256) override;
  Result<std::string> key_identity(std::string_view keyid) override;

  // Whether the last load left something out (k_max_loaded_artifacts or
  // k_max_untrusted_parents); the FactBase then says why (FactBase::incomplete).
  bool truncated() const { return m_truncated; }

private:
  // Parents named by the lineage events of one subject, by trust.
  struct LoadedParents {
    std::vector<std::string> trusted, untrusted;
  };
  // Adds every usable event about `subject` to `facts`; appends the parents
  // its lineage events name to `parents`.
  Result<void> add_subject(FactBase& facts, const std::string& subject, LoadedParents* parents);
  Result<void> add_row(FactBase& facts, const index::EventRow& row, LoadedParents* parents);

  // Whether `signer` holds the reference scope in the index's trust table.
  Result<bool> reference_trusted(const std::string& signer);

  index::Index& m_index;
  std::optional<index::SubjectEvents> m_subject_events;                   // prepared on first use
  std::optional<std::set<std::string, std::less<>>> m_reference_signers;  // read on first use
  std::optional<std::map<std::string, std::string, std::less<>>> m_key_names;  // keyid -> identity
  ReferenceStore m_references;
  FactBase m_facts;
  bool m_truncated = false;
};

}  // namespace pedigree::lineage
