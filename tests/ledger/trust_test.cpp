// The trust policy's reference scope (docs/trust.md "References"): granted
// only by name, implied by nothing, and never gained by entries written
// before it existed.
#include "pedigree/ledger/trust.hpp"

#include <gtest/gtest.h>

#include "pedigree/ledger/pins.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::ledger {
namespace {

const std::string k_key(64, 'a');

TEST(TrustReferenceScope, OldEntriesForEveryPredicateDoNotGainIt) {
  testing::TempDir dir;
  testing::write_text(dir / "trust.json",
                      R"({"keys":{")" + k_key +
                          R"(":{"for":["model","lineage","fingerprint","claim","revocation"]}}})");
  auto policy = TrustPolicy::load(dir / "trust.json", std::span<const PinnedKey>());
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_TRUE(policy->trusts(k_key, PredicateKind::k_model));
  EXPECT_FALSE(policy->trusts_references(k_key));
}

TEST(TrustReferenceScope, AddWithoutNamingItDoesNotGrantIt) {
  testing::TempDir dir;
  auto policy = TrustPolicy::load(dir / "trust.json", std::span<const PinnedKey>());
  ASSERT_TRUE(policy);
  ASSERT_TRUE(policy->add(k_key, {}));
  for (auto kind : k_all_predicates) EXPECT_TRUE(policy->trusts(k_key, kind));
  EXPECT_FALSE(policy->trusts_references(k_key));
}

TEST(TrustReferenceScope, NamedItIsGrantedImpliesModelAndSurvivesSaving) {
  testing::TempDir dir;
  auto policy = TrustPolicy::load(dir / "trust.json", std::span<const PinnedKey>());
  ASSERT_TRUE(policy);
  ASSERT_TRUE(policy->add(k_key, {PredicateKind::k_claim}, ReferenceScope::k_included));
  EXPECT_TRUE(policy->trusts_references(k_key));
  EXPECT_TRUE(policy->trusts(k_key, PredicateKind::k_model));  // the role lives in model events
  EXPECT_TRUE(policy->trusts(k_key, PredicateKind::k_claim));
  EXPECT_FALSE(policy->trusts(k_key, PredicateKind::k_lineage));
  ASSERT_TRUE(policy->save());
  auto text = testing::read_text(dir / "trust.json");
  EXPECT_NE(text.find("\"reference\""), std::string::npos) << text;
  auto again = TrustPolicy::load(dir / "trust.json", std::span<const PinnedKey>());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->trusts_references(k_key));
  // Replacing the entry without the scope withdraws it.
  ASSERT_TRUE(again->add(k_key, {}));
  EXPECT_FALSE(again->trusts_references(k_key));
}

TEST(TrustReferenceScope, ThePinnedProjectKeyHoldsIt) {
  testing::TempDir dir;
  auto policy = TrustPolicy::load(dir / "trust.json", compiled_pins());
  ASSERT_TRUE(policy);
  EXPECT_TRUE(policy->trusts_references(compiled_pins()[0].keyid));
  // A LEDGER.json pin only grants it when its list names it.
  auto info = parse_ledger_json(
      R"({"format":1,"name":"t","pinned_keys":[{"keyid":")" + k_key + R"(","for":["model"]}]})",
      "LEDGER.json");
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->pinned_keys[0].reference);
  EXPECT_NE(ledger_json_text(*info).find("\"model\""), std::string::npos);
}

}  // namespace
}  // namespace pedigree::ledger
