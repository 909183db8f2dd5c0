#include "pedigree/ledger/event.hpp"

#include <set>

#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/hash/identifier.hpp"

namespace pedigree::ledger {
namespace {

using nlohmann::json;

const std::set<std::string, std::less<>> k_hash_kinds = {
    "autov1", "autov2",  "autov3", "sha256_12",    "crc32", "blake3",
    "sha256", "weights", "unet",   "text_encoder", "vae",   "ema_unet"};
const std::set<std::string, std::less<>> k_roles = {"base", "nai-leak", "nai-official", "nai-vae",
                                                    "independent"};
const std::set<std::string, std::less<>> k_relations = {
    "merge", "finetune", "add-difference", "lora-bake", "conversion", "same-weights", "trained-on"};
const std::set<std::string, std::less<>> k_bases = {"author-statement", "file-metadata",
                                                    "fingerprint-analysis", "other"};
const std::set<std::string, std::less<>> k_contains = {"yes", "no", "unknown"};

struct Checker {
  const json& obj;
  std::string where;

  Result<void> only(std::initializer_list<std::string_view> allowed) const {
    if (!obj.is_object()) return corruption(where + ": expected an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = false;
      for (auto a : allowed) ok = ok || it.key() == a;
      if (!ok) return corruption(where + ": unexpected field '" + it.key() + "'");
    }
    return {};
  }
  Result<const json*> get(const char* name, bool required) const {
    auto it = obj.find(name);
    if (it == obj.end()) {
      if (required) return corruption(where + ": missing field '" + name + "'");
      return nullptr;
    }
    return &*it;
  }
  Result<void> string(const char* name, bool required, std::size_t max_len = 1024) const {
    PD_ASSIGN_OR_RETURN(const json* v, get(name, required));
    if (!v) return {};
    if (!v->is_string()) return corruption(where + "." + name + ": expected a string");
    if (v->get_ref<const std::string&>().size() > max_len) {
      return corruption(where + "." + name + ": longer than " + std::to_string(max_len));
    }
    return {};
  }
  Result<void> one_of(const char* name, bool required,
                      const std::set<std::string, std::less<>>& values) const {
    PD_TRY(string(name, required));
    auto it = obj.find(name);
    if (it != obj.end() && !values.contains(it->get_ref<const std::string&>())) {
      return corruption(where + "." + name + ": unknown value '" + it->get<std::string>() + "'");
    }
    return {};
  }
  // "unconfirmed": why a fact is not confirmed (non-empty). Consumers show such
  // facts but never count them.
  Result<void> unconfirmed() const {
    PD_TRY(string("unconfirmed", false, 1024));
    auto it = obj.find("unconfirmed");
    if (it != obj.end() && it->get_ref<const std::string&>().empty()) {
      return corruption(where + ".unconfirmed: must say what is not confirmed");
    }
    return {};
  }
  Result<void> decimal(const char* name, bool required) const {
    PD_TRY(string(name, required, 64));
    auto it = obj.find(name);
    if (it != obj.end() && !is_decimal_string(it->get_ref<const std::string&>())) {
      return corruption(where + "." + name + ": not a decimal string like \"0.3\"");
    }
    return {};
  }
};

Result<void> check_digest_map(const json& digest, const std::string& where) {
  if (!digest.is_object() || digest.empty()) return corruption(where + ": expected digests");
  for (auto it = digest.begin(); it != digest.end(); ++it) {
    if (it.key() != "sha256" && it.key() != k_weights_digest_name) {
      return corruption(where + ": unknown digest '" + it.key() + "'");
    }
    if (!it->is_string() || !is_sha256_hex(it->get_ref<const std::string&>())) {
      return corruption(where + "." + it.key() + ": not 64 lower-case hex digits");
    }
  }
  return {};
}

// Community identities: a Civitai model / model-version id (decimal digits;
// an AIR urn:air:*:*:civitai:MODEL@VERSION names them) and a Hugging Face
// "owner/name@revision" (hash::classify_identifier's form, revision required).
Result<void> check_site_identities(const Checker& c) {
  for (const char* key : {"civitai_model", "civitai_version"}) {
    PD_TRY(c.string(key, false, 20));
    auto it = c.obj.find(key);
    if (it == c.obj.end()) continue;
    const auto& v = it->get_ref<const std::string&>();
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      return corruption(c.where + "." + key + ": expected decimal digits");
  }
  PD_TRY(c.string("hf_repo", false, 300));
  if (auto it = c.obj.find("hf_repo"); it != c.obj.end()) {
    const auto& v = it->get_ref<const std::string&>();
    auto id = hash::classify_identifier(v);
    if (!id || id->kind != hash::IdentifierKind::k_hf_repo || id->hf.revision.empty() ||
        v.starts_with("hf:") || v.find("://") != std::string::npos ||
        v.find("huggingface.co") != std::string::npos)
      return corruption(c.where + ".hf_repo: expected owner/name@revision");
  }
  return {};
}

Result<void> check_model(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"hashes", "file_name", "size", "format", "architecture", "published", "source",
                 "license", "role", "title", "identity", "note", "unconfirmed", "civitai_model",
                 "civitai_version", "hf_repo"}));
  PD_TRY(check_site_identities(c));
  PD_TRY(c.one_of("identity", false, {"unconfirmed"}));
  PD_TRY(c.string("note", false, 4096));
  PD_TRY(c.unconfirmed());
  PD_ASSIGN_OR_RETURN(const json* hashes, c.get("hashes", false));
  if (hashes) {
    if (!hashes->is_object()) return corruption(w + ".hashes: expected an object");
    for (auto it = hashes->begin(); it != hashes->end(); ++it) {
      if (!k_hash_kinds.contains(it.key())) {
        return corruption(w + ".hashes: unknown hash kind '" + it.key() + "'");
      }
      const auto* s = it->get_ptr<const std::string*>();
      if (!s || s->empty() || s->size() > 128) {
        return corruption(w + ".hashes." + it.key() + ": expected a hex string");
      }
      for (char ch : *s) {
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
          return corruption(w + ".hashes." + it.key() + ": not lower-case hex");
        }
      }
    }
  }
  for (const char* f :
       {"file_name", "format", "architecture", "published", "source", "license", "title"}) {
    PD_TRY(c.string(f, false));
  }
  PD_ASSIGN_OR_RETURN(const json* size, c.get("size", false));
  if (size && !(size->is_number_unsigned() || (size->is_number_integer() && *size >= 0))) {
    return corruption(w + ".size: expected a non-negative integer");
  }
  return c.one_of("role", false, k_roles);
}

