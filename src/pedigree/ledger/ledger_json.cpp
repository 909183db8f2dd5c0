#include "pedigree/ledger/ledger_json.hpp"

#include <cstdint>
#include <iterator>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/canonical_json.hpp"

namespace pedigree::ledger {

Result<LedgerInfo> parse_ledger_json(std::string_view bytes, std::string_view what) {
  std::string w(what);
  PD_ASSIGN_OR_RETURN(auto doc, crypto::parse_json(bytes, w, k_max_ledger_json));
  if (!doc.is_object()) return corruption(w + ": expected a JSON object");
  LedgerInfo info;
  auto format = doc.find("format");
  if (format == doc.end() || !format->is_number_integer()) {
    return corruption(w + ": missing integer field 'format'");
  }
  // Compared before narrowing: 4294967297 is not format 1.
  const bool known = format->is_number_unsigned() ? format->get<std::uint64_t>() ==
                                                        static_cast<std::uint64_t>(k_ledger_format)
                                                  : format->get<std::int64_t>() == k_ledger_format;
  if (!known) {
    return not_supported(w + ": ledger format " + format->dump() +
                         " (this pedigree reads format 1)");
  }
  info.format = k_ledger_format;
  if (auto name = doc.find("name"); name != doc.end() && name->is_string()) info.name = *name;
  if (auto pinned = doc.find("pinned_keys"); pinned != doc.end()) {
    if (!pinned->is_array()) return corruption(w + ": pinned_keys is not an array");
    for (const auto& p : *pinned) {
      if (!p.is_object() || !p.contains("keyid") || !p["keyid"].is_string() ||
          !is_sha256_hex(p["keyid"].get<std::string>())) {
        return corruption(w + ": pinned_keys entry without a valid keyid");
      }
      PinnedKey key{p["keyid"].get<std::string>(), {}};
      if (p.contains("for") && p["for"].is_array()) {
        for (const auto& name : p["for"]) {
          if (name.is_string() && name.get<std::string>() == k_reference_scope) {
            key.reference = true;
            continue;
          }
          auto kind =
              name.is_string() ? predicate_from_name(name.get<std::string>()) : std::nullopt;
          if (!kind) return corruption(w + ": pinned_keys: unknown predicate in 'for'");
          key.predicates.push_back(*kind);
        }
      } else {
        // No list: every predicate, and reference roles (what a pin is for).
        key.predicates.assign(std::begin(k_all_predicates), std::end(k_all_predicates));
        key.reference = true;
      }
      info.pinned_keys.push_back(std::move(key));
    }
  }
  return info;
}

std::string ledger_json_text(const LedgerInfo& info) {
  nlohmann::json pinned = nlohmann::json::array();
  for (const auto& p : info.pinned_keys) {
    nlohmann::json preds = nlohmann::json::array();
    for (auto k : p.predicates) preds.push_back(predicate_name(k));
    if (p.reference) preds.push_back(k_reference_scope);
    pinned.push_back({{"keyid", p.keyid}, {"for", preds}});
  }
  nlohmann::json doc = {{"format", info.format}, {"name", info.name}, {"pinned_keys", pinned}};
  return doc.dump(2) + "\n";
}

}  // namespace pedigree::ledger
