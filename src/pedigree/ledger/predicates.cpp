#include "pedigree/ledger/predicates.hpp"

#include <charconv>

namespace pedigree::ledger {
namespace {

using nlohmann::json;

std::string text_field(const json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::optional<double> decimal_value(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  return parse_decimal(value.get_ref<const std::string&>());
}

Result<void> require_object(const json& predicate, std::string_view what) {
  if (!predicate.is_object()) return corruption(std::string(what) + ": predicate is not an object");
  return {};
}

// A text field the predicate cannot do without (in an object body).
Result<std::string> required_text(const json& p, std::string_view field, std::string_view what) {
  PD_TRY(require_object(p, what));
  std::string value = text_field(p, field);
  if (value.empty())
    return corruption(std::string(what) + ": predicate." + std::string(field) + " is missing");
  return value;
}

Result<LineageParent> decode_parent(const json& q, const std::string& where) {
  if (!q.is_object()) return corruption(where + ": not an object");
  auto digest = q.find("digest");
  if (digest == q.end() || !digest->is_object()) return corruption(where + ": missing digest");
  LineageParent p;
  p.sha256 = text_field(*digest, "sha256");
  p.weights = text_field(*digest, k_weights_digest_name);
  if (p.sha256.empty() && p.weights.empty())
    return corruption(where + ".digest: neither sha256 nor " + std::string(k_weights_digest_name));
  p.name = text_field(q, "name");
  p.relation = text_field(q, "relation");
  if (auto w = q.find("weight"); w != q.end()) {
    if (w->is_string()) p.weight_text = w->get<std::string>();
    p.weight = decimal_value(*w);
  }
  if (auto b = q.find("block_weights"); b != q.end()) {
    p.block_weights_text = b->dump();
    if (b->is_array())
      for (const auto& v : *b)
        if (auto d = decimal_value(v)) p.block_weights.push_back(*d);
  }
  return p;
}

}  // namespace

std::string_view LineageParent::digest_kind() const {
  return sha256.empty() ? k_weights_digest_name : std::string_view("sha256");
}

std::optional<double> parse_decimal(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool predicate_unconfirmed(const json& predicate) {
  return predicate.is_object() && predicate.contains("unconfirmed");
}

Result<ModelPredicate> decode_model(const json& p, std::string_view what) {
  PD_TRY(require_object(p, what));
  ModelPredicate m;
  m.title = text_field(p, "title");
  m.file_name = text_field(p, "file_name");
  m.published = text_field(p, "published");
  m.license = text_field(p, "license");
  m.source = text_field(p, "source");
  m.civitai_model = text_field(p, "civitai_model");
  m.civitai_version = text_field(p, "civitai_version");
  m.hf_repo = text_field(p, "hf_repo");
  m.role = text_field(p, "role");
  if (auto it = p.find("hashes"); it != p.end() && it->is_object())
    for (const auto& [kind, value] : it->items())
      if (value.is_string()) m.hashes[kind] = value.get<std::string>();
  return m;
}

Result<LineagePredicate> decode_lineage(const json& p, std::string_view what) {
  PD_TRY(require_object(p, what));
  auto parents = p.find("parents");
  if (parents == p.end() || !parents->is_array())
    return corruption(std::string(what) + ": predicate.parents is not an array");
  LineagePredicate l;
  l.method = text_field(p, "method");
  l.basis = text_field(p, "basis");
  for (std::size_t i = 0; i < parents->size(); ++i) {
    PD_ASSIGN_OR_RETURN(auto parent,
                        decode_parent((*parents)[i], std::string(what) + ": predicate.parents[" +
                                                         std::to_string(i) + "]"));
    l.parents.push_back(std::move(parent));
  }
  return l;
}

Result<ClaimPredicate> decode_claim(const json& p, std::string_view what) {
  PD_TRY(require_object(p, what));
  ClaimPredicate c;
  c.contains_nai = text_field(p, "contains_nai");
  c.basis = text_field(p, "basis");
  if (auto ev = p.find("evidence"); ev != p.end() && ev->is_array())
    for (const auto& item : *ev)
      if (item.is_object())
        c.evidence.emplace_back(text_field(item, "kind"), text_field(item, "value"));
  return c;
}

Result<FingerprintPredicate> decode_fingerprint(const json& p, std::string_view what) {
  PD_ASSIGN_OR_RETURN(auto spec, required_text(p, "spec", what));
  return FingerprintPredicate{std::move(spec)};
}

Result<RevocationPredicate> decode_revocation(const json& p, std::string_view what) {
  PD_ASSIGN_OR_RETURN(auto event, required_text(p, "event", what));
  return RevocationPredicate{std::move(event)};
}

}  // namespace pedigree::ledger
