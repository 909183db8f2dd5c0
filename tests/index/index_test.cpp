#include "pedigree/index/index.hpp"

#include <gtest/gtest.h>
#include <random>

#include "pedigree/index/schema.hpp"
#include "pedigree/index/sqlite.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

using testing::no_trust;

// Every ledger-derived table as text, for comparing two indexes.
std::string dump(Index& index) {
  std::string out;
  for (const char* q :
       {"SELECT keyid, name, email FROM keys ORDER BY 1",
        "SELECT id, path, subject, signer, predicate, status, payload_sha256 FROM events ORDER BY "
        "1",
        "SELECT path, error FROM problems ORDER BY 1", "SELECT sha256 FROM artifacts ORDER BY 1",
        "SELECT value, kind, sha256, event FROM aliases ORDER BY 1, 2, 3, 4",
        "SELECT event, child, parent, relation, weight FROM edges ORDER BY 1, 2, 3",
        "SELECT event, subject, spec FROM fingerprints ORDER BY 1",
        "SELECT event, target, signer FROM revocations ORDER BY 1"}) {
    auto st = index.database().prepare(q);
    EXPECT_TRUE(st);
    out += std::string(q) + "\n";
    while (*st->step()) {
      for (int c = 0; c < 7; ++c) out += st->column_text(c) + "|";
      out += "\n";
    }
  }
  return out;
}

TEST(Index, LooksUpEveryHashKindIncludingAllAutoV1Candidates) {
  LedgerFixture fx;
  // Two artifacts share an AutoV1 (as merges often do); one declares a CRC32.
  fx.attest(model_statement(artifact(1), {{"autov1", "81f21c5e"},
                                          {"crc32", "44aeb574"},
                                          {"autov3", "aabbccddeeff"},
                                          {"blake3", "0123abcd"}}));
  fx.attest(model_statement(artifact(2), {{"autov1", "81f21c5e"}}));
  TempDir cfg;
  auto index = Index::open(cfg / "index.sqlite");
  ASSERT_TRUE(index) << index.error().message();
  auto stats = index->update(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(stats) << stats.error().message();
  auto v1 = index->lookup_hash("81F21C5E");
  ASSERT_TRUE(v1);
  std::set<std::string> candidates;
  for (const auto& m : *v1) {
    if (m.kind == "autov1") candidates.insert(m.sha256);
  }
  EXPECT_EQ(candidates, (std::set<std::string>{artifact(1), artifact(2)}));
  // AutoV2 = first 10 hex digits of the SHA-256; full SHA-256; SHA256_12.
  for (std::size_t len : {10u, 12u, 64u}) {
    auto m = index->lookup_hash(artifact(2).substr(0, len));
    ASSERT_TRUE(m);
    ASSERT_FALSE(m->empty());
    EXPECT_EQ(m->front().sha256, artifact(2));
  }
  EXPECT_EQ(index->lookup_hash(artifact(2).substr(0, 10))->front().kind, "autov2");
  // Civitai shows CRC32 44aeb574 as 74B5AE44 (domain.md §2).
  auto crc = index->lookup_hash("74B5AE44");
  ASSERT_TRUE(crc);
  ASSERT_EQ(crc->size(), 1u);
  EXPECT_EQ(crc->front().kind, "crc32-civitai");
  EXPECT_EQ(index->lookup_hash("aabbccddeeff", "autov3")->front().sha256, artifact(1));
  EXPECT_TRUE(index->lookup_hash("aabbccddeeff", "autov1")->empty());
  EXPECT_FALSE(index->lookup_hash("xyz"));
}

TEST(Index, RecordsLineageEdgesBothWays) {
  LedgerFixture fx;
  auto ev = fx.attest(lineage_statement(artifact(3), {artifact(1), artifact(2)}));
  TempDir cfg;
  auto index = Index::open(cfg / "i.sqlite");
  ASSERT_TRUE(index->update(fx.ledger().repo(), no_trust(cfg)));
  auto parents = index->parents(artifact(3));
  ASSERT_TRUE(parents);
  ASSERT_EQ(parents->size(), 2u);
  EXPECT_EQ(parents->at(0).weight.value_or(""), "0.5");
  EXPECT_EQ(parents->at(0).event, ev.event_id);
  EXPECT_FALSE(parents->at(0).trusted);
  auto children = index->children(artifact(1));
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ(children->front().child, artifact(3));
  auto events = index->events_of(artifact(3));
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().status, "valid");
  EXPECT_EQ(index->keys()->size(), 1u);
}

TEST(Index, TrustComesFromThePolicy) {
  LedgerFixture fx;
  fx.attest(lineage_statement(artifact(3), {artifact(1)}));
  TempDir cfg;
  auto policy = no_trust(cfg);
  ASSERT_TRUE(policy.add(fx.key().keyid(), {ledger::PredicateKind::k_lineage}));
  auto index = Index::open(cfg / "i.sqlite");
  ASSERT_TRUE(index->update(fx.ledger().repo(), policy));
  EXPECT_TRUE(index->parents(artifact(3))->front().trusted);
  EXPECT_EQ(index->counts()->valid, 1u);
  EXPECT_EQ(index->trust()->size(), 1u);
}