Result<void> check_lineage(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"parents", "method", "basis", "note", "source", "unconfirmed"}));
  PD_TRY(c.string("method", true, 64));
  PD_TRY(c.one_of("basis", true, k_bases));
  PD_TRY(c.string("note", false, 4096));
  PD_TRY(c.string("source", false, 1024));
  PD_TRY(c.unconfirmed());
  PD_ASSIGN_OR_RETURN(const json* parents, c.get("parents", true));
  if (!parents->is_array() || parents->empty() || parents->size() > 16) {
    return corruption(w + ".parents: expected 1 to 16 parents");
  }
  for (std::size_t i = 0; i < parents->size(); ++i) {
    const json& parent = (*parents)[i];
    Checker pc{parent, w + ".parents[" + std::to_string(i) + "]"};
    PD_TRY(pc.only({"digest", "name", "relation", "weight", "block_weights"}));
    PD_ASSIGN_OR_RETURN(const json* digest, pc.get("digest", true));
    PD_TRY(check_digest_map(*digest, pc.where + ".digest"));
    PD_TRY(pc.string("name", false));
    PD_TRY(pc.one_of("relation", true, k_relations));
    PD_TRY(pc.decimal("weight", false));
    PD_ASSIGN_OR_RETURN(const json* blocks, pc.get("block_weights", false));
    if (blocks) {
      if (!blocks->is_array() || blocks->size() != 26) {
        return corruption(pc.where + ".block_weights: expected 26 decimal strings");
      }
      for (const auto& b : *blocks) {
        if (!b.is_string() || !is_decimal_string(b.get_ref<const std::string&>())) {
          return corruption(pc.where + ".block_weights: expected 26 decimal strings");
        }
      }
    }
  }
  return {};
}

Result<void> check_fingerprint(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"spec", "encoding", "data", "sha256"}));
  PD_TRY(c.string("spec", true, 64));
  PD_TRY(c.one_of("encoding", true, {"base64"}));
  PD_TRY(c.string("data", true, k_max_event_bytes));
  PD_TRY(c.string("sha256", false, 64));
  return {};
}

Result<void> check_claim(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"contains_nai", "basis", "evidence", "note", "source", "unconfirmed"}));
  PD_TRY(c.one_of("contains_nai", true, k_contains));
  PD_TRY(c.string("basis", true, 256));
  PD_TRY(c.string("note", false, 4096));
  PD_TRY(c.string("source", false, 1024));
  PD_TRY(c.unconfirmed());
  PD_ASSIGN_OR_RETURN(const json* evidence, c.get("evidence", false));
  if (evidence) {
    if (!evidence->is_array() || evidence->size() > 32) {
      return corruption(w + ".evidence: expected at most 32 items");
    }
    for (std::size_t i = 0; i < evidence->size(); ++i) {
      Checker ec{(*evidence)[i], w + ".evidence[" + std::to_string(i) + "]"};
      PD_TRY(ec.only({"kind", "value"}));
      PD_TRY(ec.one_of("kind", true, {"url", "image-sha256", "text"}));
      PD_TRY(ec.string("value", true, 4096));
    }
  }
  return {};
}

