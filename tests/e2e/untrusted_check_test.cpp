// End-to-end tests of `pedigree check` against an attacker with a fresh key
// (issue 15, cases 1-3): the attacker's events are signed in the test with a
// real key the user does not trust. Untrusted events may be shown; they never
// resolve a name or a prefix, never make a collision, and never cut the
// trusted ancestry short.
#include <gtest/gtest.h>

#include <random>

#include "e2e/check_world.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/verify.hpp"
#include "support/git_cli.hpp"
#include "support/reference_hashes.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::Parent;
using testing::sha_of_label;
using testing::shell_quote;
using testing::Signer;

// Real SHA-256 of sd-v1-4.ckpt and of NAI's animefull-final-pruned (docs: domain facts).
using testing::k_nai_leak_sha256;
using testing::k_sd14_sha256;

std::string random_hex(std::mt19937_64& rng, std::size_t n) {
  static const char* k_digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += k_digits[rng() % 16];
  return out;
}

// Pictures whose A1111 parameters name `hash` and `name` (tools/make-image-fixtures).
std::filesystem::path write_untrusted_pictures(const CheckWorld& w, const std::string& hash,
                                               const std::string& name) {
  const auto dir = w.dir() / ("pics-" + hash);
  auto made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/make-image-fixtures " + shell_quote(dir.string()) +
                                   " --model-hash " + hash + " --model-name " + shell_quote(name));
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return dir / "a1111_text.png";
}

bool has_ignored_evidence(const nlohmann::json& j, const std::string& kind,
                          const std::string& event) {
  for (const auto& e : j["evidence"])
    if (e["kind"] == kind && e["event"] == event && !e["counts"].get<bool>()) return true;
  return false;
}

