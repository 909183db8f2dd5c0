// End-to-end tests of a key's lifecycle (issue 15, case 8) through the real
// binary: `key rotate` keeps the old key's earlier statements and moves its
// trust to the successor; statements the old key signs afterwards (a thief's)
// do not count; `key revoke --compromised` makes none of a key's statements
// count; a clone receives and verifies the key events.
#include "e2e/ledger_cli.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::shell_quote;

std::string subject(char c) {
  return std::string(64, c);
}

class KeyLifecycle : public ::testing::Test {
protected:
  void SetUp() override {
    old_key = home.setup_key_and_ledger("Alice", "alice@example.org");
    new_key =
        home.ok("key generate --json --name Alice --email alice2@example.org").json()["keyid"];
    // The user trusts Alice's first key for claims only.
    home.ok("trust add " + old_key + " --for claim");
  }
  std::string ledger() const { return " --ledger " + shell_quote(home.ledger().string()); }
  // `check SUBJECT`: its exit code and JSON.
  std::pair<int, nlohmann::json> check(const std::string& sha) const {
    auto r = home.run("check --json " + sha + ledger());
    return {r.status, nlohmann::json::parse(r.out, nullptr, false)};
  }
  static bool unknowns_say(const nlohmann::json& j, const std::string& text) {
    for (const auto& u : j["unknowns"])
      if (u.get<std::string>().find(text) != std::string::npos) return true;
    return false;
  }

  CliHome home;
  std::string old_key, new_key;
};

TEST_F(KeyLifecycle, RotationKeepsEarlierStatementsAndTrustFollowsTheSuccessor) {
  home.attest_claim(subject('a'), "--key " + old_key);
  ASSERT_EQ(check(subject('a')).first, 0);  // a trusted "no" claim

  auto rotated = home.ok("key rotate --json --key " + old_key + " --to " + new_key + ledger());
  const auto r = rotated.json();
  EXPECT_EQ(r["reason"], "rotated");
  EXPECT_EQ(r["successor"], new_key);
  EXPECT_EQ(r["ledger_commit"].get<std::string>().size(), 40u);

  EXPECT_EQ(check(subject('a')).first, 0) << "earlier statements keep counting";
  // The successor inherits the old key's scope (claim) and no more.
  home.attest_claim(subject('b'), "--key " + new_key);
  EXPECT_EQ(check(subject('b')).first, 0);
  // The old key signing after its rotation (e.g. stolen later): does not count, and says why.
  home.attest_claim(subject('c'), "--key " + old_key);
  auto [code, j] = check(subject('c'));
  EXPECT_EQ(code, 13);
  EXPECT_TRUE(unknowns_say(j, "statements by a retired key do not count")) << j.dump(1);
  // verify shows the key event as valid and the late statement as revoked.
  auto verified = home.run("verify --json" + ledger());
  EXPECT_EQ(verified.status, 0) << verified.err << verified.out;
}

TEST_F(KeyLifecycle, CompromiseMakesNoneOfTheKeysStatementsCount) {
  home.attest_claim(subject('a'), "--key " + old_key);
  ASSERT_EQ(check(subject('a')).first, 0);
  home.ok("key revoke --compromised --key " + old_key + " --to " + new_key + ledger());
  auto [code, j] = check(subject('a'));
  EXPECT_EQ(code, 13) << j.dump(1);  // earlier statements no longer count
  EXPECT_TRUE(unknowns_say(j, "retired as compromised")) << j.dump(1);
  // A compromise moves no trust: the thief may have named the successor.
  home.attest_claim(subject('b'), "--key " + new_key);
  EXPECT_EQ(check(subject('b')).first, 13);
}

TEST_F(KeyLifecycle, AKeyRetiresOnlyItselfAndRotationNeedsASuccessor) {
  auto missing = home.run("key rotate --key " + old_key + ledger());
  EXPECT_EQ(missing.status, 2) << missing.err;  // --to is required
  auto same = home.run("key rotate --key " + old_key + " --to " + old_key + ledger());
  EXPECT_EQ(same.status, 2) << same.err;
  EXPECT_NE(same.err.find("another key"), std::string::npos) << same.err;
}

TEST_F(KeyLifecycle, ACloneVerifiesAndAppliesTheKeyEvents) {
  home.attest_claim(subject('a'), "--key " + old_key);
  home.ok("key rotate --key " + old_key + " --to " + new_key + ledger());
  home.attest_claim(subject('c'), "--key " + old_key);
  const auto bare = home.dir() / "remote.git", copy = home.dir() / "copy";
  ASSERT_EQ(testing::run_command("git clone -q --bare " + shell_quote(home.ledger().string()) +
                                 " " + shell_quote(bare.string()) + " 2>&1")
                .exit_code,
            0);
  home.ok("clone " + shell_quote("file://" + bare.string()) + " " + shell_quote(copy.string()));
  const std::string in_copy = " --ledger " + shell_quote(copy.string());
  EXPECT_EQ(home.run("check --json " + subject('a') + in_copy).status, 0);
  EXPECT_EQ(home.run("check --json " + subject('c') + in_copy).status, 13);
  EXPECT_EQ(home.run("verify" + in_copy).status, 0);
}

}  // namespace
}  // namespace pedigree
