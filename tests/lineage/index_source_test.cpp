// IndexSource over a real ledger and its SQLite index: loads only the
// target's neighbourhood, keeps trust and revocation status, resolves hashes
// and names through indexed lookups, lists reference models by role.
#include "pedigree/lineage/index_source.hpp"

#include <gtest/gtest.h>

#include "pedigree/index/index.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/lineage/ancestry.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::lineage {
namespace {

using testing::artifact;
using testing::LedgerFixture;

ledger::Statement model(const std::string& sha, const std::string& title,
                        const std::string& role = "", nlohmann::json hashes = nullptr) {
  auto st = testing::model_statement(sha, hashes);
  st.predicate["title"] = title;
  if (!role.empty()) st.predicate["role"] = role;
  return st;
}

class IndexSource_ : public ::testing::Test {
protected:
  void SetUp() override {
    // Chain: artifact(0) (nai-leak) <- 1 <- 2 <- ... <- 5; artifact(9) unrelated.
    m_nai_event =
        m_fx.attest(model(artifact(0), "animefull", "nai-leak", {{"autov1", "925997e9"}})).event_id;
    for (int i = 1; i <= 5; ++i) {
      m_fx.attest(model(artifact(i), "model " + std::to_string(i)));
      m_fx.attest(testing::lineage_statement(artifact(i), {artifact(i - 1)}));
    }
    m_fx.attest(model(artifact(9), "unrelated"));
    auto revoked = m_fx.attest(testing::lineage_statement(artifact(9), {artifact(0)}));
    m_fx.attest(testing::revocation_statement(artifact(9), revoked.event_id));
    m_revoked = revoked.event_id;
    nlohmann::json trust = {
        {"keys",
         {{m_fx.key().keyid(), {{"for", {"model", "lineage", "revocation", "reference"}}}}}}};
    testing::write_text(m_fx.temp() / "trust.json", trust.dump());
    auto policy = ledger::TrustPolicy::load(m_fx.temp() / "trust.json", nullptr);
    ASSERT_TRUE(policy) << policy.error().message();
    auto idx = index::Index::open(m_fx.temp() / "index.sqlite");
    ASSERT_TRUE(idx) << idx.error().message();
    m_index.emplace(std::move(*idx));
    auto updated = m_index->update(m_fx.ledger().repo(), *policy);
    ASSERT_TRUE(updated) << updated.error().message();
  }

  LedgerFixture m_fx;
  std::optional<index::Index> m_index;
  std::string m_nai_event, m_revoked;
};

TEST_F(IndexSource_, LoadsTheAncestorsOnly) {
  IndexSource source(*m_index, ReferenceStore(std::filesystem::path()));
  auto facts = source.load({artifact(3)});
  ASSERT_TRUE(facts) << facts.error().message();
  for (int i = 0; i <= 3; ++i) EXPECT_NE((*facts)->artifact(artifact(i)), nullptr) << i;
  EXPECT_EQ((*facts)->artifact(artifact(4)), nullptr);  // a descendant, not needed
  EXPECT_EQ((*facts)->artifact(artifact(9)), nullptr);  // unrelated
  EXPECT_EQ((*facts)->role_of(artifact(0)), Role::k_nai_leak);
  auto anc = trace_ancestry(**facts, artifact(3));
  ASSERT_EQ(anc.paths.size(), 1u);
  EXPECT_EQ(anc.paths[0].steps.size(), 4u);
}

TEST_F(IndexSource_, LoadsAParentNamedByWeightsHashOnly) {
  // artifact(7) declares artifact(0)'s weights hash as its parent's, no SHA-256.
  const std::string weights(64, 'e');
  m_fx.attest(model(artifact(8), "nai copy carrying the weights", "", {{"weights", weights}}));
  ledger::Statement st = testing::lineage_statement(artifact(7), {});
  st.predicate["parents"] = {
      {{"digest", {{"pedigree-weights-v1", weights}}}, {"relation", "finetune"}}};
  m_fx.attest(st);
  m_fx.attest(testing::lineage_statement(artifact(8), {artifact(0)}));
  auto policy = ledger::TrustPolicy::load(m_fx.temp() / "trust.json", nullptr);
  ASSERT_TRUE(policy) << policy.error().message();
  ASSERT_TRUE(m_index->update(m_fx.ledger().repo(), *policy));

  IndexSource source(*m_index, ReferenceStore(std::filesystem::path()));
  auto facts = source.load({artifact(7)});
  ASSERT_TRUE(facts) << facts.error().message();
  ASSERT_NE((*facts)->artifact(artifact(8)), nullptr);  // found through the weights hash
  auto anc = trace_ancestry(**facts, artifact(7));
  ASSERT_EQ(anc.paths.size(), 1u);  // 7 -> 8 (by weights) -> 0 (nai-leak)
  ASSERT_EQ(anc.paths[0].steps.size(), 3u);
  EXPECT_EQ(anc.paths[0].steps[1].sha256, artifact(8));
  EXPECT_TRUE(anc.reaches_leak);
}

TEST_F(IndexSource_, RevokedAndUntrustedEventsAreKeptWithTheirStatus) {
  IndexSource source(*m_index, ReferenceStore(std::filesystem::path()));
  auto facts = source.load({artifact(9)});
  ASSERT_TRUE(facts);
  auto parents = (*facts)->parents_of(artifact(9));
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0]->from.status, EventStatus::k_revoked);
  EXPECT_EQ(parents[0]->from.event_id, m_revoked);
  auto anc = trace_ancestry(**facts, artifact(9));
  EXPECT_TRUE(anc.paths.empty());
  EXPECT_EQ(anc.ignored_paths.size(), 1u);
}

