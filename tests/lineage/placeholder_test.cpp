// Placeholder subjects (models whose file SHA-256 is unknown) and facts a
// trusted signer marked "unconfirmed", as the bundled reference ledger uses
// them (docs/reference-ledger.md).
#include <gtest/gtest.h>

#include "lineage/lineage_support.hpp"
#include "pedigree/ledger/event.hpp"
#include "pedigree/lineage/resolve.hpp"
#include "pedigree/lineage/verdict.hpp"

namespace pedigree::lineage {
namespace {

using testing::sha_of;

void add(FactBase& facts, const std::string& id, const std::string& kind,
         const std::string& subject, const nlohmann::json& predicate) {
  EventInput in{sha_of(id), "k1", true, kind, subject, id, predicate};
  in.reference_trusted = true;
  auto r = facts.add_event(in);
  ASSERT_TRUE(r) << r.error().message();
}

TEST(Placeholder, NeverMatchesAsASha256OrAPrefixOfOne) {
  FactBase facts;
  const std::string p = ledger::placeholder_sha256("nai-leak/animefull-latest");
  add(facts, "latest", "model", p,
      {{"title", "animefull-latest"},
       {"role", "nai-leak"},
       {"identity", "unconfirmed"},
       {"hashes", {{"autov1", "e6e8e1fc"}}}});
  facts.finalize();
  for (const std::string& typed : {p, "SHA256:" + p, p.substr(0, 10), "AutoV2:" + p.substr(0, 10),
                                   p.substr(0, 12), std::string("000000000000")}) {
    EXPECT_TRUE(resolve(facts, typed)->candidates.empty()) << typed;
  }
  // Its declared short hash still proposes it, as a weak candidate.
  Resolution r = *resolve(facts, "E6E8E1FC");
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].sha256, p);
  EXPECT_EQ(r.candidates[0].matched_by, "autov1");
  EXPECT_TRUE(r.weak);
  // And its name finds it.
  EXPECT_EQ(resolve(facts, "animefull-latest")->candidates.size(), 1u);
}

TEST(Placeholder, RecipeThroughAnUnpublishedIntermediateReachesNai) {
  FactBase facts;
  const std::string nai = sha_of("NAI"), nai_sfw = sha_of("NAIsfw"), base = sha_of("AOM2sfw");
  const std::string temp = ledger::placeholder_sha256("orangemixs/aom3-temp01");
  add(facts, "m1", "model", nai, {{"title", "NAI"}, {"role", "nai-leak"}});
  add(facts, "m2", "model", nai_sfw, {{"title", "NAIsfw"}, {"role", "nai-leak"}});
  add(facts, "m3", "model", temp, {{"title", "temp01"}, {"identity", "unconfirmed"}});
  nlohmann::json parents = {
      {{"digest", {{"sha256", base}}}, {"relation", "merge"}, {"weight", "1"}},
      {{"digest", {{"sha256", nai}}}, {"relation", "add-difference"}},
      {{"digest", {{"sha256", nai_sfw}}}, {"relation", "add-difference"}}};
  add(facts, "l1", "lineage", temp,
      {{"parents", parents}, {"method", "mbw"}, {"basis", "author-statement"}});
  nlohmann::json top = {{{"digest", {{"sha256", temp}}}, {"relation", "merge"}, {"weight", "1"}}};
  add(facts, "l2", "lineage", sha_of("AOM3"),
      {{"parents", top}, {"method", "mbw"}, {"basis", "author-statement"}});
  facts.finalize();
  CheckInput in;
  in.target.sha256 = sha_of("AOM3");
  Verdict v = decide(facts, in);
  EXPECT_EQ(v.verdict, VerdictClass::k_nai_leak);
  ASSERT_EQ(v.ancestry.paths.size(), 2u);
  EXPECT_EQ(v.ancestry.paths[0].steps[1].sha256, temp);
  EXPECT_FALSE(v.declared_share);  // block-weighted: presence without a size
}

TEST(Unconfirmed, TrustedButUnconfirmedFactsAreShownNeverCounted) {
  FactBase facts;
  const std::string nai = sha_of("NAI"), official = sha_of("official"), child = sha_of("child");
  add(facts, "m1", "model", nai, {{"title", "NAI"}, {"role", "nai-leak"}});
  add(facts, "m2", "model", official, {{"title", "official"}, {"role", "nai-official"}});
  nlohmann::json same = {{{"digest", {{"sha256", nai}}}, {"relation", "same-weights"}}};
  add(facts, "l1", "lineage", official,
      {{"parents", same},
       {"method", "same weights"},
       {"basis", "other"},
       {"unconfirmed", "bit identity not checked"}});
  nlohmann::json from_official = {{{"digest", {{"sha256", official}}}, {"relation", "finetune"}}};
  add(facts, "l2", "lineage", child,
      {{"parents", from_official}, {"method", "finetune"}, {"basis", "author-statement"}});
  facts.finalize();
  auto edges = facts.parents_of(official);
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0]->from.status, EventStatus::k_unconfirmed);
  EXPECT_EQ(event_status_name(edges[0]->from.status), "unconfirmed");
  CheckInput in;
  in.target.sha256 = child;
  EXPECT_EQ(decide(facts, in).verdict, VerdictClass::k_nai_official);

  // A recipe its signer marked unconfirmed is listed as an ignored path only.
  const std::string guess = sha_of("guess");
  nlohmann::json from_nai = {
      {{"digest", {{"sha256", nai}}}, {"relation", "merge"}, {"weight", "0.5"}}};
  FactBase g;
  add(g, "m1", "model", nai, {{"title", "NAI"}, {"role", "nai-leak"}});
  add(g, "l3", "lineage", guess,
      {{"parents", from_nai}, {"method", "merge"}, {"basis", "other"}, {"unconfirmed", "rumour"}});
  g.finalize();
  in.target.sha256 = guess;
  Verdict v = decide(g, in);
  EXPECT_EQ(v.verdict, VerdictClass::k_unknown);
  EXPECT_TRUE(v.ancestry.paths.empty());
  ASSERT_EQ(v.ancestry.ignored_paths.size(), 1u);
  EXPECT_EQ(v.ancestry.ignored_paths[0].steps[1].status, EventStatus::k_unconfirmed);
  // Trusting the signer would not help: the advice says what would.
  std::string steps;
  for (const auto& s : v.next_steps) steps += s + "\n";
  EXPECT_NE(steps.find("marked unconfirmed"), std::string::npos) << steps;
  EXPECT_EQ(steps.find("trust add"), std::string::npos) << steps;

  // An unconfirmed model event gives no role.
  FactBase other;
  add(other, "m3", "model", sha_of("x"),
      {{"title", "x"}, {"role", "nai-leak"}, {"unconfirmed", "hash from a forum post"}});
  other.finalize();
  EXPECT_EQ(other.role_of(sha_of("x")), Role::k_none);
}

}  // namespace
}  // namespace pedigree::lineage
