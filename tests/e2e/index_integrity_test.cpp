// The index is a cache that cannot lie (issue 15, case 6), through the real
// binary: a byte changed in index.sqlite, a statement rewritten, an alias
// pointed elsewhere, an edge row changed or deleted. `check` refuses with "the
// index is damaged ... run `pedigree index rebuild`" (exit 4) instead of
// drawing a verdict from an unverified row (or keeps its true verdict when
// it never reads that row), `index status` reports every one, and a rebuild
// restores the verdict.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::read_text;
using testing::run_command;
using testing::sha_of_label;
using testing::shell_quote;
using testing::write_text;

constexpr int k_exit_bad_input = 4;

// NAI (leak) -> A (finetune) -> C (0.3 A + 0.7 SD1.5).
void chain(CheckWorld& w) {
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
  chain(w);
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
  chain(w);
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
  chain(w);
  ASSERT_EQ(w.check(sha_of_label("A")).json["verdict"], "nai-leak");
  // The only edge to NAI disappears from the edges table.
  sql(w, "DELETE FROM edges WHERE parent = '" + sha_of_label("animefull") + "'");
  expect_verdict_kept_and_damage_reported(w, "A", "lost edge");
  expect_verdict_kept_and_damage_reported(w, "C", "lost edge below");
  expect_rebuild_restores(w);
}

}  // namespace
}  // namespace pedigree
