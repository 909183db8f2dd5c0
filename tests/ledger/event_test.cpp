#include "pedigree/ledger/event.hpp"

#include <gtest/gtest.h>

#include "support/ledger_fixture.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

TEST(Event, StatementPayloadIsCanonicalInTotoV1) {
  auto payload =
      statement_payload(testing::model_statement(artifact(1), {{"autov2", "89d59c3dde"}}));
  ASSERT_TRUE(payload) << payload.error().message();
  // python3's json module agrees that the payload is sorted, compact JSON.
  auto py = run_command("printf %s " + shell_quote(*payload) +
                        " | python3 -c 'import json,sys; d=json.load(sys.stdin); "
                        "print(json.dumps(d,sort_keys=True,separators=(\",\",\":\")) == "
                        "sys.argv[1], d[\"_type\"], d[\"predicateType\"])' " +
                        shell_quote(*payload));
  EXPECT_EQ(py.output,
            "True https://in-toto.io/Statement/v1 https://pedigree.dev/predicate/model/v1\n");
  auto parsed = parse_statement(*payload, "p");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->subject.sha256, artifact(1));
}

TEST(Event, PredicatesAreValidatedAgainstTheirSchema) {
  auto lin = testing::lineage_statement(artifact(1), {artifact(2)});
  EXPECT_TRUE(statement_payload(lin));
  lin.predicate["parents"][0]["weight"] = "0,3";
  EXPECT_FALSE(statement_payload(lin));
  lin.predicate["parents"][0]["weight"] = "0.3";
  lin.predicate["parents"][0]["relation"] = "stolen";
  EXPECT_FALSE(statement_payload(lin));
  Statement claim;
  claim.subject.sha256 = artifact(3);
  claim.kind = PredicateKind::k_claim;
  claim.predicate = {{"contains_nai", "maybe"}, {"basis", "x"}};
  EXPECT_FALSE(statement_payload(claim));
  claim.predicate["contains_nai"] = "yes";
  EXPECT_TRUE(statement_payload(claim));
  auto model = testing::model_statement(artifact(4), {{"autov1", "NOTHEX"}});
  EXPECT_FALSE(statement_payload(model));
}

TEST(Event, DecimalStrings) {
  EXPECT_TRUE(is_decimal_string("0.3"));
  EXPECT_TRUE(is_decimal_string("-1"));
  EXPECT_TRUE(is_decimal_string("1"));
  EXPECT_FALSE(is_decimal_string("01"));
  EXPECT_FALSE(is_decimal_string(".3"));
  EXPECT_FALSE(is_decimal_string("1e3"));
  EXPECT_FALSE(is_decimal_string("3."));
}

TEST(Event, PlaceholderSubjectsAreRecognisableAndStable) {
  const std::string p = placeholder_sha256("nai-leak/animefull-latest");
  EXPECT_TRUE(is_sha256_hex(p));
  EXPECT_TRUE(is_placeholder_sha256(p));
  EXPECT_TRUE(p.starts_with(k_placeholder_prefix));
  EXPECT_EQ(p, placeholder_sha256("nai-leak/animefull-latest"));
  EXPECT_NE(p, placeholder_sha256("nai-leak/animesfw-latest"));
  // Independently computed: 24 zeros + the first 40 hex of SHA-256 of the key string.
  auto py = run_command(
      "/usr/bin/python3 -c 'import hashlib; print(\"0\"*24 + hashlib.sha256("
      "b\"pedigree-placeholder/v1:nai-leak/animefull-latest\").hexdigest()[:40])'");
  EXPECT_EQ(py.output, p + "\n");
  EXPECT_FALSE(is_placeholder_sha256(artifact(1)));
  EXPECT_FALSE(is_placeholder_sha256(std::string(k_placeholder_prefix)));  // not 64 digits
}

TEST(Event, ModelAboutAPlaceholderMustSayIdentityUnconfirmed) {
  auto st = testing::model_statement(placeholder_sha256("test/unknown"), {{"autov1", "e6e8e1fc"}});
  auto missing = statement_payload(st);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("identity"), std::string::npos);
  st.predicate["identity"] = "unconfirmed";
  auto ok = statement_payload(st);
  ASSERT_TRUE(ok) << ok.error().message();
  auto parsed = parse_statement(*ok, "p");
  ASSERT_TRUE(parsed) << parsed.error().message();
  // A placeholder cannot also carry the SHA-256 it stands in for.
  st.predicate["hashes"]["sha256"] = artifact(2);
  EXPECT_FALSE(statement_payload(st));
  // Only "unconfirmed" is a known identity value.
  st.predicate["hashes"].erase("sha256");
  st.predicate["identity"] = "maybe";
  EXPECT_FALSE(statement_payload(st));
}

TEST(Event, IdentityUnconfirmedOnARealSubjectIsRefused) {
  auto st = testing::model_statement(artifact(3));
  st.predicate["identity"] = "unconfirmed";
  auto r = statement_payload(st);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("only for placeholder"), std::string::npos);
}

TEST(Event, PlaceholdersTakeLineageAndClaimsButNoFingerprint) {
  const std::string p = placeholder_sha256("test/intermediate");
  EXPECT_TRUE(statement_payload(testing::lineage_statement(p, {artifact(1)})));
  EXPECT_TRUE(statement_payload(testing::lineage_statement(artifact(1), {p})));  // as a parent
  Statement fp;
  fp.subject.sha256 = p;
  fp.kind = PredicateKind::k_fingerprint;
  fp.predicate = {{"spec", "pedigree-fingerprint/1"}, {"encoding", "base64"}, {"data", "AAAA"}};
  EXPECT_FALSE(statement_payload(fp));
  fp.subject.sha256 = artifact(1);
  EXPECT_TRUE(statement_payload(fp));
}

TEST(Event, UnconfirmedMarkerAndSourceOnEveryFact) {
  auto lin = testing::lineage_statement(artifact(1), {artifact(2)});
  lin.predicate["source"] = "https://example.org/recipe";
  lin.predicate["unconfirmed"] = "the weight is a guess";
  EXPECT_TRUE(statement_payload(lin));
  lin.predicate["unconfirmed"] = "";  // must say what is not confirmed
  EXPECT_FALSE(statement_payload(lin));
  lin.predicate["unconfirmed"] = 1;
  EXPECT_FALSE(statement_payload(lin));
  Statement claim;
  claim.subject.sha256 = artifact(3);
  claim.kind = PredicateKind::k_claim;
  claim.predicate = {{"contains_nai", "yes"},
                     {"basis", "author-statement"},
                     {"source", "https://example.org"},
                     {"unconfirmed", "second-hand"}};
  EXPECT_TRUE(statement_payload(claim));
  auto model = testing::model_statement(artifact(4));
  model.predicate["unconfirmed"] = "hash copied from a forum post";
  model.predicate["note"] = "free text";
  EXPECT_TRUE(statement_payload(model));
}

}  // namespace
}  // namespace pedigree::ledger
