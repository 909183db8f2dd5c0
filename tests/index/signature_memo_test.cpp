// The index's table of verified signatures (docs/formats/index.md, "Verified
// signatures"): a rebuild does not check a signature it has checked before,
// and the table can only ever save time. A damaged, tampered or deleted row,
// bytes changed under an event, a key gone from the ledger and a changed
// trust policy all give exactly the index a first build gives.
#include "pedigree/index/signature_memo.hpp"

#include <gtest/gtest.h>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"
#include "pedigree/index/index.hpp"
#include "pedigree/ledger/layout.hpp"
#include "support/ledger_fixture.hpp"

namespace pedigree::index {
namespace {

using namespace pedigree::testing;

using testing::no_trust;

// The events table as text (id, path, status, error), for comparing two builds.
std::string events_dump(Index& index) {
  auto st = index.database().prepare(
      "SELECT id, path, signer, predicate, status, error FROM events ORDER BY id");
  EXPECT_TRUE(st);
  std::string out;
  while (*st->step()) {
    for (int c = 0; c < 6; ++c) out += st->column_text(c) + "|";
    out += "\n";
  }
  return out;
}

std::int64_t count_rows(Index& index) {
  auto st = index.database().prepare("SELECT count(*) FROM verified_signatures");
  EXPECT_TRUE(st);
  EXPECT_TRUE(*st->step());
  return st->column_int(0);
}

void exec(Index& index, const std::string& sql) {
  auto r = index.database().exec(sql);
  ASSERT_TRUE(r) << r.error().message();
}

// A ledger of three valid events by one key, and an index built from it.
struct Built {
  LedgerFixture fx;
  TempDir cfg;
  std::optional<Index> index;
  std::vector<std::string> ids;

