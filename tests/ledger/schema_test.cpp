// schema/<kind>.schema.json agree with ledger::validate_predicate: the same
// sample predicates (valid ones and one mutation per rule) are accepted or
// refused by both. The JSON Schema checker below implements only the draft
// 2020-12 keywords the schemas use, and fails on any other keyword so a
// schema cannot silently outgrow it.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

using nlohmann::json;

const std::set<std::string> k_known_keywords = {"$schema",
                                                "$id",
                                                "title",
                                                "description",
                                                "type",
                                                "const",
                                                "enum",
                                                "pattern",
                                                "maxLength",
                                                "minimum",
                                                "properties",
                                                "required",
                                                "additionalProperties",
                                                "propertyNames",
                                                "minProperties",
                                                "items",
                                                "minItems",
                                                "maxItems",
                                                "dependentRequired",
                                                "allOf",
                                                "if",
                                                "then",
                                                "else",
                                                "not"};

bool type_matches(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "boolean") return v.is_boolean();
  ADD_FAILURE() << "type " << type << " not supported by the test checker";
  return false;
}

// True when `v` satisfies `schema`.
bool conforms(const json& v, const json& schema) {
  for (const auto& [key, _] : schema.items()) {
    EXPECT_TRUE(k_known_keywords.contains(key)) << "keyword " << key << " not supported";
  }
  if (schema.contains("type") && !type_matches(v, schema["type"])) return false;
  if (schema.contains("const") && v != schema["const"]) return false;
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    return false;
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<std::size_t>()) {
      return false;
    }
    if (schema.contains("pattern") &&
        !std::regex_search(s, std::regex(schema["pattern"].get<std::string>()))) {
      return false;
    }
  }
  if (v.is_number() && schema.contains("minimum") && v < schema["minimum"]) return false;
  if (v.is_object()) {
    if (schema.contains("minProperties") && v.size() < schema["minProperties"].get<std::size_t>()) {
      return false;
    }
    for (const auto& r : schema.value("required", json::array())) {
      if (!v.contains(r.get<std::string>())) return false;
    }
    const json dependent = schema.value("dependentRequired", json::object());
    for (const auto& [key, needs] : dependent.items()) {
      if (!v.contains(key)) continue;
      for (const auto& r : needs) {
        if (!v.contains(r.get<std::string>())) return false;
      }
    }
    const json props = schema.value("properties", json::object());
    for (const auto& [key, value] : v.items()) {
      if (schema.contains("propertyNames") && !conforms(json(key), schema["propertyNames"])) {
        return false;
      }
      if (props.contains(key)) {
        if (!conforms(value, props[key])) return false;
      } else if (schema.contains("additionalProperties")) {
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean() ? !extra.get<bool>() : !conforms(value, extra)) return false;
      }
    }
  }
  const json all_of = schema.value("allOf", json::array());
  for (const auto& sub : all_of) {
    if (!conforms(v, sub)) return false;
  }
  if (schema.contains("not") && conforms(v, schema["not"])) return false;
  if (schema.contains("if")) {
    const bool holds = conforms(v, schema["if"]);
    const char* branch = holds ? "then" : "else";
    if (schema.contains(branch) && !conforms(v, schema[branch])) return false;
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>())
      return false;
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>())
      return false;
    if (schema.contains("items")) {
      for (const auto& item : v) {
        if (!conforms(item, schema["items"])) return false;
      }
    }
  }
  return true;
}

json load_schema(const std::string& name) {
  return json::parse(
      testing::read_text(std::string(PEDIGREE_SOURCE_DIR) + "/schema/" + name + ".schema.json"));
}

// Applies `edit` to a copy of `base`.
json mutated(json base, const std::function<void(json&)>& edit) {
  edit(base);
  return base;
}

