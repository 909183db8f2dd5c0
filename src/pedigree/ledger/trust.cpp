#include "pedigree/ledger/trust.hpp"

#include <algorithm>

#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/keystore.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::ledger {

Result<std::filesystem::path> TrustPolicy::default_file() {
  PD_ASSIGN_OR_RETURN(auto dir, crypto::config_dir());
  return dir / "trust.json";
}

Result<TrustPolicy> TrustPolicy::load(const std::filesystem::path& file,
                                      const LedgerInfo* bundled) {
  if (!bundled) return load(file, std::span<const PinnedKey>());
  return load(file, std::span<const PinnedKey>(bundled->pinned_keys));
}

Result<TrustPolicy> TrustPolicy::load(const std::filesystem::path& file,
                                      std::span<const PinnedKey> pins) {
  TrustPolicy policy;
  policy.m_file = file;
  for (const auto& p : pins) {
    policy.m_entries.push_back(
        {p.keyid, p.predicates, TrustSource::k_pinned,
         p.reference ? ReferenceScope::k_included : ReferenceScope::k_excluded});
  }
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return policy;
  PD_ASSIGN_OR_RETURN(std::string text, read_file(file, 1 << 20));
  PD_ASSIGN_OR_RETURN(auto doc, crypto::parse_json(text, file.string(), 1 << 20));
  auto keys = doc.find("keys");
  if (!doc.is_object() || keys == doc.end() || !keys->is_object()) {
    return corruption(file.string() + ": expected {\"keys\": {keyid: {\"for\": [...]}}}");
  }
  for (auto it = keys->begin(); it != keys->end(); ++it) {
    if (!is_sha256_hex(it.key())) return corruption(file.string() + ": bad keyid " + it.key());
    TrustEntry entry{it.key(), {}, TrustSource::k_user};
    auto preds = it->find("for");
    if (preds == it->end() || !preds->is_array()) {
      return corruption(file.string() + ": keys." + it.key() + ".for missing");
    }
    for (const auto& name : *preds) {
      if (name.is_string() && name.get<std::string>() == k_reference_scope) {
        entry.reference = ReferenceScope::k_included;
        continue;
      }
      auto kind = name.is_string() ? predicate_from_name(name.get<std::string>()) : std::nullopt;
      if (!kind) return corruption(file.string() + ": keys." + it.key() + ": unknown predicate");
      entry.predicates.push_back(*kind);
    }
    // The reference scope implies model (as TrustPolicy::add makes it).
    if (entry.reference == ReferenceScope::k_included &&
        std::find(entry.predicates.begin(), entry.predicates.end(), PredicateKind::k_model) ==
            entry.predicates.end())
      entry.predicates.insert(entry.predicates.begin(), PredicateKind::k_model);
    policy.m_entries.push_back(std::move(entry));
  }
  return policy;
}

bool TrustPolicy::trusts_references(std::string_view keyid) const {
  return std::any_of(m_entries.begin(), m_entries.end(), [&](const TrustEntry& e) {
    return e.keyid == keyid && e.reference == ReferenceScope::k_included;
  });
}

bool TrustPolicy::trusts(std::string_view keyid, PredicateKind kind) const {
  for (const auto& e : m_entries) {
    if (e.keyid == keyid &&
        std::find(e.predicates.begin(), e.predicates.end(), kind) != e.predicates.end()) {
      return true;
    }
  }
  return false;
}

Result<void> TrustPolicy::add(const std::string& keyid, std::vector<PredicateKind> predicates,
                              ReferenceScope reference) {
  if (!is_sha256_hex(keyid)) return invalid_argument("keyid must be 64 lower-case hex digits");
  const bool with_reference = reference == ReferenceScope::k_included;
  if (predicates.empty() && !with_reference)
    predicates.assign(std::begin(k_all_predicates), std::end(k_all_predicates));
  // A role is a field of a model event: it can only count when the event does.
  if (with_reference &&
      std::find(predicates.begin(), predicates.end(), PredicateKind::k_model) == predicates.end())
    predicates.insert(predicates.begin(), PredicateKind::k_model);
  std::erase_if(m_entries, [&](const TrustEntry& e) {
    return e.keyid == keyid && e.source == TrustSource::k_user;
  });
  m_entries.push_back({keyid, std::move(predicates), TrustSource::k_user, reference});
  return {};
}

Result<void> TrustPolicy::remove(const std::string& keyid) {
  auto n = std::erase_if(m_entries, [&](const TrustEntry& e) {
    return e.keyid == keyid && e.source == TrustSource::k_user;
  });
  if (n == 0) return not_found("key " + keyid + " is not in your trust list");
  return {};
}

Result<void> TrustPolicy::save() const {
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& e : m_entries) {
    if (e.source != TrustSource::k_user) continue;
    nlohmann::json preds = nlohmann::json::array();
    for (auto k : e.predicates) preds.push_back(predicate_name(k));
    if (e.reference == ReferenceScope::k_included) preds.push_back(k_reference_scope);
    keys[e.keyid] = {{"for", preds}};
  }
  std::error_code ec;
  std::filesystem::create_directories(m_file.parent_path(), ec);
  if (ec) return io_error(m_file.parent_path().string() + ": cannot create: " + ec.message());
  remove_dead_temporaries(m_file);  // what a save killed before its rename left
  return write_file_atomic(m_file, nlohmann::json{{"keys", keys}}.dump(2) + "\n", 0644);
}

}  // namespace pedigree::ledger
