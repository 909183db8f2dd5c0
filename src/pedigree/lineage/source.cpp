#include "pedigree/lineage/source.hpp"

namespace pedigree::lineage {

Result<std::vector<std::string>> MemorySource::artifacts_with_hash(std::string_view kind,
                                                                   std::string_view value) {
  std::vector<std::string> out;
  for (const auto& [sha, a] : m_facts.artifacts())
    for (const auto& m : a.models) {
      auto it = m.hashes.find(std::string(kind));
      if (m.from.status == EventStatus::k_trusted && it != m.hashes.end() && it->second == value) {
        out.push_back(sha);
        break;
      }
    }
  return out;
}

Result<std::vector<ReferenceModel>> MemorySource::reference_models() {
  std::vector<ReferenceModel> out;
  for (const auto& [sha, a] : m_facts.artifacts()) {
    const ModelFact* role = m_facts.role_fact(sha);
    if (role)
      out.push_back({sha,
                     m_facts.display_name(sha),
                     role->role,
                     m_facts.published(sha),
                     {},
                     "",
                     role->from.event_id,
                     role->from.signer});
  }
  return out;
}

}  // namespace pedigree::lineage
