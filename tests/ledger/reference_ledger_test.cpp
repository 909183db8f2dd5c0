// The bundled reference ledger (ledger/ in the source tree) and its trust
// root: every event verifies under the key compiled into pedigree, cites its
// source, and no LEDGER.json can add a pin (docs/reference-ledger.md).
#include <gtest/gtest.h>

#include <algorithm>

#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/pins.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::ledger {
namespace {

using namespace pedigree::testing;

const std::filesystem::path k_bundled = std::filesystem::path(PEDIGREE_SOURCE_DIR) / "ledger";

std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ReferenceLedger, LedgerJsonPinsExactlyTheCompiledKeys) {
  auto info = parse_ledger_json(read_text(k_bundled / "LEDGER.json"), "LEDGER.json");
  ASSERT_TRUE(info) << info.error().message();
  auto pins = compiled_pins();
  ASSERT_EQ(info->pinned_keys.size(), pins.size());
  for (std::size_t i = 0; i < pins.size(); ++i) {
    EXPECT_EQ(info->pinned_keys[i].keyid, pins[i].keyid);
    EXPECT_EQ(info->pinned_keys[i].predicates, pins[i].predicates);
  }
  EXPECT_TRUE(uncompiled_pins(*info).empty());
  // The pinned key file is in the ledger and its id is the SHA-256 of the raw
  // public key, as openssl computes it.
  const auto key_file = k_bundled / key_path(pins[0].keyid);
  auto record = verify_key_file(key_path(pins[0].keyid), read_text(key_file));
  ASSERT_TRUE(record) << record.error().message();
  TempDir tmp;
  write_text(tmp / "pub.pem", record->key.to_pem());
  auto id = run_command("openssl pkey -pubin -in " + shell_quote((tmp / "pub.pem").string()) +
                        " -outform DER | tail -c 32 | sha256sum | cut -c1-64");
  EXPECT_EQ(id.output, pins[0].keyid + "\n");
}

TEST(ReferenceLedger, EveryEventVerifiesUnderThePinnedKeyAndCitesItsSource) {
  KeyRing ring;
  for (const auto& f : files_under(k_bundled / "keys")) {
    auto rel = std::filesystem::relative(f, k_bundled).generic_string();
    auto record = verify_key_file(rel, read_text(f));
    ASSERT_TRUE(record) << record.error().message();
    ring.add(std::move(*record));
  }
  TempDir cfg;
  auto policy = TrustPolicy::load(cfg / "trust.json", compiled_pins());
  ASSERT_TRUE(policy);
  std::size_t events = 0, placeholders = 0;
  for (const auto& f : files_under(k_bundled / "events")) {
    auto rel = std::filesystem::relative(f, k_bundled).generic_string();
    auto ev = verify_event_file(rel, read_text(f), ring);
    ASSERT_TRUE(ev) << ev.error().message();
    EXPECT_TRUE(policy->trusts(ev->signer, ev->statement.kind)) << rel;
    const auto& p = ev->statement.predicate;
    ASSERT_TRUE(p.contains("source")) << rel;
    EXPECT_FALSE(p["source"].get<std::string>().empty()) << rel;
    placeholders += is_placeholder_sha256(ev->statement.subject.sha256);
    ++events;
  }
  EXPECT_GE(events, 40u);
  EXPECT_GE(placeholders, 6u);
}

TEST(ReferenceLedger, AnEditedLedgerJsonCannotAddAPin) {
  auto info = parse_ledger_json(read_text(k_bundled / "LEDGER.json"), "LEDGER.json");
  ASSERT_TRUE(info);
  const std::string intruder(64, 'a');
  info->pinned_keys.push_back({intruder, {PredicateKind::k_model}});
  auto extra = uncompiled_pins(*info);
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_EQ(extra[0].keyid, intruder);
  TempDir cfg;
  auto policy = TrustPolicy::load(cfg / "trust.json", compiled_pins());
  ASSERT_TRUE(policy);
  EXPECT_FALSE(policy->trusts(intruder, PredicateKind::k_model));
  EXPECT_TRUE(policy->trusts(compiled_pins()[0].keyid, PredicateKind::k_lineage));
}

}  // namespace
}  // namespace pedigree::ledger
