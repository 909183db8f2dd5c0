#include "pedigree/ledger/attest.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"

namespace pedigree::ledger {
namespace {

using nlohmann::json;

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// YYYY, YYYY-MM or YYYY-MM-DD with plausible month and day numbers.
bool is_iso_date(std::string_view s) {
  if (s.size() != 4 && s.size() != 7 && s.size() != 10) return false;
  if (!is_digits(s.substr(0, 4))) return false;
  if (s.size() >= 7) {
    if (s[4] != '-' || !is_digits(s.substr(5, 2))) return false;
    int month = std::stoi(std::string(s.substr(5, 2)));
    if (month < 1 || month > 12) return false;
  }
  if (s.size() == 10) {
    if (s[7] != '-' || !is_digits(s.substr(8, 2))) return false;
    int day = std::stoi(std::string(s.substr(8, 2)));
    if (day < 1 || day > 31) return false;
  }
  return true;
}

// Maps a validation error (Corruption: the shape of stored data) to
// InvalidArgument (the caller asked for something malformed).
Result<Statement> checked(Statement st) {
  auto ok = validate_predicate(st.kind, st.predicate, predicate_name(st.kind));
  if (!ok) return invalid_argument(ok.error().message());
  return st;
}

}  // namespace

std::string decimal_string(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", value);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

Subject subject_of(const FileFacts& facts) {
  Subject s;
  s.sha256 = facts.hashes.sha256.value_or("");
  s.weights = facts.hashes.weights.value_or("");
  s.name = std::filesystem::path(facts.hashes.file).filename().string();
  return s;
}

Result<Statement> model_statement(const FileFacts& facts, const ModelDetails& details) {
  const auto& h = facts.hashes;
  Statement st;
  st.subject = subject_of(facts);
  st.kind = PredicateKind::k_model;
  json hashes = json::object();
  auto put = [&](const char* kind, const std::optional<std::string>& value) {
    if (value && !value->empty()) hashes[kind] = *value;
  };
  put("sha256", h.sha256);
  if (h.sha256) hashes["sha256_12"] = h.sha256->substr(0, 12);
  put("autov1", h.autov1);
  put("autov2", h.autov2);
  put("autov3", h.autov3);
  put("crc32", h.crc32);
  put("blake3", h.blake3);
  put("weights", h.weights);
  // Events name the EMA UNet's hash "ema_unet" (schema/, fixed by signed
  // events); hash/ and inspect call the component "unet_ema".
  for (const auto& [component, value] : h.components) {
    hashes[component == "unet_ema" ? "ema_unet" : component] = value;
  }
  json p = {{"hashes", hashes}, {"file_name", st.subject.name}, {"size", h.size}};
  if (h.format) p["format"] = *h.format;
  if (!facts.architecture.empty()) p["architecture"] = facts.architecture;
  if (!details.published.empty()) {
    if (!is_iso_date(details.published)) {
      return invalid_argument("--published '" + details.published + "': expected YYYY-MM-DD");
    }
    p["published"] = details.published;
  }
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string&>{"title", details.title},
        {"source", details.source},
        {"license", details.license},
        {"role", details.role}}) {
    if (!value.empty()) p[key] = value;
  }
  st.predicate = std::move(p);
  return checked(std::move(st));
}

namespace {

Result<Statement> data_statement(const Subject& subject, std::string_view spec,
                                 std::string_view file) {
  Statement st;
  st.subject = subject;
  st.kind = PredicateKind::k_fingerprint;
  st.predicate = {{"spec", spec},
                  {"encoding", "base64"},
                  {"data", crypto::base64_encode(file)},
                  {"sha256", crypto::sha256_hex(file)}};
  return checked(std::move(st));
}

}  // namespace

Result<Statement> fingerprint_statement(const Subject& subject, std::string_view fp_file) {
  return data_statement(subject, k_fingerprint_spec, fp_file);
}

Result<Statement> units_statement(const Subject& subject, std::string_view units_file) {
  return data_statement(subject, k_units_spec, units_file);
}

