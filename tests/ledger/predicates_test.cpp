// The typed predicate decoders (ledger/predicates.hpp): what each kind's
// readers get from a predicate body, and the bodies they refuse.
#include "pedigree/ledger/predicates.hpp"

#include <gtest/gtest.h>

namespace pedigree::ledger {
namespace {

using nlohmann::json;

TEST(Predicates, ModelFieldsAndTextHashesOnly) {
  const json p = {{"title", "Merge A"},
                  {"file_name", "a.safetensors"},
                  {"published", "2023-01-02"},
                  {"license", "creativeml-openrail-m"},
                  {"role", "base"},
                  {"hf_repo", "someone/a"},
                  {"size", 12},
                  {"hashes", {{"autov2", "0123456789"}, {"odd", 7}}}};
  auto m = decode_model(p, "event x");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->title, "Merge A");
  EXPECT_EQ(m->file_name, "a.safetensors");
  EXPECT_EQ(m->published, "2023-01-02");
  EXPECT_EQ(m->license, "creativeml-openrail-m");
  EXPECT_EQ(m->role, "base");
  EXPECT_EQ(m->hf_repo, "someone/a");
  EXPECT_TRUE(m->civitai_model.empty());
  ASSERT_EQ(m->hashes.size(), 1u);  // a hash that is not text is not a hash
  EXPECT_EQ(m->hashes.at("autov2"), "0123456789");
  // An optional field of another type reads as empty, as the fact base always read it.
  auto odd = decode_model(json{{"title", 5}}, "event x");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->title.empty());
}

TEST(Predicates, LineageParentsByFileOrWeightsWithTheirWeights) {
  const std::string sha(64, 'a'), weights(64, 'b');
  const json p = {{"method", "weighted-sum"},
                  {"basis", "author-statement"},
                  {"parents",
                   {{{"digest", {{"sha256", sha}}},
                     {"name", "sd15"},
                     {"relation", "merge"},
                     {"weight", "0.25"},
                     {"block_weights", {"0.5", "x", 1}}},
                    {{"digest", {{std::string(k_weights_digest_name), weights}}},
                     {"relation", "merge"},
                     {"weight", 0.75}}}}};
  auto l = decode_lineage(p, "event x");
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->method, "weighted-sum");
  EXPECT_EQ(l->basis, "author-statement");
  ASSERT_EQ(l->parents.size(), 2u);
  const LineageParent& a = l->parents[0];
  EXPECT_EQ(a.digest_kind(), "sha256");
  EXPECT_EQ(a.digest(), sha);
  EXPECT_EQ(a.name, "sd15");
  EXPECT_EQ(a.weight_text, "0.25");
  ASSERT_TRUE(a.weight);
  EXPECT_DOUBLE_EQ(*a.weight, 0.25);
  EXPECT_EQ(a.block_weights_text, json({"0.5", "x", 1}).dump());  // stored as written
  EXPECT_EQ(a.block_weights, (std::vector<double>{0.5, 1.0}));    // the values that parse
  const LineageParent& b = l->parents[1];
  EXPECT_EQ(b.digest_kind(), k_weights_digest_name);
  EXPECT_EQ(b.digest(), weights);
  EXPECT_TRUE(b.sha256.empty());
  EXPECT_FALSE(b.weight_text);  // a number is a value, not a decimal string as written
  ASSERT_TRUE(b.weight);
  EXPECT_DOUBLE_EQ(*b.weight, 0.75);
  EXPECT_FALSE(b.block_weights_text);
}

TEST(Predicates, LineageWithoutUsableParentsIsRefusedNamingThePlace) {
  auto no_array = decode_lineage(json{{"parents", "sd15"}}, "event x");
  ASSERT_FALSE(no_array);
  EXPECT_EQ(no_array.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(no_array.error().message().find("event x: predicate.parents is not an array"),
            std::string::npos);
  auto no_digest = decode_lineage(json{{"parents", {{{"name", "a"}}}}}, "event x");
  ASSERT_FALSE(no_digest);
  EXPECT_NE(no_digest.error().message().find("parents[0]: missing digest"), std::string::npos);
  auto empty_digest = decode_lineage(json{{"parents", {{{"digest", {{"md5", "00"}}}}}}}, "event x");
  ASSERT_FALSE(empty_digest);
  EXPECT_NE(empty_digest.error().message().find("neither sha256 nor"), std::string::npos);
}

TEST(Predicates, ClaimRevocationFingerprint) {
  auto c = decode_claim(json{{"contains_nai", "yes"},
                             {"basis", "fingerprint-analysis"},
                             {"evidence", {{{"kind", "image-sha256"}, {"value", "ab"}}, 3}}},
                        "event x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->contains_nai, "yes");
  EXPECT_EQ(c->basis, "fingerprint-analysis");
  ASSERT_EQ(c->evidence.size(), 1u);
  EXPECT_EQ(c->evidence[0], std::make_pair(std::string("image-sha256"), std::string("ab")));

  auto r = decode_revocation(json{{"event", "abc"}, {"reason", "typo"}}, "event x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->event, "abc");
  auto no_target = decode_revocation(json{{"reason", "typo"}}, "event x");
  ASSERT_FALSE(no_target);
  EXPECT_NE(no_target.error().message().find("predicate.event is missing"), std::string::npos);

  auto f = decode_fingerprint(json{{"spec", "pedigree-fp/2"}, {"data", "..."}}, "event x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->spec, "pedigree-fp/2");
  EXPECT_FALSE(decode_fingerprint(json::object(), "event x"));
}

TEST(Predicates, EveryDecoderRefusesABodyThatIsNotAnObject) {
  for (const json& body : {json::array(), json("text"), json(nullptr)}) {
    EXPECT_FALSE(decode_model(body, "e"));
    EXPECT_FALSE(decode_lineage(body, "e"));
    EXPECT_FALSE(decode_claim(body, "e"));
    EXPECT_FALSE(decode_fingerprint(body, "e"));
    EXPECT_FALSE(decode_revocation(body, "e"));
  }
  EXPECT_TRUE(predicate_unconfirmed(json{{"unconfirmed", "not yet"}}));
  EXPECT_FALSE(predicate_unconfirmed(json{{"title", "x"}}));
  EXPECT_FALSE(predicate_unconfirmed(json::array()));
}

TEST(Predicates, DecimalWeights) {
  EXPECT_EQ(parse_decimal("0.3"), 0.3);
  EXPECT_EQ(parse_decimal("-0.25"), -0.25);
  EXPECT_FALSE(parse_decimal("0.3x"));
  EXPECT_FALSE(parse_decimal(""));
}

}  // namespace
}  // namespace pedigree::ledger