void expect_agreement(ledger::PredicateKind kind, const std::vector<json>& samples) {
  const json schema = load_schema(std::string(ledger::predicate_name(kind)));
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  std::size_t accepted = 0;
  for (const auto& sample : samples) {
    bool by_code = ledger::validate_predicate(kind, sample, "sample").has_value();
    accepted += by_code;
    EXPECT_EQ(conforms(sample, schema), by_code)
        << ledger::predicate_name(kind) << " sample " << sample.dump().substr(0, 300);
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_LT(accepted, samples.size());
}

const std::string k_hex = std::string(64, 'a');

TEST(Schema, ModelSchemaAgreesWithValidatePredicate) {
  const json base = {{"hashes", {{"sha256", k_hex}, {"autov2", "aaaaaaaaaa"}, {"ema_unet", k_hex}}},
                     {"file_name", "m.safetensors"},
                     {"size", 12},
                     {"format", "safetensors"},
                     {"architecture", "sd1"},
                     {"published", "2022-10-07"},
                     {"source", "u"},
                     {"license", "l"},
                     {"title", "t"},
                     {"role", "nai-leak"}};
  expect_agreement(ledger::PredicateKind::k_model,
                   {base, json::object(), mutated(base, [](json& p) { p["colour"] = "red"; }),
                    mutated(base, [](json& p) { p["role"] = "king"; }),
                    mutated(base, [](json& p) { p["size"] = -1; }),
                    mutated(base, [](json& p) { p["size"] = "12"; }),
                    mutated(base, [](json& p) { p["hashes"]["md5"] = "aa"; }),
                    mutated(base, [](json& p) { p["hashes"]["crc32"] = "ABCDEF01"; }),
                    mutated(base, [](json& p) { p["hashes"]["crc32"] = ""; }),
                    mutated(base, [](json& p) { p["title"] = std::string(1025, 'x'); }),
                    mutated(base, [](json& p) { p["title"] = std::string(1024, 'x'); }),
                    mutated(base, [](json& p) { p["title"] = 3; }),
                    mutated(base, [](json& p) { p["identity"] = "unconfirmed"; }),
                    mutated(base, [](json& p) { p["identity"] = "maybe"; }),
                    mutated(base, [](json& p) { p["note"] = "n"; }),
                    mutated(base, [](json& p) { p["unconfirmed"] = "why"; }),
                    mutated(base, [](json& p) { p["unconfirmed"] = ""; }),
                    mutated(base, [](json& p) { p["unconfirmed"] = true; })});
}

TEST(Schema, LineageSchemaAgreesWithValidatePredicate) {
  json parent = {{"digest", {{"sha256", k_hex}, {"pedigree-weights-v1", k_hex}}},
                 {"relation", "merge"},
                 {"weight", "0.3"},
                 {"name", "A"}};
  const json base = {{"parents", {parent}},
                     {"method", "weighted-sum"},
                     {"basis", "author-statement"},
                     {"note", "n"}};
  json blocks = json::array();
  for (int i = 0; i < 26; ++i) blocks.push_back("0.5");
  expect_agreement(
      ledger::PredicateKind::k_lineage,
      {base,
       mutated(base, [](json& p) { p.erase("basis"); }),
       mutated(base, [](json& p) { p.erase("method"); }),
       mutated(base, [](json& p) { p["parents"] = json::array(); }),
       mutated(base,
               [&](json& p) {
                 p["parents"] = json::array({parent, parent, parent});
               }),
       mutated(base, [&](json& p) { p["parents"] = json(std::vector<json>(17, parent)); }),
       mutated(base, [](json& p) { p["method"] = std::string(65, 'm'); }),
       mutated(base, [](json& p) { p["basis"] = "rumour"; }),
       mutated(base, [](json& p) { p["parents"][0]["relation"] = "cousin"; }),
       mutated(base, [](json& p) { p["parents"][0].erase("relation"); }),
       mutated(base, [](json& p) { p["parents"][0]["weight"] = "-0.25"; }),
       mutated(base, [](json& p) { p["parents"][0]["weight"] = "0.30e1"; }),
       mutated(base, [](json& p) { p["parents"][0]["weight"] = "01"; }),
       mutated(base, [](json& p) { p["parents"][0]["weight"] = 0.3; }),
       mutated(base, [](json& p) { p["parents"][0]["digest"] = json::object(); }),
       mutated(base,
               [](json& p) {
                 p["parents"][0]["digest"] = {{"md5", k_hex}};
               }),
       mutated(base, [](json& p) { p["parents"][0]["digest"]["sha256"] = "AA"; }),
       mutated(base, [&](json& p) { p["parents"][0]["block_weights"] = blocks; }),
       mutated(base,
               [&](json& p) {
                 p["parents"][0]["block_weights"] = blocks;
                 p["parents"][0]["block_weights"].erase(0);
               }),
       mutated(base,
               [&](json& p) {
                 p["parents"][0]["block_weights"] = blocks;
                 p["parents"][0]["block_weights"][3] = "x";
               }),
       mutated(base, [](json& p) { p["source"] = "https://x"; }),
       mutated(base, [](json& p) { p["source"] = std::string(1025, 's'); }),
       mutated(base, [](json& p) { p["unconfirmed"] = "why"; }),
       mutated(base, [](json& p) { p["unconfirmed"] = ""; })});
}

TEST(Schema, FingerprintClaimAndRevocationSchemasAgreeWithValidatePredicate) {
  const json fp = {{"spec", "pedigree-fingerprint-v1"},
                   {"encoding", "base64"},
                   {"data", "AAAA"},
                   {"sha256", k_hex}};
  expect_agreement(ledger::PredicateKind::k_fingerprint,
                   {fp, mutated(fp, [](json& p) { p.erase("data"); }),
                    mutated(fp, [](json& p) { p["encoding"] = "hex"; }),
                    mutated(fp, [](json& p) { p["extra"] = 1; }),
                    mutated(fp, [](json& p) { p["data"] = std::string(600 * 1024, 'A'); }),
                    mutated(fp, [](json& p) { p["data"] = std::string((1 << 20) + 1, 'A'); })});
  const json claim = {{"contains_nai", "yes"},
                      {"basis", "b"},
                      {"evidence", {{{"kind", "url"}, {"value", "https://x"}}}}};
  json many = json::array();
  for (int i = 0; i < 33; ++i) many.push_back({{"kind", "text"}, {"value", "v"}});
  expect_agreement(ledger::PredicateKind::k_claim,
                   {claim, mutated(claim, [](json& p) { p["contains_nai"] = "maybe"; }),
                    mutated(claim, [](json& p) { p.erase("basis"); }),
                    mutated(claim, [](json& p) { p["basis"] = std::string(257, 'b'); }),
                    mutated(claim, [&](json& p) { p["evidence"] = many; }),
                    mutated(claim, [](json& p) { p["evidence"][0]["kind"] = "ftp"; }),
                    mutated(claim, [](json& p) { p["evidence"][0].erase("value"); }),
                    mutated(claim, [](json& p) { p["source"] = "https://x"; }),
                    mutated(claim, [](json& p) { p["unconfirmed"] = "why"; }),
                    mutated(claim, [](json& p) { p["unconfirmed"] = ""; })});
  const json rev = {{"event", k_hex}, {"reason", "r"}};
  expect_agreement(ledger::PredicateKind::k_revocation,
                   {rev, mutated(rev, [](json& p) { p["event"] = "abc"; }),
                    mutated(rev, [](json& p) { p.erase("event"); }),
                    mutated(rev, [](json& p) { p["why"] = "x"; })});
}

TEST(Schema, KeySchemaAgreesWithValidatePredicate) {
  const json rotated = {{"reason", "rotated"},
                        {"successor", k_hex},
                        {"successor_sig", "c2ln"},
                        {"ledger_commit", std::string(40, 'b')}};
  expect_agreement(ledger::PredicateKind::k_key,
                   {rotated, mutated(rotated, [](json& p) { p["reason"] = "lost"; }),
                    mutated(rotated, [](json& p) { p.erase("reason"); }),
                    mutated(rotated, [](json& p) { p["successor"] = "abc"; }),
                    mutated(rotated, [](json& p) { p["ledger_commit"] = "xyz"; }),
                    mutated(rotated, [](json& p) { p["note"] = std::string(4097, 'n'); }),
                    mutated(rotated, [](json& p) { p["extra"] = 1; })});
}

TEST(Schema, EnvelopeAndStatementSchemasAcceptASignedEvent) {
  auto key = *crypto::PrivateKey::generate();
  ledger::Statement st;
  st.subject = {"m.safetensors", k_hex, std::string(64, 'b')};
  st.kind = ledger::PredicateKind::k_claim;
  st.predicate = {{"contains_nai", "no"}, {"basis", "b"}};
  std::string bytes = *ledger::sign_statement(st, key);
  json envelope = json::parse(bytes);
  EXPECT_TRUE(conforms(envelope, load_schema("envelope")));
  json statement = json::parse(*crypto::base64_decode(envelope["payload"].get<std::string>()));
  EXPECT_TRUE(conforms(statement, load_schema("statement")));
  EXPECT_TRUE(conforms(statement["predicate"], load_schema("claim")));
  EXPECT_FALSE(
      conforms(mutated(envelope, [](json& e) { e["signatures"].push_back(e["signatures"][0]); }),
               load_schema("envelope")));
  EXPECT_FALSE(
      conforms(mutated(statement, [](json& s) { s["subject"][0]["digest"].erase("sha256"); }),
               load_schema("statement")));
  EXPECT_FALSE(
      ledger::parse_statement(
          mutated(statement, [](json& s) { s["subject"][0]["digest"].erase("sha256"); }).dump(),
          "s")
          .has_value());
}

}  // namespace
}  // namespace pedigree