Result<void> check_revocation(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"event", "reason"}));
  PD_TRY(c.string("event", true, 64));
  if (!is_sha256_hex(p.at("event").get_ref<const std::string&>())) {
    return corruption(w + ".event: not an event id (64 lower-case hex digits)");
  }
  return c.string("reason", false, 4096);
}

// A key event (key_event.hpp): who signs it and the successor's signature are
// checked by verify_event_file, which knows the keys.
Result<void> check_key(const json& p, const std::string& w) {
  Checker c{p, w};
  PD_TRY(c.only({"reason", "successor", "successor_sig", "ledger_commit", "note"}));
  PD_TRY(c.one_of("reason", true, {"rotated", "compromised"}));
  PD_TRY(c.string("successor", false, 64));
  PD_TRY(c.string("successor_sig", false, 128));
  PD_TRY(c.string("ledger_commit", false, 40));
  PD_TRY(c.string("note", false, 4096));
  const bool successor = p.contains("successor");
  if (successor && !is_sha256_hex(p.at("successor").get_ref<const std::string&>()))
    return corruption(w + ".successor: not a keyid (64 lower-case hex digits)");
  if (successor != p.contains("successor_sig"))
    return corruption(w + ": successor and successor_sig go together");
  const bool rotated = p.at("reason") == "rotated";
  if (rotated && !successor) return corruption(w + ": a rotation names its successor");
  if (rotated != p.contains("ledger_commit"))
    return corruption(w + ": ledger_commit is required for a rotation and only there");
  if (rotated) {
    const auto& commit = p.at("ledger_commit").get_ref<const std::string&>();
    bool hex = commit.size() == 40;
    for (char ch : commit) hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    if (!hex) return corruption(w + ".ledger_commit: not a git commit id (40 lower-case hex)");
  }
  return {};
}

}  // namespace

std::string_view predicate_name(PredicateKind kind) {
  switch (kind) {
    case PredicateKind::k_model: return "model";
    case PredicateKind::k_lineage: return "lineage";
    case PredicateKind::k_fingerprint: return "fingerprint";
    case PredicateKind::k_claim: return "claim";
    case PredicateKind::k_revocation: return "revocation";
    case PredicateKind::k_key: return "key";
  }
  return "unknown";
}

