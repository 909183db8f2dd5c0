#include "pedigree/index/verify_pipeline.hpp"

#include <gtest/gtest.h>

#include <map>

#include "pedigree/index/index.hpp"
#include "pedigree/ledger/attest.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

// `count` signed model events (one per artifact) in memory: files and their bytes by ref.
struct MemoryEvents {
  std::vector<EventFile> files;
  std::map<std::string, std::string> bytes;  // by ref
};

MemoryEvents make_events(const crypto::PrivateKey& key, int count) {
  MemoryEvents out;
  for (int i = 0; i < count; ++i) {
    std::string bytes = *ledger::sign_statement(model_statement(artifact(i)), key);
    std::string rel = ledger::event_path(artifact(i), crypto::sha256_hex(bytes));
    out.files.push_back({rel, "ref-" + std::to_string(i)});
    out.bytes[out.files.back().ref] = bytes;
  }
  return out;
}

// A copy of `bytes` with the signature's first base64 digit changed.
std::string forge_signature(std::string bytes) {
  auto at = bytes.find("\"sig\":\"") + 7;
  bytes[at] = bytes[at] == 'A' ? 'B' : 'A';
  return bytes;
}

TEST(VerifyPipeline, AppliesEveryFileInOrderWithItsOwnResultIncludingFailures) {
  auto key = *crypto::PrivateKey::generate();
  auto stranger = *crypto::PrivateKey::generate();
  ledger::KeyRing ring;
  ring.add({key.public_key(), {"t", "t@e"}});
  MemoryEvents ev = make_events(key, 300);  // many more than the serial threshold
  // In the middle: a forged signature, an unreadable file, an unknown signer,
  // and bytes that are not JSON (their file names no longer match: checked first).
  ev.bytes["ref-100"] = forge_signature(ev.bytes["ref-100"]);
  ev.files[100].path = ledger::event_path(artifact(100), crypto::sha256_hex(ev.bytes["ref-100"]));
  ev.bytes.erase("ref-150");
  std::string by_stranger = *ledger::sign_statement(model_statement(artifact(200)), stranger);
  ev.bytes["ref-200"] = by_stranger;
  ev.files[200].path = ledger::event_path(artifact(200), crypto::sha256_hex(by_stranger));
  ev.bytes["ref-250"] = "not json";
  ev.files[250].path = ledger::event_path(artifact(250), crypto::sha256_hex("not json"));

  ReadFn read = [&](const std::string& ref) -> Result<std::string> {
    auto it = ev.bytes.find(ref);
    if (it == ev.bytes.end()) return not_found("blob " + ref);
    return it->second;
  };
  std::vector<std::string> seen;
  std::map<std::string, Error> failures;  // by path
  auto done = verify_in_order(ev.files, read, ring, [&](const EventFile& f, CheckedEvent c) {
    seen.push_back(f.path);
    if (!c.verified) {
      failures.emplace(f.path, c.verified.error());
    } else {
      EXPECT_EQ(c.verified->statement.subject.sha256, ledger::classify_path(f.path).subject);
      EXPECT_EQ(c.bytes, ev.bytes[f.ref]);
    }
    return Result<void>{};
  });
  ASSERT_TRUE(done) << done.error().message();
  std::vector<std::string> expected;
  for (const auto& f : ev.files) expected.push_back(f.path);
  EXPECT_EQ(seen, expected);
  ASSERT_EQ(failures.size(), 4u);
  EXPECT_EQ(failures.at(ev.files[100].path).code(), ErrorCode::k_untrusted);
  EXPECT_EQ(failures.at(ev.files[150].path).code(), ErrorCode::k_not_found);
  EXPECT_NE(failures.at(ev.files[150].path).message().find(ev.files[150].path), std::string::npos);
  EXPECT_EQ(failures.at(ev.files[200].path).code(), ErrorCode::k_not_found);
  EXPECT_NE(failures.at(ev.files[200].path).message().find("unknown key"), std::string::npos);
  EXPECT_EQ(failures.at(ev.files[250].path).code(), ErrorCode::k_corruption);
}

