#include "pedigree/ledger/attest.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/fingerprint/load.hpp"
#include "pedigree/fingerprint/serialize.hpp"
#include "pedigree/formats/inspect.hpp"
#include "pedigree/hash/hash_path.hpp"

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

// The relation a recipe's method implies: kohya's ss_* keys name the model a
// LoRA was trained on (trained-on: it carries none of its weights) or a
// full checkpoint was fine-tuned from.
std::string relation_for(const formats::Recipe& recipe, formats::Architecture architecture) {
  if (recipe.source == formats::RecipeSource::k_kohya)
    return architecture == formats::Architecture::k_lora ? "trained-on" : "finetune";
  std::string m;
  for (char c : recipe.method) m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (m.find("add") != std::string::npos && m.find("diff") != std::string::npos) {
    return "add-difference";
  }
  return "merge";
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

Result<FileFacts> examine_file(const std::filesystem::path& path, hash::HashCache* cache) {
  FileFacts facts;
  PD_ASSIGN_OR_RETURN(facts.hashes, hash::hash_path(path.string(), {}, cache));
  if (!facts.hashes.sha256) {
    return not_supported(path.string() +
                         ": a diffusers folder has no single file SHA-256; attest its files");
  }
  if (facts.hashes.format) {
    auto report = formats::inspect_path(path);
    if (report) facts.architecture = formats::architecture_name(report->architecture);
  }
  return facts;
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

Result<Statement> fingerprint_statement(const std::filesystem::path& path, const Subject& subject) {
  PD_ASSIGN_OR_RETURN(auto fp, fingerprint::fingerprint_file(path));
  std::string bytes = fingerprint::serialize(fp);
  Statement st;
  st.subject = subject;
  st.kind = PredicateKind::k_fingerprint;
  st.predicate = {{"spec", k_fingerprint_spec},
                  {"encoding", "base64"},
                  {"data", crypto::base64_encode(std::string_view(bytes))},
                  {"sha256", crypto::sha256_hex(bytes)}};
  return checked(std::move(st));
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

Result<MetadataLineage> lineage_from_metadata(const std::filesystem::path& path,
                                              const Subject& child) {
  PD_ASSIGN_OR_RETURN(auto report, formats::inspect_path(path));
  MetadataLineage out;
  std::vector<ParentRef> parents;
  std::vector<std::string> methods;
  std::string relation;
  const formats::Recipe* flattened = nullptr;  // sd_merge_models: used only when nothing else is
  auto take = [&](const formats::Recipe& recipe) {
    std::string source(formats::recipe_source_name(recipe.source));
    for (const auto& rp : recipe.parents) {
      if (!is_sha256_hex(rp.sha256)) {
        out.skipped.push_back(source + " parent '" + rp.name + "'" +
                              (rp.short_hash.empty() ? "" : " (" + rp.short_hash + ")") +
                              ": no full SHA-256 stated");
        continue;
      }
      bool seen = false;
      for (const auto& p : parents) seen = seen || p.sha256 == rp.sha256;
      if (seen) continue;
      ParentRef ref{rp.sha256, "", rp.name.substr(0, 1024), "", {}};
      if (rp.weight) ref.weight = decimal_string(*rp.weight);
      if (rp.block_weights.size() == 26) {
        for (double w : rp.block_weights) ref.block_weights.push_back(decimal_string(w));
      }
      parents.push_back(std::move(ref));
    }
    methods.push_back(source + ": " + recipe.method);
    if (relation.empty() || relation == "merge")
      relation = relation_for(recipe, report.architecture);
  };
  for (const auto& recipe : report.recipes.recipes) {
    if (!recipe.subject_sha256.empty()) continue;  // how an ancestor was made, not this file
    if (recipe.source == formats::RecipeSource::k_a1111_models) {
      flattened = &recipe;
      continue;
    }
    take(recipe);
  }
  if (parents.empty() && flattened) take(*flattened);
  if (parents.size() > 16) {
    return invalid_argument(path.string() + ": metadata names " + std::to_string(parents.size()) +
                            " parents, more than the 16 a lineage event holds");
  }
  if (parents.empty()) {
    return not_found(path.string() +
                     ": no merge recipe in the metadata names a parent by its "
                     "full SHA-256");
  }
  LineageDetails details;
  details.relation = relation;
  details.basis = "file-metadata";
  std::string method;
  for (const auto& m : methods) method += (method.empty() ? "" : "; ") + m;
  details.method = method.substr(0, 64);
  if (method.size() > 64) details.note = "recipes: " + method.substr(0, 4000);
  PD_ASSIGN_OR_RETURN(out.statement, lineage_statement(child, parents, details));
  return out;
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
