// Index files written by an older pedigree upgrade cleanly: schema version 2
// (WITHOUT ROWID events with hex payload digests, fingerprint data copied
// out of the payload) migrates to version 3 and is rebuilt from the ledger.
#include <gtest/gtest.h>

#include "pedigree/index/index.hpp"
#include "pedigree/index/schema.hpp"
#include "pedigree/ledger/attest.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

const std::string k_schema_dir = std::string(PEDIGREE_SOURCE_DIR) + "/schema/";

using testing::no_trust;

ledger::Statement fingerprint_statement(const std::string& sha, const std::string& data) {
  return {{"", sha, ""},
          ledger::PredicateKind::k_fingerprint,
          {{"spec", ledger::k_fingerprint_spec}, {"encoding", "base64"}, {"data", data}}};
}

// The rows queries see, as text, for comparing two indexes.
std::string visible_rows(Index& index, const std::vector<std::string>& subjects) {
  std::string out;
  for (const auto& s : subjects) {
    // Each result held in a local: a range-for over `*temporary` would dangle.
    auto events = index.events_of(s);
    auto fingerprints = index.fingerprints_of(s);
    auto matches = index.lookup_hash(s);
    auto parents = index.parents(s);
    EXPECT_TRUE(events && fingerprints && matches && parents);
    for (const auto& e : *events)
      out += e.id + "|" + e.status + "|" + e.predicate + "|" + e.payload + "\n";
    for (const auto& f : *fingerprints) out += f.event + "|" + f.data + "\n";
    for (const auto& m : *matches) out += m.kind + "|" + m.event + "\n";
    for (const auto& p : *parents) out += p.parent + "|" + p.event + "\n";
  }
  return out;
}

TEST(IndexSchema, AVersion2IndexUpgradesAndIsRebuiltToWhatAFreshIndexHolds) {
  LedgerFixture fx;
  fx.attest(model_statement(artifact(1), {{"autov1", "81f21c5e"}}));
  fx.attest(lineage_statement(artifact(2), {artifact(1)}));
  fx.attest(fingerprint_statement(artifact(1), "QUJD"));
  auto head = *fx.ledger().repo().head();
  TempDir cfg;
  const auto old_path = cfg / "old.sqlite";
  // A version-2 file as the previous pedigree left it, written by the sqlite3 CLI
  // from the migrations of that version, with rows in the old shapes.
  auto made = run_command(
      "sqlite3 " + shell_quote(old_path.string()) + " < " +
      shell_quote(k_schema_dir + "001_init.sql") + " && sqlite3 " + shell_quote(old_path.string()) +
      " < " + shell_quote(k_schema_dir + "002_lookup.sql") + " && sqlite3 " +
      shell_quote(old_path.string()) +
      " \"PRAGMA journal_mode = WAL; PRAGMA user_version = 2; "
      "INSERT INTO meta VALUES ('last_commit', '" +
      *head +
      "'); "
      "INSERT INTO events VALUES ('" +
      std::string(64, 'e') + "', 'events/x', '" + artifact(1) +
      "', 'k', 'fingerprint', 'valid', '', '" + std::string(64, 'f') +
      "', '{}', 'b'); INSERT INTO fingerprints VALUES ('" + std::string(64, 'e') + "', '" +
      artifact(1) + "', 'spec', 'OLDDATA');\" 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.output;

  auto old = Index::open(old_path);
  ASSERT_TRUE(old) << old.error().message();
  EXPECT_EQ(*old->database().user_version(), schema_version());
  EXPECT_FALSE(old->last_commit()->has_value());  // forgotten: the next update rebuilds
  auto stats = old->update(fx.ledger().repo(), no_trust(cfg));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_TRUE(stats->rebuilt);
  EXPECT_EQ(stats->events, 3u);

  auto fresh = Index::open(cfg / "fresh.sqlite");
  ASSERT_TRUE(fresh->update(fx.ledger().repo(), no_trust(cfg)));
  std::vector<std::string> subjects{artifact(1), artifact(2)};
  EXPECT_EQ(visible_rows(*old, subjects), visible_rows(*fresh, subjects));
  // The fingerprint data is read from the verified payload, not from a copy.
  auto fps = old->fingerprints_of(artifact(1));
  ASSERT_EQ(fps->size(), 1u);
  EXPECT_EQ(fps->front().data, "QUJD");
  EXPECT_EQ(fps->front().spec, ledger::k_fingerprint_spec);
  // The sqlite3 CLI sees the new shapes.
  auto cli = run_command(
      "sqlite3 " + shell_quote(old_path.string()) +
      " \"SELECT typeof(payload_sha256), length(payload_sha256) FROM events WHERE status = "
      "'valid' LIMIT 1; SELECT count(*) FROM pragma_table_info('fingerprints') WHERE name = "
      "'data'; SELECT count(*) FROM events WHERE id = '" +
      std::string(64, 'e') + "';\"");
  EXPECT_EQ(cli.output, "blob|32\n0\n0\n");
}

TEST(IndexSchema, AnIndexNewerThanThisPedigreeIsRefused) {
  TempDir cfg;
  auto made = run_command("sqlite3 " + shell_quote((cfg / "i.sqlite").string()) +
                          " 'PRAGMA user_version = " + std::to_string(schema_version() + 1) + ";'");
  ASSERT_EQ(made.exit_code, 0);
  auto index = Index::open(cfg / "i.sqlite");
  ASSERT_FALSE(index);
  EXPECT_EQ(index.error().code(), ErrorCode::k_not_supported);
}

}  // namespace
}  // namespace pedigree::index
