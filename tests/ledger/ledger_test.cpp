#include "pedigree/ledger/ledger.hpp"

#include <gtest/gtest.h>
#include <thread>

#include "support/ledger_fixture.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

TEST(Ledger, AttestWritesASignedEventThatGitReadsAndFsckAccepts) {
  LedgerFixture fx;
  auto added = fx.attest(testing::model_statement(artifact(1), {{"autov1", "925997e9"}}));
  EXPECT_FALSE(added.already_present);
  EXPECT_EQ(added.path, event_path(artifact(1), added.event_id));
  std::string bytes = read_text(fx.dir() / added.path);
  EXPECT_EQ(crypto::sha256_hex(bytes), added.event_id);
  // git CLI: the commit author is the key's identity; the tree is clean and sound.
  std::string cd = "cd " + shell_quote(fx.dir().string()) + " && ";
  auto log = run_command(cd + "git log -1 --format='%an <%ae>|%s'");
  EXPECT_EQ(log.output,
            "Tester <tester@example.org>|attest model " + artifact(1).substr(0, 12) + "\n");
  EXPECT_EQ(run_command(cd + "git fsck --strict 2>&1").exit_code, 0);
  EXPECT_EQ(run_command(cd + "git status --porcelain").output, "");
  auto files = run_command(cd + "git ls-tree -r --name-only HEAD");
  EXPECT_NE(files.output.find(key_path(fx.key().keyid())), std::string::npos);
  EXPECT_NE(files.output.find(added.path), std::string::npos);
  // The committed bytes verify with the key file from the ledger.
  auto ring = fx.ledger().load_keys();
  ASSERT_TRUE(ring);
  auto ev = verify_event_file(added.path, bytes, *ring);
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->signer, fx.key().keyid());
  EXPECT_EQ(ev->statement.predicate["hashes"]["autov1"], "925997e9");
}

TEST(Ledger, AttestingTheSameStatementTwiceAddsOneEvent) {
  LedgerFixture fx;
  auto first = fx.attest(testing::model_statement(artifact(2)));
  auto second = fx.attest(testing::model_statement(artifact(2)));
  EXPECT_TRUE(second.already_present);
  EXPECT_EQ(first.event_id, second.event_id);
  auto count =
      run_command("cd " + shell_quote(fx.dir().string()) + " && git rev-list --count HEAD");
  EXPECT_EQ(count.output, "2\n");  // init + one attest
}

TEST(Ledger, ConcurrentWritersLoseNothing) {
  LedgerFixture fx;
  constexpr int k_per_writer = 15;
  auto writer = [&](int base) {
    auto ledger = Ledger::open(fx.dir());  // each writer has its own repository handle
    ASSERT_TRUE(ledger);
    for (int i = 0; i < k_per_writer; ++i) {
      auto r =
          ledger->add_event(fx.key(), {"W", "w@e"}, testing::model_statement(artifact(base + i)));
      ASSERT_TRUE(r) << r.error().message();
    }
  };
  std::thread a(writer, 100), b(writer, 200);
  a.join();
  b.join();
  std::string cd = "cd " + shell_quote(fx.dir().string()) + " && ";
  auto n = run_command(cd + "git ls-tree -r --name-only HEAD | grep -c '^events/'");
  EXPECT_EQ(n.output, std::to_string(2 * k_per_writer) + "\n");
  EXPECT_EQ(run_command(cd + "git fsck --strict 2>&1").exit_code, 0);
  EXPECT_EQ(run_command(cd + "git status --porcelain").output, "");
}

TEST(Ledger, InitRefusesANonEmptyDirectoryAndOpenNeedsLedgerJson) {
  TempDir dir;
  write_text(dir / "x" / "file", "x");
  EXPECT_EQ(Ledger::init(dir / "x", "t").error().code(), ErrorCode::k_conflict);
  EXPECT_EQ(Ledger::open(dir / "nope").error().code(), ErrorCode::k_not_found);
}

TEST(Ledger, FirstUseCopiesTheBundledLedger) {
  LedgerFixture bundled;
  auto added = bundled.attest(testing::model_statement(artifact(3)));
  TempDir dir;
  auto copy = Ledger::open_or_create(dir / "user", bundled.dir());
  ASSERT_TRUE(copy) << copy.error().message();
  EXPECT_EQ(read_text(dir / "user" / added.path), read_text(bundled.dir() / added.path));
  EXPECT_TRUE(std::filesystem::exists(dir / "user" / key_path(bundled.key().keyid())));
  auto again = Ledger::open_or_create(dir / "user", bundled.dir());
  EXPECT_TRUE(again);
  // An empty bundled ledger (no LEDGER.json) yields a fresh ledger.
  auto fresh = Ledger::open_or_create(dir / "fresh", dir / "missing");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->info().format, k_ledger_format);
}

TEST(Ledger, TheRepositorysBundledLedgerIsValid) {
  auto text = read_text(std::filesystem::path(PEDIGREE_SOURCE_DIR) / "ledger" / "LEDGER.json");
  auto info = parse_ledger_json(text, "ledger/LEDGER.json");
  ASSERT_TRUE(info) << info.error().message();
}

// LEDGER.json comes from remotes: only format 1 is read, however it is
// written, and a value that would narrow to 1 is not it.
TEST(Ledger, LedgerJsonFormatIsComparedBeforeNarrowing) {
  for (const char* format :
       {"4294967297", "18446744073709551617", "-4294967295", "1.0", "\"1\"", "2"}) {
    auto info =
        parse_ledger_json(std::string("{\"format\":") + format + ",\"name\":\"x\"}", "LEDGER.json");
    EXPECT_FALSE(info) << format;
  }
  auto one = parse_ledger_json(R"({"format":1,"name":"x"})", "LEDGER.json");
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(one->format, 1);
  auto again = parse_ledger_json(ledger_json_text(*one), "LEDGER.json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->name, "x");
}

TEST(Layout, ClassifiesEveryKindOfPath) {
  std::string s = artifact(4), e = artifact(5);
  EXPECT_EQ(classify_path(event_path(s, e)).kind, EntryKind::k_event);
  EXPECT_EQ(classify_path(event_path(s, e)).subject, s);
  EXPECT_EQ(classify_path("events/00/00/" + s + "/" + e + ".json").kind, EntryKind::k_stray);
  EXPECT_EQ(classify_path(key_path(e)).kind, EntryKind::k_key);
  EXPECT_EQ(classify_path("LEDGER.json").kind, EntryKind::k_ledger_json);
  EXPECT_EQ(classify_path("notes.txt").kind, EntryKind::k_stray);
  EXPECT_EQ(classify_path("keys/ABC.json").kind, EntryKind::k_stray);
}

}  // namespace
}  // namespace pedigree::ledger