std::optional<PredicateKind> predicate_from_name(std::string_view name) {
  for (auto kind : k_event_predicates) {
    if (predicate_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string predicate_type_uri(PredicateKind kind) {
  return "https://pedigree.dev/predicate/" + std::string(predicate_name(kind)) + "/v1";
}

std::optional<PredicateKind> predicate_from_uri(std::string_view uri) {
  for (auto kind : k_event_predicates) {
    if (predicate_type_uri(kind) == uri) return kind;
  }
  return std::nullopt;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string placeholder_sha256(std::string_view key) {
  std::string digest = crypto::sha256_hex("pedigree-placeholder/v1:" + std::string(key));
  return std::string(k_placeholder_prefix) + digest.substr(0, 64 - k_placeholder_prefix.size());
}

bool is_placeholder_sha256(std::string_view sha256) {
  return is_sha256_hex(sha256) && sha256.starts_with(k_placeholder_prefix);
}

bool is_decimal_string(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t digits = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == digits || i - digits > 20) return false;
  if (s[digits] == '0' && i - digits > 1) return false;  // no leading zeros
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  std::size_t frac = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i == s.size() && i > frac && i - frac <= 20;
}

Result<void> validate_predicate(PredicateKind kind, const nlohmann::json& predicate,
                                std::string_view what) {
  std::string w = std::string(what) + ": predicate";
  if (!predicate.is_object()) return corruption(w + ": expected an object");
  switch (kind) {
    case PredicateKind::k_model: return check_model(predicate, w);
    case PredicateKind::k_lineage: return check_lineage(predicate, w);
    case PredicateKind::k_fingerprint: return check_fingerprint(predicate, w);
    case PredicateKind::k_claim: return check_claim(predicate, w);
    case PredicateKind::k_revocation: return check_revocation(predicate, w);
    case PredicateKind::k_key: return check_key(predicate, w);
  }
  return internal_error("unknown predicate kind");
}

Result<void> validate_subject_rules(const Statement& st, std::string_view what) {
  const std::string w = std::string(what) + ": predicate";
  const bool placeholder = is_placeholder_sha256(st.subject.sha256);
  if (placeholder && st.kind == PredicateKind::k_fingerprint) {
    return corruption(
        std::string(what) +
        ": a placeholder subject has no file to fingerprint (its SHA-256 is unknown)");
  }
  if (st.kind != PredicateKind::k_model) return {};
  const bool unconfirmed_identity = st.predicate.contains("identity");
  if (placeholder && !unconfirmed_identity) {
    return corruption(w +
                      ": a model event about a placeholder subject must say "
                      "\"identity\": \"unconfirmed\"");
  }
  if (!placeholder && unconfirmed_identity) {
    return corruption(w +
                      ".identity: \"unconfirmed\" is only for placeholder subjects "
                      "(the subject here is a file's SHA-256)");
  }
  auto hashes = st.predicate.find("hashes");
  if (placeholder && hashes != st.predicate.end() && hashes->contains("sha256")) {
    return corruption(w +
                      ".hashes.sha256: a placeholder stands for an unknown SHA-256; "
                      "use the known SHA-256 as the subject instead");
  }
  return {};
}

Result<std::string> statement_payload(const Statement& st) {
  if (!is_sha256_hex(st.subject.sha256)) {
    return invalid_argument("subject sha256 must be 64 lower-case hex digits");
  }
  if (!st.subject.weights.empty() && !is_sha256_hex(st.subject.weights)) {
    return invalid_argument("subject weights hash must be 64 lower-case hex digits");
  }
  auto valid = validate_predicate(st.kind, st.predicate, "statement");
  if (valid) valid = validate_subject_rules(st, "statement");
  if (!valid) return invalid_argument(valid.error().message());
  json digest = {{"sha256", st.subject.sha256}};
  if (!st.subject.weights.empty()) digest[std::string(k_weights_digest_name)] = st.subject.weights;
  std::string name = st.subject.name.empty() ? "sha256:" + st.subject.sha256 : st.subject.name;
  json doc = {{"_type", k_statement_type},
              {"subject", json::array({{{"name", name}, {"digest", digest}}})},
              {"predicateType", predicate_type_uri(st.kind)},
              {"predicate", st.predicate}};
  PD_ASSIGN_OR_RETURN(std::string payload, crypto::canonical_json(doc));
  if (st.kind != PredicateKind::k_fingerprint && payload.size() > k_max_small_payload) {
    return invalid_argument(std::string(predicate_name(st.kind)) + " payload of " +
                            std::to_string(payload.size()) + " bytes exceeds the limit of " +
                            std::to_string(k_max_small_payload));
  }
  return payload;
}

Result<Statement> parse_statement(std::string_view payload, std::string_view what) {
  std::string w(what);
  PD_ASSIGN_OR_RETURN(json doc,
                      crypto::parse_canonical_json(payload, w + ": payload", k_max_event_bytes));
  Checker c{doc, w + ": statement"};
  PD_TRY(c.only({"_type", "subject", "predicateType", "predicate"}));
  PD_TRY(c.string("_type", true));
  if (doc["_type"] != k_statement_type)
    return corruption(w + ": _type is not in-toto Statement v1");
  PD_TRY(c.string("predicateType", true));
  auto kind = predicate_from_uri(doc["predicateType"].get_ref<const std::string&>());
  if (!kind) {
    return corruption(w + ": unknown predicateType '" + doc["predicateType"].get<std::string>() +
                      "'");
  }
  if (*kind != PredicateKind::k_fingerprint && payload.size() > k_max_small_payload) {
    return corruption(w + ": " + std::string(predicate_name(*kind)) + " payload of " +
                      std::to_string(payload.size()) + " bytes exceeds " +
                      std::to_string(k_max_small_payload));
  }
  PD_ASSIGN_OR_RETURN(const json* subjects, c.get("subject", true));
  if (!subjects->is_array() || subjects->size() != 1) {
    return corruption(w + ": subject must hold exactly one entry");
  }
  Checker sc{(*subjects)[0], w + ": subject[0]"};
  PD_TRY(sc.only({"name", "digest"}));
  PD_TRY(sc.string("name", true));
  PD_ASSIGN_OR_RETURN(const json* digest, sc.get("digest", true));
  PD_TRY(check_digest_map(*digest, sc.where + ".digest"));
  if (!digest->contains("sha256")) return corruption(sc.where + ".digest: missing sha256");
  Statement st;
  st.kind = *kind;
  st.subject.name = (*subjects)[0]["name"].get<std::string>();
  st.subject.sha256 = (*digest)["sha256"].get<std::string>();
  st.subject.weights = digest->value(std::string(k_weights_digest_name), std::string());
  PD_ASSIGN_OR_RETURN(const json* predicate, c.get("predicate", true));
  PD_TRY(validate_predicate(*kind, *predicate, w));
  st.predicate = *predicate;
  PD_TRY(validate_subject_rules(st, w));
  return st;
}

}  // namespace pedigree::ledger
