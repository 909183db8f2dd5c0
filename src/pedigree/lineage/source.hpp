// Where the verdict engine gets its facts: an interface so `check` can run
// over the SQLite index of a ledger (index_source.hpp: loads only the
// target's neighbourhood, so lookups stay fast on large ledgers) or over an
// in-memory FactBase (tests).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/fingerprint/fingerprint.hpp"
#include "pedigree/fingerprint/units.hpp"
#include "pedigree/lineage/facts.hpp"
#include "pedigree/lineage/resolve.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::lineage {

// A reference model (a trusted model event gives it a role) and its
// fingerprint when one is known (a trusted fingerprint event, or one stored
// locally when the user checked the reference file itself).
struct ReferenceModel {
  std::string sha256;
  std::string name;
  Role role = Role::k_none;
  std::string published;  // "" when unknown
  std::optional<fingerprint::Fingerprint> fingerprint;
  std::string fingerprint_origin;  // "event <id>" or "local <path>", "" without fingerprint
  std::string role_event;          // the model event that gives the role (who defined it)
  std::string role_signer;         // its signer's keyid (trusted for references)
};

// A fingerprint the ledger holds for an artifact, from a trusted fingerprint event.
struct StoredFingerprint {
  fingerprint::Fingerprint fingerprint;
  std::string origin;  // "event <id>"
};

// A base's unit signatures (fingerprint/units.hpp), what re-aligns targets
// whose units were re-ordered or rescaled (lineage/realign.hpp).
struct StoredUnits {
  fingerprint::UnitSignatures units;
  std::string origin;  // "events <id>, ..." or "local <path>"
};

class FactSource {
public:
  virtual ~FactSource() = default;
  // Candidates for a pasted hash (any community form) or a model name.
  virtual Result<Resolution> resolve(std::string_view text) = 0;
  // Artifacts whose trusted model events declare `value` as hash `kind`
  // ("weights", "unet"), for component identity.
  virtual Result<std::vector<std::string>> artifacts_with_hash(std::string_view kind,
                                                               std::string_view value) = 0;
  // A finalized FactBase holding at least `roots`, all their ancestors
  // (through lineage events of any status) and the events about them. The
  // reference stays valid until the next call or the source's destruction.
  virtual Result<const FactBase*> load(const std::vector<std::string>& roots) = 0;
  // Every trusted reference model (base, nai-leak, nai-official, nai-vae, independent)
  // with its fingerprint when known. Fingerprints that fail to parse are
  // skipped (a ledger event cannot make check fail).
  virtual Result<std::vector<ReferenceModel>> reference_models() = 0;
  // The first parseable fingerprint of `sha256` from a trusted fingerprint
  // event, nullopt when none.
  virtual Result<std::optional<StoredFingerprint>> fingerprint_of(std::string_view) {
    return std::nullopt;
  }
  // The unit signatures of `sha256`: the groups of every trusted units event
  // merged, else the local reference store's; nullopt when none. Read only
  // when a check needs them (~9 MB of events for a full SD1.x base), never
  // with reference_models().
  virtual Result<std::optional<StoredUnits>> units_of(std::string_view) { return std::nullopt; }
  // "Name <email>" of a key the ledger publishes, "" when unknown.
  virtual Result<std::string> key_identity(std::string_view) { return std::string(); }
};

// A FactSource over a FactBase already holding everything (finalized by the caller).
class MemorySource : public FactSource {
public:
  explicit MemorySource(const FactBase& facts) : m_facts(facts) {}
  Result<Resolution> resolve(std::string_view text) override {
    return lineage::resolve(m_facts, text);
  }
  Result<std::vector<std::string>> artifacts_with_hash(std::string_view kind,
                                                       std::string_view value) override;
  Result<const FactBase*> load(const std::vector<std::string>&) override { return &m_facts; }
  // References by the trusted roles in the FactBase, without fingerprints.
  Result<std::vector<ReferenceModel>> reference_models() override;

private:
  const FactBase& m_facts;
};

}  // namespace pedigree::lineage