TEST(VerifyPipeline, StopsAtTheFirstApplyErrorAndReturnsIt) {
  auto key = *crypto::PrivateKey::generate();
  ledger::KeyRing ring;
  ring.add({key.public_key(), {"t", "t@e"}});
  MemoryEvents ev = make_events(key, 200);
  ReadFn read = [&](const std::string& ref) -> Result<std::string> { return ev.bytes[ref]; };
  std::size_t applied = 0;
  auto done = verify_in_order(ev.files, read, ring, [&](const EventFile&, CheckedEvent) {
    if (applied == 57) return Result<void>(io_error("disk full"));
    ++applied;
    return Result<void>{};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message(), "disk full");
  EXPECT_EQ(applied, 57u);
}

TEST(VerifyPipeline, FewFilesAreCheckedWithoutThreadsWithTheSameResults) {
  auto key = *crypto::PrivateKey::generate();
  ledger::KeyRing ring;
  ring.add({key.public_key(), {"t", "t@e"}});
  MemoryEvents ev = make_events(key, 3);
  ev.bytes["ref-1"] = forge_signature(ev.bytes["ref-1"]);
  ev.files[1].path = ledger::event_path(artifact(1), crypto::sha256_hex(ev.bytes["ref-1"]));
  ReadFn read = [&](const std::string& ref) -> Result<std::string> { return ev.bytes[ref]; };
  std::vector<bool> ok;
  ASSERT_TRUE(verify_in_order(ev.files, read, ring, [&](const EventFile&, CheckedEvent c) {
    ok.push_back(c.verified.has_value());
    return Result<void>{};
  }));
  EXPECT_EQ(ok, (std::vector<bool>{true, false, true}));
}

TEST(VerifyPipeline, LargeEventsBeyondTheBytesHeldAheadAllArriveInOrder) {
  auto key = *crypto::PrivateKey::generate();
  ledger::KeyRing ring;
  ring.add({key.public_key(), {"t", "t@e"}});
  // 80 fingerprint events of ~1.2 MB each: ~96 MB, more than the pipeline holds ahead.
  MemoryEvents ev;
  for (int i = 0; i < 80; ++i) {
    ledger::Statement fp{{"", artifact(i), ""},
                         ledger::PredicateKind::k_fingerprint,
                         {{"spec", ledger::k_fingerprint_spec},
                          {"encoding", "base64"},
                          {"data", std::string(900 * 1024, 'A' + i % 26)}}};
    std::string bytes = *ledger::sign_statement(fp, key);
    ev.files.push_back(
        {ledger::event_path(artifact(i), crypto::sha256_hex(bytes)), "ref-" + std::to_string(i)});
    ev.bytes[ev.files.back().ref] = std::move(bytes);
  }
  ReadFn read = [&](const std::string& ref) -> Result<std::string> { return ev.bytes.at(ref); };
  std::vector<std::string> seen;
  ASSERT_TRUE(verify_in_order(ev.files, read, ring, [&](const EventFile& f, CheckedEvent c) {
    EXPECT_TRUE(c.verified) << c.verified.error().message();
    EXPECT_GT(c.bytes.size(), 1'000'000u);
    seen.push_back(f.path);
    return Result<void>{};
  }));
  ASSERT_EQ(seen.size(), ev.files.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], ev.files[i].path);
}

// A whole commit of events with bad ones among them: each bad one is
// recorded with its status and error, never as valid; all the others are indexed.
TEST(Index, BadEventsInTheMiddleOfALargeCommitAreReportedAndTheRestIndexed) {
  LedgerFixture fx;
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back(ledger::key_path(fx.key().keyid()),
                     *ledger::make_key_file(fx.key(), {"T", "t@e"}));
  for (int i = 0; i < 120; ++i) {
    std::string bytes = *ledger::sign_statement(model_statement(artifact(i)), fx.key());
    if (i == 60) bytes = forge_signature(bytes);
    if (i == 61) bytes = "{\"payload\": \"broken";
    files.emplace_back(ledger::event_path(artifact(i), crypto::sha256_hex(bytes)), bytes);
  }
  ASSERT_TRUE(fx.ledger().repo().commit_files(files, "t", "t@e", "many"));
  TempDir cfg;
  auto index = Index::open(cfg / "i.sqlite");
  ASSERT_TRUE(index);
  auto stats =
      index->update(fx.ledger().repo(), *ledger::TrustPolicy::load(cfg / "t.json", nullptr));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->events, 120u);
  auto counts = index->counts();
  EXPECT_EQ(counts->untrusted, 118u);  // valid, signed by a key nobody trusts
  EXPECT_EQ(counts->invalid, 2u);
  auto bad = index->problem_events(false);
  ASSERT_EQ(bad->size(), 2u);
  for (const auto& row : *bad) {
    EXPECT_EQ(row.status, "invalid");
    EXPECT_TRUE(row.subject == artifact(60) || row.subject == artifact(61)) << row.subject;
    EXPECT_NE(row.error.find(row.path), std::string::npos) << row.error;
  }
  EXPECT_TRUE(index->lookup_hash(artifact(60))->empty());
  EXPECT_TRUE(index->lookup_hash(artifact(61))->empty());
  EXPECT_EQ(index->lookup_hash(artifact(59))->size(), 1u);
  EXPECT_EQ(index->lookup_hash(artifact(62))->size(), 1u);
  EXPECT_EQ(index->lookup_hash(artifact(119))->size(), 1u);
}

}  // namespace
}  // namespace pedigree::index
