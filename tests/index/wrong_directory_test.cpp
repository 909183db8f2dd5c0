// An event file copied under another subject's directory: the copy is
// reported invalid and the original stays valid, in whichever order the two
// paths are met, and an incremental update equals a rebuild.
#include <gtest/gtest.h>

#include "pedigree/index/index.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

void check_copy(const std::string& subject, const std::string& other_subject) {
  LedgerFixture f;
  auto policy = *ledger::TrustPolicy::load(f.temp() / "trust.json", nullptr);
  auto added = f.attest(model_statement(subject));
  auto incremental = *Index::open(f.temp() / "inc.sqlite");
  ASSERT_TRUE(incremental.update(f.ledger().repo(), policy));
  const std::string copy = ledger::event_path(other_subject, added.event_id);
  write_text(f.dir() / copy, read_text(f.dir() / added.path));
  f.git_commit_all("copy under another subject");
  ASSERT_TRUE(incremental.update(f.ledger().repo(), policy));
  auto rebuilt = *Index::open(f.temp() / "full.sqlite");
  ASSERT_TRUE(rebuilt.rebuild(f.ledger().repo(), policy));
  auto on_disk = *Index::open_memory();
  ASSERT_TRUE(on_disk.index_directory(f.dir(), policy));
  for (Index* index : {&incremental, &rebuilt, &on_disk}) {
    auto counts = *index->counts();
    EXPECT_EQ(counts.untrusted, 1u);  // the original (valid, no key trusted)
    EXPECT_EQ(counts.invalid, 1u);    // the copy
    auto original = *index->event(added.event_id);
    ASSERT_TRUE(original.has_value());
    EXPECT_EQ(original->status, "valid");
    EXPECT_EQ(original->path, added.path);
    auto problems = *index->problem_events(false);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].path, copy);
    EXPECT_NE(problems[0].error.find("statement's subject is " + subject), std::string::npos);
  }
}

TEST(IndexWrongDirectory, CopySortedAfterTheOriginalIsInvalidAndTheOriginalStaysValid) {
  check_copy(std::string(64, '1'), std::string(64, 'e'));
}

TEST(IndexWrongDirectory, CopySortedBeforeTheOriginalIsInvalidAndTheOriginalStaysValid) {
  check_copy(std::string(64, 'e'), std::string(64, '1'));
}

}  // namespace
}  // namespace pedigree::index