TEST_F(IndexSource_, ResolvesHashesAndNames) {
  IndexSource source(*m_index, ReferenceStore(std::filesystem::path()));
  auto by_sha = source.resolve(artifact(2));
  ASSERT_TRUE(by_sha);
  ASSERT_EQ(by_sha->candidates.size(), 1u);
  EXPECT_EQ(by_sha->candidates[0].sha256, artifact(2));
  auto by_autov2 = source.resolve("AutoV2:" + artifact(4).substr(0, 10));
  ASSERT_TRUE(by_autov2);
  ASSERT_EQ(by_autov2->candidates.size(), 1u);
  EXPECT_EQ(by_autov2->candidates[0].matched_by, "autov2");
  auto by_autov1 = source.resolve("925997E9");
  ASSERT_TRUE(by_autov1);
  ASSERT_EQ(by_autov1->candidates.size(), 1u);
  EXPECT_TRUE(by_autov1->weak);
  auto by_name = source.resolve("AnimeFull");
  ASSERT_TRUE(by_name);
  ASSERT_EQ(by_name->candidates.size(), 1u);
  EXPECT_EQ(by_name->candidates[0].sha256, artifact(0));
  auto by_file = source.resolve("model-" + artifact(5).substr(0, 6));  // file name sans extension
  ASSERT_TRUE(by_file);
  ASSERT_EQ(by_file->candidates.size(), 1u);
  auto none = source.resolve(std::string(64, 'f'));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->candidates.empty());
}

TEST_F(IndexSource_, ListsTrustedReferenceModels) {
  IndexSource source(*m_index, ReferenceStore(std::filesystem::path()));
  auto refs = source.reference_models();
  ASSERT_TRUE(refs) << refs.error().message();
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ((*refs)[0].sha256, artifact(0));
  EXPECT_EQ((*refs)[0].role, Role::k_nai_leak);
  EXPECT_FALSE((*refs)[0].fingerprint.has_value());
  auto same = source.artifacts_with_hash("autov1", "925997e9");
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, std::vector<std::string>{artifact(0)});
}

TEST_F(IndexSource_, TheLookupIndexesAreUsed) {
  // The reference and name lookups must not scan every event of a large ledger.
  auto& db = m_index->database();
  for (const char* q :
       {"EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE e.predicate = 'model' AND "
        "json_valid(e.payload) AND json_extract(e.payload, '$.predicate.role') IN ('base', "
        "'nai-leak')",
        "EXPLAIN QUERY PLAN SELECT e.subject FROM events e WHERE e.predicate = 'model' AND "
        "json_valid(e.payload) AND lower(json_extract(e.payload, '$.predicate.title')) = 'x'",
        "EXPLAIN QUERY PLAN SELECT e.subject FROM events e WHERE e.predicate = 'model' AND "
        "json_valid(e.payload) AND json_extract(e.payload, '$.predicate.civitai_version') = '1'",
        "EXPLAIN QUERY PLAN SELECT e.subject FROM events e WHERE e.predicate = 'model' AND "
        "json_valid(e.payload) AND lower(json_extract(e.payload, '$.predicate.hf_repo')) >= 'a@' "
        "AND lower(json_extract(e.payload, '$.predicate.hf_repo')) < 'a@\x7f'"}) {
    auto st = db.prepare(q);
    ASSERT_TRUE(st) << st.error().message();
    std::string plan;
    while (true) {
      auto row = st->step();
      ASSERT_TRUE(row);
      if (!*row) break;
      plan += st->column_text(3) + "\n";
    }
    EXPECT_NE(plan.find("USING INDEX events_model_"), std::string::npos) << plan;
  }
}

}  // namespace
}  // namespace pedigree::lineage