// Case 1: an untrusted event names SD1.4 "Counterfeit-V3.0"; before the fix
// `check Counterfeit-V3.0` read no-nai-found 0.95.
TEST(UntrustedCheck, UntrustedNamesNeverResolveATarget) {
  CheckWorld w;
  w.model("sd14", "base", "2022-08-22", nullptr, Signer::k_trusted, k_sd14_sha256);
  const std::string naming =
      w.model("Counterfeit-V3.0", "", "", nullptr, Signer::k_untrusted, k_sd14_sha256);
  w.model("CounterfeitV30_v30", "", "", nullptr, Signer::k_untrusted, k_sd14_sha256);

  auto r = w.check("Counterfeit-V3.0");
  ASSERT_EQ(r.exit_code, 13) << r.err << r.out;  // unknown, never no-nai-found
  EXPECT_EQ(r.json["verdict"], "unknown");
  EXPECT_TRUE(r.json["target"]["sha256"].is_null()) << r.out;
  ASSERT_EQ(r.json["candidates"].size(), 1u) << r.out;
  EXPECT_EQ(r.json["candidates"][0]["sha256"], k_sd14_sha256);
  EXPECT_FALSE(r.json["candidates"][0]["trusted"].get<bool>());
  EXPECT_EQ(r.json["candidates"][0]["named_by_event"], naming);
  EXPECT_TRUE(has_ignored_evidence(r.json, "resolution", naming)) << r.out;

  auto human = w.run("check Counterfeit-V3.0");
  EXPECT_EQ(human.exit_code, 13);
  EXPECT_NE(human.out.find("UNTRUSTED"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(naming.substr(0, 12)), std::string::npos) << human.out;

  // A picture naming the model only by a name an untrusted event gave.
  auto pic = w.check(
      shell_quote(write_untrusted_pictures(w, "0123456789", "CounterfeitV30_v30").string()));
  ASSERT_EQ(pic.exit_code, 13) << pic.err << pic.out;
  EXPECT_EQ(pic.json["verdict"], "unknown");

  // A trusted name wins over the untrusted one, which stays listed.
  const std::string real_sha = sha_of_label("real-counterfeit");
  w.model("Counterfeit-V3.0", "", "2023-02-01", nullptr, Signer::k_trusted, real_sha);
  auto both = w.check("Counterfeit-V3.0");
  EXPECT_EQ(both.json["target"]["sha256"], real_sha) << both.out;
  ASSERT_EQ(both.json["candidates"].size(), 2u) << both.out;
  EXPECT_TRUE(both.json["candidates"][0]["trusted"].get<bool>());
  EXPECT_FALSE(both.json["candidates"][1]["trusted"].get<bool>());
}

// Case 2: an untrusted subject sharing NAI's first 12 hex digits; before the
// fix every short form of NAI's hash read `unknown` (a "collision").
TEST(UntrustedCheck, UntrustedSubjectsDoNotCollideWithATrustedPrefix) {
  CheckWorld w;
  w.model("animefull-final-pruned", "nai-leak", "2022-10-06", nullptr, Signer::k_trusted,
          k_nai_leak_sha256);
  std::mt19937_64 rng(15);
  const std::string fake = k_nai_leak_sha256.substr(0, 12) + random_hex(rng, 52);
  const std::string event =
      w.model("totally-clean", "base", "2022-08-01", nullptr, Signer::k_untrusted, fake);

  for (const std::string input : {"AutoV2:89d59c3dde", "89d59c3dde4c", "89D59C3DDE"}) {
    auto r = w.check(shell_quote(input));
    ASSERT_EQ(r.exit_code, 10) << input << r.err << r.out;  // nai-leak
    EXPECT_EQ(r.json["target"]["sha256"], k_nai_leak_sha256) << input;
    ASSERT_EQ(r.json["candidates"].size(), 2u) << input << r.out;
    EXPECT_FALSE(r.json["candidates"][1]["trusted"].get<bool>()) << input;
    EXPECT_EQ(r.json["candidates"][1]["sha256"], fake) << input;
    EXPECT_TRUE(has_ignored_evidence(r.json, "resolution", event)) << input << r.out;
  }
  auto pic = w.check(shell_quote(write_untrusted_pictures(w, "89d59c3dde", "nai").string()));
  ASSERT_EQ(pic.exit_code, 10) << pic.err << pic.out;

  // The attacker's subject by its full SHA-256: its "base" role does not count.
  auto own = w.check(fake);
  EXPECT_EQ(own.exit_code, 13) << own.out;
}

// Writes `count` lineage events on `child` signed by a fresh untrusted key,
// each with 16 random parents, and commits them in one git commit (the way a
// synced ledger arrives).
void flood(const std::filesystem::path& ledger_dir, const std::string& child, std::size_t count) {
  auto key = crypto::PrivateKey::generate();
  ASSERT_TRUE(key);
  auto key_file = ledger::make_key_file(*key, {"Mallory", "mallory@example.org"});
  ASSERT_TRUE(key_file);
  testing::write_text(ledger_dir / ledger::key_path(key->keyid()), *key_file);
  std::mt19937_64 rng(3);
  for (std::size_t i = 0; i < count; ++i) {
    ledger::Statement st;
    st.subject = {"AOM3A2.safetensors", child, ""};
    st.kind = ledger::PredicateKind::k_lineage;
    nlohmann::json list = nlohmann::json::array();
    for (int p = 0; p < 16; ++p)
      list.push_back({{"digest", {{"sha256", random_hex(rng, 64)}}},
                      {"relation", "merge"},
                      {"weight", "0.0625"}});
    st.predicate = {{"parents", list}, {"method", "weighted-sum"}, {"basis", "author-statement"}};
    auto bytes = ledger::sign_statement(st, *key);
    ASSERT_TRUE(bytes) << bytes.error().message();
    testing::write_text(ledger_dir / ledger::event_path(child, crypto::sha256_hex(*bytes)), *bytes);
  }
  testing::git(ledger_dir, "add -A");
  testing::git(ledger_dir,
               "-c user.name=Mallory -c user.email=mallory@example.org commit -qm flood");
}

// Case 3: 1,257 untrusted lineage events with 16 random parents each on
// AOM3A2 filled the 20,000-artifact load limit before its trusted parents
// were walked: `nai-leak` became `unknown`, silently.
TEST(UntrustedCheck, FloodingCannotCutTheTrustedAncestryShort) {
  CheckWorld w;
  w.model("animefull", "nai-leak", "2022-10-06", nullptr, Signer::k_trusted, k_nai_leak_sha256);
  w.model("sd15", "base", "2022-10-20");
  w.lineage("AOM3", {{"sha:" + k_nai_leak_sha256, "merge", "0.3"}, {"sd15", "merge", "0.7"}});
  w.lineage("AOM3A2", {{"AOM3", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.lineage("clean", {{"sd15", "finetune", ""}});
  auto before_clean = w.check(sha_of_label("clean"));
  ASSERT_EQ(before_clean.exit_code, 0) << before_clean.out;  // complete trusted ancestry
  flood(w.ledger_dir(), sha_of_label("AOM3A2"), 1257);
  flood(w.ledger_dir(), sha_of_label("clean"), 20);

  auto r = w.check(sha_of_label("AOM3A2"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // NAI found stays NAI
  EXPECT_EQ(r.json["verdict"], "nai-leak");
  EXPECT_NEAR(r.json["nai_share"]["declared"]["estimate"].get<double>(), 0.15, 1e-9);
  bool said = false;
  for (const auto& u : r.json["unknowns"])
    said = said ||
           u.get<std::string>().find("more ancestry than one check loads") != std::string::npos;
  EXPECT_TRUE(said) << r.json["unknowns"];

  // A clean verdict over a load that left evidence unread fails closed, and says why.
  auto clean = w.check(sha_of_label("clean"));
  ASSERT_EQ(clean.exit_code, 13) << clean.out;
  EXPECT_NE(clean.json["summary"].get<std::string>().find("more ancestry than one check loads"),
            std::string::npos)
      << clean.json["summary"];
}

}  // namespace
}  // namespace pedigree
