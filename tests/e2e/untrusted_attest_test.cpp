// End-to-end tests of `pedigree attest` against untrusted names and bad
// weights (issue 15, cases 1 and 9), through the real binary. The attacker's
// events are signed in the test with a real key the user does not trust.
#include "e2e/ledger_cli.hpp"

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "support/reference_hashes.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::shell_quote;

using testing::k_sd14_sha256;

// A model event naming `sha` `title`, signed by a fresh key nobody trusts; its event id.
std::string attacker_names(const CliHome& home, const std::string& sha, const std::string& title) {
  auto key = crypto::PrivateKey::generate();
  EXPECT_TRUE(key);
  auto ledger = ledger::Ledger::open(home.ledger());
  EXPECT_TRUE(ledger) << (ledger ? "" : ledger.error().message());
  ledger::Statement st;
  st.subject = {title + ".safetensors", sha, ""};
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"title", title}, {"file_name", title + ".safetensors"}};
  auto added = ledger->add_event(*key, {"Mallory", "mallory@example.org"}, st);
  EXPECT_TRUE(added) << (added ? "" : added.error().message());
  return added ? added->event_id : std::string();
}

std::string commits(const CliHome& home) {
  return home.in_ledger("git rev-list --count HEAD").output;
}

// Case 1: `attest lineage X --parent Counterfeit-V3.0` signed SD1.4 as the
// parent under the user's own key because an untrusted event named it so.
TEST(UntrustedAttest, ParentNamedOnlyByAnUntrustedKeyIsRefused) {
  CliHome home;
  home.setup_key_and_ledger();
  const std::string event = attacker_names(home, k_sd14_sha256, "Counterfeit-V3.0");
  const std::string child(64, 'c');
  const auto before = commits(home);
  for (const std::string& parent :
       std::vector<std::string>{"Counterfeit-V3.0", "counterfeit-v3.0.safetensors",
                                "AutoV2:" + k_sd14_sha256.substr(0, 10)}) {
    auto r = home.run("attest lineage " + child + ledger_arg(home) + " --parent " +
                      shell_quote(parent) + " --relation finetune --method finetune");
    EXPECT_EQ(r.status, 6) << parent << r.err << r.out;
    EXPECT_NE(r.err.find("keys you do not trust"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(event.substr(0, 12)), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;  // one line
  }
  EXPECT_EQ(commits(home), before);
  // The full SHA-256 is the user's own statement of identity: accepted.
  home.ok("attest lineage " + child + ledger_arg(home) + " --parent " + k_sd14_sha256 +
          " --relation finetune --method finetune");
  // A name the user's own key gave resolves.
  testing::write_text(home.dir() / "m.json", R"({"title":"Mine"})");
  home.ok("attest raw model --subject " + std::string(64, 'd') +
          " --subject-name mine.safetensors --predicate " +
          shell_quote((home.dir() / "m.json").string()) + ledger_arg(home));
  home.ok("attest lineage " + child + ledger_arg(home) +
          " --parent Mine --relation finetune --method finetune");
}

class WeightsTest : public ::testing::Test {
protected:
  void SetUp() override { home.setup_key_and_ledger(); }
  testing::LedgerCliRun lineage(const std::string& parents, const std::string& relation) {
    return home.run("attest lineage " + std::string(64, 'c') + ledger_arg(home) + parents +
                    " --relation " + relation + " --method test");
  }
  std::string p(char c, const std::string& weight) {
    return " --parent " + std::string(64, c) + ":" + weight;
  }
  CliHome home;
};

// Case 9: out-of-range weights were signed without a word; NaN / inf were
// refused as "not found" with exit 3 instead of a usage error (exit 2).
TEST_F(WeightsTest, OutOfRangeAndNonFiniteWeightsAreUsageErrors) {
  const auto before = commits(home);
  struct Case {
    std::string parents, relation, says;
  };
  for (const Case& c : std::vector<Case>{
           {p('a', "-1") + p('b', "0.5"), "merge", "only --relation add-difference"},
           {p('a', "9999999999"), "merge", "above 1"},
           {p('a', "NaN"), "merge", "not a finite decimal"},
           {p('a', "inf"), "merge", "not a finite decimal"},
           {p('a', "-inf"), "add-difference", "not a finite decimal"},
           {p('a', "1e3"), "merge", "not a finite decimal"},
           {p('a', "1") + p('b', "11") + p('e', "-11"), "add-difference", "outside [-10, 10]"}}) {
    auto r = lineage(c.parents, c.relation);
    EXPECT_EQ(r.status, 2) << c.parents << r.err;
    EXPECT_NE(r.err.find("pedigree: error: --parent"), std::string::npos) << c.parents << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.parents << r.err;
  }
  EXPECT_EQ(commits(home), before);
}

TEST_F(WeightsTest, WeightsThatDoNotSumToOneAreSignedWithAWarning) {
  auto off = lineage(p('a', "0.3") + p('b', "0.3"), "merge");
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_NE(off.err.find("pedigree: warning: the parents' weights sum to 0.6, not 1"),
            std::string::npos)
      << off.err;
  // Add difference A + 0.5 (B - C): 1, 0.5, -0.5 sum to 1; negative is fine there.
  auto diff = lineage(p('a', "1") + p('b', "0.5") + p('e', "-0.5"), "add-difference");
  ASSERT_EQ(diff.status, 0) << diff.err;
  EXPECT_EQ(diff.err, "");
  auto exact = lineage(p('a', "0.7") + p('b', "0.3"), "merge");
  ASSERT_EQ(exact.status, 0) << exact.err;
  EXPECT_EQ(exact.err, "");
}

}  // namespace
}  // namespace pedigree