TEST(Index, IncrementalUpdatesEqualAFullRebuildAfterRandomAdditions) {
  LedgerFixture fx;
  auto late_key = *crypto::PrivateKey::generate();  // its key file arrives later
  std::mt19937 rng(12345);
  TempDir cfg;
  auto incremental = Index::open(cfg / "inc.sqlite");
  ASSERT_TRUE(incremental);
  std::vector<std::pair<std::string, std::string>> events;  // (subject, id) by the fixture key
  std::vector<std::pair<std::string, std::string>> late_events;
  bool late_key_added = false;
  for (int step = 0; step < 40; ++step) {
    int action = static_cast<int>(rng() % 6);
    std::vector<std::pair<std::string, std::string>> files;
    if (action == 0 && !events.empty()) {  // revoke one of our events
      auto [subject, id] = events[rng() % events.size()];
      files.emplace_back("", *ledger::sign_statement(revocation_statement(subject, id), fx.key()));
      files.back().first = ledger::event_path(subject, crypto::sha256_hex(files.back().second));
    } else if (action == 1 &&
               !late_events.empty()) {  // late key revokes before the target is known
      auto [subject, id] = late_events[rng() % late_events.size()];
      std::string bytes = *ledger::sign_statement(revocation_statement(subject, id), late_key);
      files.emplace_back(ledger::event_path(subject, crypto::sha256_hex(bytes)), bytes);
    } else if (action == 2 && !late_key_added && step > 20) {
      files.emplace_back(ledger::key_path(late_key.keyid()),
                         *ledger::make_key_file(late_key, {"Late", "late@e"}));
      late_key_added = true;
    } else {
      int n = static_cast<int>(rng() % 30);
      bool by_late = rng() % 3 == 0;
      ledger::Statement st = rng() % 2 ? model_statement(artifact(n), {{"autov1", "1234abcd"}})
                                       : lineage_statement(artifact(n), {artifact(n + 1)});
      const auto& key = by_late ? late_key : fx.key();
      std::string bytes = *ledger::sign_statement(st, key);
      std::string id = crypto::sha256_hex(bytes);
      files.emplace_back(ledger::event_path(artifact(n), id), bytes);
      (by_late ? late_events : events).emplace_back(artifact(n), id);
      if (!by_late && !std::filesystem::exists(fx.dir() / ledger::key_path(fx.key().keyid()))) {
        files.emplace_back(ledger::key_path(fx.key().keyid()),
                           *ledger::make_key_file(fx.key(), {"T", "t@e"}));
      }
    }
    if (rng() % 5 == 0) files.emplace_back("stray-" + std::to_string(step) + ".txt", "x");
    // Skip files already present (re-signing the same statement gives the same bytes).
    std::erase_if(files,
                  [&](const auto& f) { return std::filesystem::exists(fx.dir() / f.first); });
    if (files.empty()) continue;
    ASSERT_TRUE(fx.ledger().repo().commit_files(files, "t", "t@e", "step"));
    if (rng() % 3 == 0) {
      auto st = incremental->update(fx.ledger().repo(), no_trust(cfg));
      ASSERT_TRUE(st) << st.error().message();
    }
  }
  auto last = incremental->update(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->rebuilt);
  auto full = Index::open(cfg / "full.sqlite");
  auto rebuilt = full->rebuild(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(dump(*incremental), dump(*full));
  auto counts = full->counts();
  EXPECT_GT(counts->untrusted, 0u);
  EXPECT_GT(counts->revoked, 0u);
  EXPECT_GT(counts->problems, 0u);
}

TEST(Index, RewrittenHistoryTriggersARebuild) {
  LedgerFixture fx;
  fx.attest(model_statement(artifact(1)));
  TempDir cfg;
  auto index = Index::open(cfg / "i.sqlite");
  ASSERT_TRUE(index->update(fx.ledger().repo(), no_trust(cfg)));
  auto first = fx.attest(model_statement(artifact(2)));
  ASSERT_TRUE(index->update(fx.ledger().repo(), no_trust(cfg)));
  // Rewrite: drop the last commit and add a different one.
  run_command("cd " + shell_quote(fx.dir().string()) + " && git reset -q --hard HEAD~1");
  fx.attest(model_statement(artifact(3)));
  auto stats = index->update(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->rebuilt);
  EXPECT_TRUE(index->lookup_hash(artifact(2))->empty());
  EXPECT_FALSE(index->event(first.event_id)->has_value());
  EXPECT_EQ(index->lookup_hash(artifact(3))->size(), 1u);
}

TEST(Index, AnInterruptedUpdateLeavesThePreviousStateAndARerunRecovers) {
  LedgerFixture fx;
  fx.attest(model_statement(artifact(1)));
  TempDir cfg;
  {
    auto index = Index::open(cfg / "i.sqlite");
    ASSERT_TRUE(index->update(fx.ledger().repo(), no_trust(cfg)));
    // A writer that dies mid-transaction: rows written, never committed.
    auto tx = Transaction::begin(index->database());
    ASSERT_TRUE(tx);
    ASSERT_TRUE(index->database().exec("DELETE FROM artifacts; UPDATE meta SET value = 'bogus'"));
  }
  fx.attest(model_statement(artifact(2)));
  auto index = Index::open(cfg / "i.sqlite");
  EXPECT_EQ(index->lookup_hash(artifact(1))->size(), 1u);
  auto stats = index->update(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(stats);
  EXPECT_FALSE(stats->rebuilt);
  EXPECT_EQ(index->lookup_hash(artifact(2))->size(), 1u);
  // The sqlite3 CLI reads the file: WAL mode and the latest schema version.
  auto cli =
      run_command("sqlite3 " + shell_quote((cfg / "i.sqlite").string()) +
                  " 'PRAGMA journal_mode; PRAGMA user_version; SELECT count(*) FROM artifacts;'");
  EXPECT_EQ(cli.output, "wal\n" + std::to_string(schema_version()) + "\n2\n");
}

}  // namespace
}  // namespace pedigree::index