Result<Statement> lineage_statement(const Subject& child, const std::vector<ParentRef>& parents,
                                    const LineageDetails& details) {
  Statement st;
  st.subject = child;
  st.kind = PredicateKind::k_lineage;
  json ps = json::array();
  for (const auto& parent : parents) {
    json digest = {{"sha256", parent.sha256}};
    if (!parent.weights.empty()) digest[std::string(k_weights_digest_name)] = parent.weights;
    json p = {{"digest", digest}, {"relation", details.relation}};
    if (!parent.name.empty()) p["name"] = parent.name;
    if (!parent.weight.empty()) p["weight"] = parent.weight;
    if (!parent.block_weights.empty()) p["block_weights"] = parent.block_weights;
    ps.push_back(std::move(p));
  }
  st.predicate = {{"parents", ps}, {"method", details.method}, {"basis", details.basis}};
  if (!details.note.empty()) st.predicate["note"] = details.note;
  return checked(std::move(st));
}

namespace {

// Whether `weight` lies in the range `relation` allows (see check_parent_weights).
Result<double> weight_in_range(const std::string& text, const std::string& relation,
                               const std::string& what) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value))
    return invalid_argument(what + ": weight '" + text + "' is not a decimal like 0.3");
  if (relation == "add-difference") {
    if (std::fabs(value) > k_max_add_difference_weight)
      return invalid_argument(what + ": weight " + text + " is outside [-" +
                              std::to_string(static_cast<int>(k_max_add_difference_weight)) + ", " +
                              std::to_string(static_cast<int>(k_max_add_difference_weight)) +
                              "] for add-difference");
    return value;
  }
  if (value < 0)
    return invalid_argument(what + ": weight " + text +
                            " is negative; only --relation add-difference takes negative weights");
  if (value > 1)
    return invalid_argument(what + ": weight " + text + " is above 1; a " + relation +
                            " parent's weight is its share, between 0 and 1");
  return value;
}

}  // namespace

Result<std::vector<std::string>> check_parent_weights(const std::vector<ParentRef>& parents,
                                                      const LineageDetails& details) {
  std::vector<std::string> warnings;
  double sum = 0;
  bool all_weighted = !parents.empty();
  for (const auto& p : parents) {
    const std::string what = "--parent " + (p.name.empty() ? p.sha256.substr(0, 12) : p.name);
    if (p.weight.empty()) {
      all_weighted = false;
    } else {
      PD_ASSIGN_OR_RETURN(double w, weight_in_range(p.weight, details.relation, what));
      sum += w;
    }
    for (const auto& b : p.block_weights) {
      auto checked_block = weight_in_range(b, details.relation, what + " block weight");
      if (!checked_block) return std::unexpected(checked_block.error());
    }
  }
  if (all_weighted && std::fabs(sum - 1.0) > 1e-9) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", sum);
    warnings.push_back(std::string("the parents' weights sum to ") + buf +
                       ", not 1: a merge is an affine combination (weighted sum: the weights "
                       "sum to 1; add difference A + a(B - C): 1, a, -a); check the recipe");
  }
  return warnings;
}

Result<Statement> claim_statement(const Subject& subject, const std::string& contains_nai,
                                  const std::string& basis,
                                  const std::vector<std::string>& evidence) {
  Statement st;
  st.subject = subject;
  st.kind = PredicateKind::k_claim;
  json items = json::array();
  for (const auto& e : evidence) {
    auto colon = e.find(':');
    std::string kind = colon == std::string::npos ? "" : e.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : e.substr(colon + 1);
    if (kind != "url" && kind != "text" && kind != "image-sha256") {
      return invalid_argument("--evidence '" + e.substr(0, 80) +
                              "': expected url:URL, text:TEXT or image-sha256:HEX");
    }
    if (kind == "image-sha256" && !is_sha256_hex(value)) {
      return invalid_argument("--evidence '" + e.substr(0, 80) +
                              "': image-sha256 needs 64 lower-case hex digits");
    }
    items.push_back({{"kind", kind}, {"value", value}});
  }
  st.predicate = {{"contains_nai", contains_nai}, {"basis", basis}};
  if (!items.empty()) st.predicate["evidence"] = items;
  return checked(std::move(st));
}

Result<Statement> revocation_statement(const Subject& subject, const std::string& event_id,
                                       const std::string& reason) {
  Statement st;
  st.subject = subject;
  st.kind = PredicateKind::k_revocation;
  st.predicate = {{"event", event_id}};
  if (!reason.empty()) st.predicate["reason"] = reason;
  return checked(std::move(st));
}

}  // namespace pedigree::ledger
