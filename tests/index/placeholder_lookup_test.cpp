// The index never offers a placeholder subject as a match for a pasted
// SHA-256 or a prefix of one; its declared short hashes still find it.
#include <gtest/gtest.h>

#include "pedigree/index/index.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

TEST(IndexPlaceholder, PrefixLookupsSkipPlaceholdersAliasesFindThem) {
  LedgerFixture fx;
  const std::string p = ledger::placeholder_sha256("nai-leak/animefull-latest");
  auto st = model_statement(p, {{"autov1", "e6e8e1fc"}});
  st.predicate["identity"] = "unconfirmed";
  fx.attest(st);
  fx.attest(model_statement(artifact(1)));
  TempDir cfg;
  auto index = Index::open(cfg / "index.sqlite");
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_TRUE(
      index->update(fx.ledger().repo(), *ledger::TrustPolicy::load(cfg / "t.json", nullptr)));
  for (const std::string& typed : {p, p.substr(0, 8), p.substr(0, 10), p.substr(0, 12)}) {
    auto m = index->lookup_hash(typed);
    ASSERT_TRUE(m) << m.error().message();
    for (const auto& hit : *m) EXPECT_NE(hit.sha256, p) << typed << " matched as " << hit.kind;
  }
  auto real = index->lookup_hash(artifact(1).substr(0, 10));
  ASSERT_TRUE(real);
  ASSERT_EQ(real->size(), 1u);
  EXPECT_EQ(real->at(0).kind, "autov2");
  auto v1 = index->lookup_hash("E6E8E1FC");
  ASSERT_TRUE(v1);
  ASSERT_EQ(v1->size(), 1u);
  EXPECT_EQ(v1->at(0).kind, "autov1");
  EXPECT_EQ(v1->at(0).sha256, p);
}

}  // namespace
}  // namespace pedigree::index