  Built() {
    for (int n = 1; n <= 3; ++n) ids.push_back(fx.attest(model_statement(artifact(n))).event_id);
    auto opened = Index::open(cfg / "index.sqlite");
    EXPECT_TRUE(opened) << opened.error().message();
    index.emplace(std::move(*opened));
  }
  UpdateStats rebuild() {
    auto stats = index->rebuild(fx.ledger().repo(), no_trust(cfg));
    EXPECT_TRUE(stats) << stats.error().message();
    return *stats;
  }
  std::string fresh_dump() {
    TempDir other;
    auto fresh = Index::open(other / "index.sqlite");
    EXPECT_TRUE(fresh->rebuild(fx.ledger().repo(), no_trust(cfg)));
    return events_dump(*fresh);
  }
};

TEST(SignatureMemo, AFirstBuildChecksEverySignatureAndARebuildNone) {
  Built b;
  auto first = b.rebuild();
  EXPECT_EQ(first.events, 3u);
  EXPECT_EQ(first.signatures_remembered, 0u);
  EXPECT_EQ(count_rows(*b.index), 3);
  const std::string dump = events_dump(*b.index);
  auto again = b.rebuild();
  EXPECT_EQ(again.events, 3u);
  EXPECT_EQ(again.signatures_remembered, 3u);
  EXPECT_EQ(events_dump(*b.index), dump);
  EXPECT_EQ(dump, b.fresh_dump());
}

TEST(SignatureMemo, DeletedRowsOrADeletedIndexOnlyCostAVerification) {
  Built b;
  b.rebuild();
  const std::string dump = events_dump(*b.index);
  exec(*b.index, "DELETE FROM verified_signatures");
  auto stats = b.rebuild();
  EXPECT_EQ(stats.signatures_remembered, 0u);
  EXPECT_EQ(events_dump(*b.index), dump);
  EXPECT_EQ(count_rows(*b.index), 3);  // remembered again
  exec(*b.index, "DROP TABLE verified_signatures");
  EXPECT_FALSE(b.index->rebuild(b.fx.ledger().repo(), no_trust(b.cfg)));  // not silently skipped
  b.index.reset();
  std::filesystem::remove(b.cfg / "index.sqlite");
  auto reopened = Index::open(b.cfg / "index.sqlite");
  ASSERT_TRUE(reopened);
  b.index.emplace(std::move(*reopened));
  EXPECT_EQ(b.rebuild().signatures_remembered, 0u);
  EXPECT_EQ(events_dump(*b.index), dump);
}

TEST(SignatureMemo, ADamagedRowIsAMissNeverAVoucher) {
  Built b;
  b.rebuild();
  const std::string dump = events_dump(*b.index);
  // One row's event digest changed, one row's keyid changed, one truncated.
  exec(*b.index,
       "UPDATE verified_signatures SET event_sha256 = zeroblob(32) WHERE event_sha256 = "
       "x'" +
           b.ids[0] + "'");
  exec(*b.index, "UPDATE verified_signatures SET keyid = x'" + artifact(9) +
                     "' WHERE event_sha256 = x'" + b.ids[1] + "'");
  exec(*b.index,
       "UPDATE verified_signatures SET keyid = substr(keyid, 1, 16) WHERE "
       "event_sha256 = x'" +
           b.ids[2] + "'");
  auto stats = b.rebuild();
  EXPECT_EQ(stats.signatures_remembered, 0u);
  EXPECT_EQ(events_dump(*b.index), dump);
}

// The bytes of `genuine` with its statement's subject name changed: the same
// signature and keyid over another payload (a forgery).
std::string forged_from(const std::string& genuine) {
  auto env = nlohmann::json::parse(genuine);
  auto payload = crypto::base64_decode(env["payload"].get<std::string>());
  EXPECT_TRUE(payload);
  std::string text = *payload;
  auto at = text.find("model-");
  EXPECT_NE(at, std::string::npos);
  text.replace(at, 6, "forge-");
  env["payload"] = crypto::base64_encode(
      ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return env.dump();
}

TEST(SignatureMemo, ChangedBytesUnderARememberedEventAreCheckedAndRefused) {
  Built b;
  b.rebuild();
  const auto rel = ledger::event_path(artifact(1), b.ids[0]);
  const std::string genuine = read_text(b.fx.dir() / rel);
  const std::string forged = forged_from(genuine);
  ASSERT_NE(forged, genuine);
  // At its own content address, beside the genuine event...
  const std::string forged_rel = b.fx.write_event_bytes(artifact(1), forged);
  b.fx.git_commit_all("a forged copy");
  auto update = b.index->update(b.fx.ledger().repo(), no_trust(b.cfg));
  ASSERT_TRUE(update) << update.error().message();
  EXPECT_EQ(update->signatures_remembered, 0u);
  auto row = b.index->event(crypto::sha256_hex(forged));
  ASSERT_TRUE(row && row->has_value());
  EXPECT_EQ((*row)->status, "invalid");
  EXPECT_NE((*row)->error.find("does not verify"), std::string::npos) << (*row)->error;
  // ...and in place of the genuine file (a modification: a full rebuild).
  write_text(b.fx.dir() / rel, forged);
  b.fx.git_commit_all("the genuine event replaced");
  auto rebuilt = b.index->update(b.fx.ledger().repo(), no_trust(b.cfg));
  ASSERT_TRUE(rebuilt) << rebuilt.error().message();
  EXPECT_TRUE(rebuilt->rebuilt);
  auto replaced = b.index->events_of(artifact(1));
  ASSERT_TRUE(replaced);
  for (const auto& e : *replaced) EXPECT_NE(e.status, "valid") << e.path << " " << e.error;
  EXPECT_EQ(events_dump(*b.index), b.fresh_dump());
}

TEST(SignatureMemo, AKeyGoneFromTheLedgerIsNotReplacedByRememberedSignatures) {
  Built b;
  b.rebuild();
  const std::string keyid = b.fx.key().keyid();
  run_command("cd " + shell_quote(b.fx.dir().string()) + " && git rm -q keys/" + keyid +
              ".json && git -c user.name=t -c user.email=t@e commit -qm 'key removed'");
  auto stats = b.rebuild();
  EXPECT_EQ(stats.signatures_remembered, 0u);  // the key ring comes first
  auto counts = b.index->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->valid, 0u);
  EXPECT_EQ(counts->unknown_key, 3u);
  EXPECT_EQ(events_dump(*b.index), b.fresh_dump());
}

TEST(SignatureMemo, TrustIsDecidedAgainWhateverWasRemembered) {
  Built b;
  b.rebuild();
  const std::string keyid = b.fx.key().keyid();
  auto policy = no_trust(b.cfg);
  ASSERT_TRUE(policy.add(keyid, {ledger::PredicateKind::k_model}));
  ASSERT_TRUE(b.index->rebuild(b.fx.ledger().repo(), policy));
  auto trusted = b.index->events_of(artifact(1));
  ASSERT_TRUE(trusted);
  ASSERT_EQ(trusted->size(), 1u);
  EXPECT_TRUE(trusted->front().trusted);
  auto stats = b.index->update(b.fx.ledger().repo(), no_trust(b.cfg));
  ASSERT_TRUE(stats);
  auto untrusted = b.index->events_of(artifact(1));
  ASSERT_TRUE(untrusted);
  EXPECT_FALSE(untrusted->front().trusted);
}

TEST(SignatureMemo, RememberSignaturesSkipsWhatIsNotAPairOfDigests) {
  Built b;
  b.rebuild();
  ASSERT_TRUE(b.index->remember_signatures(
      {{"not hex", b.ids[0]}, {b.ids[0].substr(0, 10), b.ids[1]}, {artifact(7), artifact(8)}}));
  EXPECT_EQ(count_rows(*b.index), 4);
  ledger::VerifiedSignatures found;
  auto looked = remembered_signatures(b.index->database(),
                                      {{ledger::event_path(artifact(7), artifact(7)), ""}});
  ASSERT_TRUE(looked);
  EXPECT_TRUE(looked->holds(artifact(7), artifact(8)));
  EXPECT_FALSE(looked->holds(artifact(7), artifact(9)));
}

}  // namespace
}  // namespace pedigree::index
