// Terminal injection through the key, trust, attest, verify, index, remote,
// sync and clone commands (issue 15, case 4; see terminal_injection_test.cpp):
// a key identity, a claim's text and a remote path from others, escaped in
// every human line and every error line of the real binary.
#include <gtest/gtest.h>

#include "e2e/ledger_cli.hpp"
#include "e2e/terminal_safety.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::expect_terminal_safe;
using testing::k_hostile;
using testing::k_hostile_ascii;
using testing::shell_quote;
using testing::verdict_lines;
using testing::write_text;

TEST(TerminalInjection, KeyTrustAttestIndexRemoteAndSyncOutputsAreEscaped) {
  CliHome home;
  const std::string identity = "Mallory\x1b[2J\n\xe2\x80\xae\xc2\x9b";
  const std::string keyid = home.setup_key_and_ledger(identity, "m\x1b[31m@example.org");
  const std::string ledger = shell_quote(home.ledger().string());
  std::vector<testing::LedgerCliRun> runs;
  runs.push_back(home.run("key list"));
  runs.push_back(home.run("trust add " + keyid));
  runs.push_back(home.run("trust list --ledger " + ledger));
  write_text(home.dir().path() / "claim.json",
             R"({"contains_nai":"no","basis":"claim \u001b[2J\n\u202e"})");
  runs.push_back(home.run("attest raw claim --ledger " + ledger + " --subject " +
                          std::string(64, 'b') + " --predicate " +
                          shell_quote((home.dir().path() / "claim.json").string())));
  runs.push_back(home.run("verify --all " + ledger));
  runs.push_back(home.run("index status --ledger " + ledger));
  runs.push_back(home.run("check " + std::string(64, 'b') + " --ledger " + ledger));
  const std::string remote = (home.dir().path() / "remote\x1b[2J\n\xe2\x80\xae").string();
  runs.push_back(home.run("remote add evil " + shell_quote(remote) + " --ledger " + ledger));
  runs.push_back(home.run("remote list --ledger " + ledger));
  runs.push_back(home.run("sync evil --ledger " + ledger));
  runs.push_back(home.run("clone " + shell_quote(remote) + " " +
                          shell_quote((home.dir().path() / "clone\x1b[2J").string())));
  bool identity_shown = false, remote_shown = false;
  for (const auto& r : runs) {
    expect_terminal_safe(r.out, "stdout");
    expect_terminal_safe(r.err, "stderr");
    EXPECT_EQ(verdict_lines(r.out), r.out.find("verdict:    ") != std::string::npos ? 1 : 0);
    identity_shown |= r.out.find("Mallory\\x1b[2J\\n\\u202e\\u009b") != std::string::npos;
    remote_shown |= (r.out + r.err).find("remote\\x1b[2J\\n\\u202e") != std::string::npos;
  }
  EXPECT_TRUE(identity_shown) << runs[0].out << runs[2].out;
  EXPECT_TRUE(remote_shown) << runs[8].out << runs[9].err;
}

// CLI11's own usage errors quote the arguments they reject: an unexpected
// argument, an unknown option, a value that is not a number.
TEST(TerminalInjection, UsageErrorsEscapeTheArgumentsTheyQuote) {
  CliHome home;
  const std::vector<std::string> commands = {
      "index status " + shell_quote(k_hostile_ascii),
      "check --" + shell_quote("bogus" + k_hostile_ascii) + " x",
      "graph x --format " + shell_quote(k_hostile),
      "fingerprint x --matrix-side " + shell_quote(k_hostile),
  };
  for (const auto& args : commands) {
    auto r = home.run(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    expect_terminal_safe(r.out, "stdout of " + args);
    expect_terminal_safe(r.err, "stderr of " + args);
    EXPECT_EQ(verdict_lines(r.out + r.err), 0) << r.err;
  }
  auto r = home.run("index status " + shell_quote(k_hostile_ascii));
  EXPECT_NE(r.err.find("Pic\\x1b[2J\\x1b[H\\n  verdict:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pedigree
