// The index is a cache that cannot lie (issue 15, case 6), through the real
// binary: a byte changed in index.sqlite, a statement rewritten, an alias
// pointed elsewhere, an edge row changed or deleted. `check` refuses with "the
// index is damaged ... run `pedigree index rebuild`" (exit 4) instead of
// drawing a verdict from an unverified row (or keeps its true verdict when
// it never reads that row), `index status` reports every one, and a rebuild
// restores the verdict.
#include <gtest/gtest.h>

#include <functional>

#include "e2e/check_world.hpp"
#include "pedigree/index/schema.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::read_text;
using testing::run_command;
using testing::sha_of_label;
using testing::shell_quote;
using testing::Signer;
using testing::write_text;

constexpr int k_exit_bad_input = 4;

// NAI (leak) -> A (finetune) -> C (0.3 A + 0.7 SD1.5).
void indexed_leak_chain(CheckWorld& w) {
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("A", "", "", {{"autov1", "0a0a0a0a"}});
  w.lineage("A", {{"animefull", "finetune", ""}});
  w.model("C");
  w.lineage("C", {{"A", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
}

std::filesystem::path index_file(const CheckWorld& w) {
  return w.ledger_dir() / ".git" / "pedigree" / "index.sqlite";
}

void sql(const CheckWorld& w, const std::string& statement) {
  auto r = run_command("sqlite3 " + shell_quote(index_file(w).string()) + " " +
                       shell_quote(statement) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << statement << ": " << r.output;
}

// `check` of `label` refuses: no verdict from a damaged index.
void expect_refused(const CheckWorld& w, const std::string& target, const std::string& what) {
  auto r = w.check(target);
  EXPECT_EQ(r.exit_code, k_exit_bad_input) << what << "\n" << r.out << r.err;
  EXPECT_NE(r.err.find("the index is damaged"), std::string::npos) << what << "\n" << r.err;
  EXPECT_NE(r.err.find("pedigree index rebuild"), std::string::npos) << what << "\n" << r.err;
  EXPECT_EQ(r.out.find("no-nai-found"), std::string::npos) << what << "\n" << r.out;
}

// `check` of `label` either keeps its true verdict (it did not use the
// damaged row) or refuses; `index status` reports the damage.
void expect_verdict_kept_and_damage_reported(const CheckWorld& w, const std::string& label,
                                             const std::string& what) {
  auto r = w.check(sha_of_label(label));
  if (r.exit_code == k_exit_bad_input) {
    EXPECT_NE(r.err.find("the index is damaged"), std::string::npos) << what << "\n" << r.err;
  } else {
    EXPECT_EQ(r.json["verdict"], "nai-leak") << what << "\n" << r.out << r.err;
  }
  auto status = w.run("index status");
  EXPECT_EQ(status.exit_code, k_exit_bad_input) << what << "\n" << status.out << status.err;
  EXPECT_NE(status.err.find("the index is damaged"), std::string::npos) << what << "\n"
                                                                        << status.err;
}

void expect_rebuild_restores(const CheckWorld& w) {
  auto status = w.run("index status");
  EXPECT_EQ(status.exit_code, k_exit_bad_input) << status.out << status.err;
  EXPECT_NE(status.err.find("the index is damaged"), std::string::npos) << status.err;
  ASSERT_EQ(w.run("index rebuild").exit_code, 0);
  EXPECT_EQ(w.run("index status").exit_code, 0);
  auto nai = w.check(sha_of_label("animefull"));
  EXPECT_EQ(nai.json["verdict"], "nai-leak") << nai.out << nai.err;
  auto c = w.check(sha_of_label("C"));
  EXPECT_EQ(c.json["verdict"], "nai-leak") << c.out << c.err;
}

TEST(IndexIntegrity, OneByteChangedInAReferenceRoleRefusesInsteadOfAVerdict) {
  CheckWorld w;
  indexed_leak_chain(w);
  ASSERT_EQ(w.check(sha_of_label("animefull")).json["verdict"], "nai-leak");
  // The byte-level damage of the issue: "role":"nai-leak" -> "Nai-leak" in the file.
  std::string bytes = read_text(index_file(w));
  const std::string from = "\"role\":\"nai-leak\"", to = "\"role\":\"Nai-leak\"";
  auto at = bytes.find(from);
  ASSERT_NE(at, std::string::npos) << "payload not found in index.sqlite";
  for (; at != std::string::npos; at = bytes.find(from, at)) bytes.replace(at, from.size(), to);
  write_text(index_file(w), bytes);
  expect_refused(w, sha_of_label("animefull"), "NAI itself");
  expect_refused(w, sha_of_label("C"), "a descendant");
  expect_rebuild_restores(w);
}

TEST(IndexIntegrity, AChangedStatementOrEdgeOrAliasRowIsNeverUsed) {
  CheckWorld w;
  indexed_leak_chain(w);
  ASSERT_EQ(w.check(sha_of_label("C")).json["verdict"], "nai-leak");
  // A statement rewritten in place (the digest no longer matches).
  sql(w, "UPDATE events SET payload = replace(payload, '\"nai-leak\"', '\"base\"')");
  expect_refused(w, sha_of_label("animefull"), "rewritten statement");
  expect_rebuild_restores(w);
  // An edge weight changed: `check` reads lineage from the verified statements,
  // never from the edges table, and `index status` reports the row.
  sql(w, "UPDATE edges SET weight = '0.9' WHERE weight = '0.3'");
  expect_verdict_kept_and_damage_reported(w, "C", "changed edge");
  expect_rebuild_restores(w);
  // An alias pointed at another artifact.
  sql(w, "UPDATE aliases SET sha256 = '" + sha_of_label("sd15") + "' WHERE value = '0a0a0a0a'");
  expect_refused(w, "0a0a0a0a", "redirected alias");
  expect_rebuild_restores(w);
}

TEST(IndexIntegrity, AnEdgeRowLostFromTheIndexIsReportedAndNeverDecides) {
  CheckWorld w;
  indexed_leak_chain(w);
  ASSERT_EQ(w.check(sha_of_label("A")).json["verdict"], "nai-leak");
  // The only edge to NAI disappears from the edges table.
  sql(w, "DELETE FROM edges WHERE parent = '" + sha_of_label("animefull") + "'");
  expect_verdict_kept_and_damage_reported(w, "A", "lost edge");
  expect_verdict_kept_and_damage_reported(w, "C", "lost edge below");
  expect_rebuild_restores(w);
}

// The columns beside the payload decide whether a statement counts; each is
// covered by the row digest (schema/004_row_digest.sql). One edit at a time,
// each in a fresh world: `check` refuses, `index status` reports it, a
// rebuild restores the verdicts.
struct ColumnEdit {
  const char* what;
  std::string sql;     // the damage
  std::string target;  // what `check` is asked about
};

void expect_column_edit_refused(const std::function<std::vector<ColumnEdit>(CheckWorld&)>& make) {
  for (std::size_t i = 0;; ++i) {
    CheckWorld w;
    indexed_leak_chain(w);
    auto edits = make(w);
    if (i == edits.size()) break;
    const ColumnEdit& edit = edits[i];
    auto before = w.check(edit.target);
    ASSERT_TRUE(before.json.is_object()) << edit.what << "\n" << before.out << before.err;
    sql(w, edit.sql);
    expect_refused(w, edit.target, edit.what);
    expect_rebuild_restores(w);
    auto after = w.check(edit.target);
    EXPECT_EQ(after.json["verdict"], before.json["verdict"]) << edit.what << "\n" << after.out;
  }
}

TEST(IndexIntegrity, AnUntrustedSignerMadeTrustedInTheIndexIsNeverUsed) {
  expect_column_edit_refused([](CheckWorld& w) {
    // X from the base only, said by a key nobody trusts: unknown, never clean.
    w.model("X");
    std::string id = w.lineage("X", {{"sd15", "finetune", ""}}, Signer::k_untrusted);
    return std::vector<ColumnEdit>{
        {"signer made trusted",
         "UPDATE events SET signer = '" + w.trusted_keyid() + "' WHERE id = '" + id + "'",
         sha_of_label("X")}};
  });
}

TEST(IndexIntegrity, ARevokedOrDuplicateStatusMadeValidInTheIndexIsNeverUsed) {
  expect_column_edit_refused([](CheckWorld& w) {
    // X's only clean lineage is withdrawn by its signer: X reads unknown.
    w.model("X");
    std::string id = w.lineage("X", {{"sd15", "finetune", ""}});
    w.revoke("X", id);
    return std::vector<ColumnEdit>{
        {"revoked made valid",
         "UPDATE events SET status = 'valid', error = '' WHERE id = '" + id + "'",
         sha_of_label("X")}};
  });
}

TEST(IndexIntegrity, AValidStatusMadeRevokedOrInvalidInTheIndexIsNeverUsed) {
  // The other direction drops evidence: NAI's identity or A's lineage to it.
  expect_column_edit_refused([](CheckWorld&) {
    return std::vector<ColumnEdit>{
        {"A's lineage revoked",
         "UPDATE events SET status = 'revoked' WHERE predicate = 'lineage' AND subject = '" +
             sha_of_label("A") + "'",
         sha_of_label("A")},
        {"A's lineage unknown-key",
         "UPDATE events SET status = 'unknown-key' WHERE predicate = 'lineage' AND subject = '" +
             sha_of_label("A") + "'",
         sha_of_label("A")}};
  });
}

TEST(IndexIntegrity, AChangedSubjectOrPredicateColumnIsNeverUsed) {
  expect_column_edit_refused([](CheckWorld& w) {
    w.model("X");
    const std::string a = sha_of_label("A"), x = sha_of_label("X");
    return std::vector<ColumnEdit>{
        // A's model event filed under X: X would gain A's identity.
        {"subject moved",
         "UPDATE events SET subject = '" + x + "' WHERE predicate = 'model' AND subject = '" + a +
             "'",
         x},
        // A's lineage event as another predicate: it would stop counting as lineage.
        {"predicate changed",
         "UPDATE events SET predicate = 'claim' WHERE predicate = 'lineage' AND subject = '" + a +
             "'",
         a},
        // The event id, path, error and blob are covered too.
        {"path changed", "UPDATE events SET path = 'x' || path WHERE subject = '" + a + "'", a},
        {"blob changed", "UPDATE events SET blob = '00' || blob WHERE subject = '" + a + "'", a}};
  });
}

TEST(IndexIntegrity, AnIndexOfSchemaVersion3MigratesAndRebuilds) {
  CheckWorld w;
  indexed_leak_chain(w);
  ASSERT_EQ(w.check(sha_of_label("C")).json["verdict"], "nai-leak");
  // What an earlier pedigree left: no row digests, user_version 3.
  sql(w, "ALTER TABLE events DROP COLUMN row_sha256; PRAGMA user_version = 3;");
  auto c = w.check(sha_of_label("C"));
  EXPECT_EQ(c.json["verdict"], "nai-leak") << c.out << c.err;
  EXPECT_EQ(w.run("index status").exit_code, 0);
  auto version =
      run_command("sqlite3 " + shell_quote(index_file(w).string()) + " 'PRAGMA user_version' 2>&1");
  EXPECT_EQ(version.output, std::to_string(index::schema_version()) + "\n");
}

}  // namespace
}  // namespace pedigree
