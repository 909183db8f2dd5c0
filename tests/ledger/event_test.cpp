#include "pedigree/ledger/event.hpp"

#include <gtest/gtest.h>

#include "support/ledger_fixture.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

TEST(Event, StatementPayloadIsCanonicalInTotoV1) {
  auto payload = statement_payload(model_statement(artifact(1), {{"autov2", "89d59c3dde"}}));
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
  auto lin = lineage_statement(artifact(1), {artifact(2)});
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
  auto model = model_statement(artifact(4), {{"autov1", "NOTHEX"}});
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

}  // namespace
}  // namespace pedigree::ledger
