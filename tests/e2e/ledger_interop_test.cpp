// What pedigree writes, read by other tools (git, openssl), and concurrent
// writers through the real binary.
#include "e2e/ledger_cli.hpp"

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/dsse.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::run_command;
using testing::shell_quote;

TEST(LedgerInterop, OpensslVerifiesTheSignatureOfAnEventWrittenByAttest) {
  CliHome home;
  const std::string keyid = home.setup_key_and_ledger();
  const std::string id = home.attest_claim(std::string(64, 'a'));
  auto path = home.ledger() / ledger::event_path(std::string(64, 'a'), id);
  auto env = *crypto::parse_envelope(testing::read_text(path), "event", 1 << 20);
  ASSERT_EQ(env.signatures[0].keyid, keyid);
  testing::write_text(home.dir() / "pae.bin", crypto::pae(env.payload_type, env.payload));
  testing::write_text(home.dir() / "sig.bin", env.signatures[0].sig);
  testing::write_text(home.dir() / "pub.pem", home.ok("key export").out);
  auto verify = [&](const std::string& message_file) {
    return run_command("openssl pkeyutl -verify -pubin -inkey " +
                       shell_quote((home.dir() / "pub.pem").string()) + " -rawin -in " +
                       shell_quote(message_file) + " -sigfile " +
                       shell_quote((home.dir() / "sig.bin").string()) + " 2>&1");
  };
  auto ok = verify((home.dir() / "pae.bin").string());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Signature Verified Successfully"), std::string::npos) << ok.output;
  // The signature covers the PAE, not the bare payload.
  testing::write_text(home.dir() / "payload.bin", env.payload);
  EXPECT_NE(verify((home.dir() / "payload.bin").string()).exit_code, 0);
  // The file name is the SHA-256 of the file (sha256sum agrees).
  EXPECT_EQ(run_command("sha256sum " + shell_quote(path.string())).output.substr(0, 64), id);
}

TEST(LedgerInterop, GitReadsTheLedgerAndPublishedKeysAreSelfSigned) {
  CliHome home;
  const std::string keyid = home.setup_key_and_ledger("Carol Example", "carol@example.org");
  home.attest_claim(std::string(64, '1'));
  auto log = home.in_ledger("git log --format='%an|%ae|%s'");
  EXPECT_EQ(log.exit_code, 0);
  EXPECT_EQ(log.output,
            "Carol Example|carol@example.org|attest claim 111111111111\n"
            "pedigree|pedigree@pedigree.invalid|init ledger 'test'\n");
  auto files = home.in_ledger("git ls-files");
  EXPECT_NE(files.output.find("keys/" + keyid + ".json"), std::string::npos) << files.output;
  EXPECT_EQ(home.in_ledger("git fsck --strict --no-dangling").exit_code, 0);
  EXPECT_EQ(home.in_ledger("git status --porcelain").output, "");
}

TEST(LedgerInterop, TwoConcurrentAttestLoopsLoseNothing) {
  CliHome home;
  home.setup_key_and_ledger();
  testing::write_text(home.dir() / "claim.json", R"({"contains_nai":"unknown","basis":"race"})");
  auto loop = [&](int writer) {
    std::string cmd = "for i in $(seq 1 20); do " + home.env() + shell_quote(PEDIGREE_BINARY) +
                      " attest raw claim --ledger " + shell_quote(home.ledger().string()) +
                      " --predicate " + shell_quote((home.dir() / "claim.json").string()) +
                      " --subject $(printf 'writer" + std::to_string(writer) +
                      "-%s' $i | sha256sum | cut -c1-64) >/dev/null || echo FAIL; done";
    return "(" + cmd + ")";
  };
  auto r = run_command(loop(1) + " & " + loop(2) + " & wait");
  EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
  auto count = home.in_ledger("git ls-files events | wc -l");
  EXPECT_EQ(std::stoi(count.output), 40);
  EXPECT_EQ(std::stoi(home.in_ledger("find events -name '*.json' | wc -l").output), 40);
  // init + 40 events (the key file rides with the first).
  EXPECT_EQ(std::stoi(home.in_ledger("git rev-list --count HEAD").output), 41);
  EXPECT_EQ(home.in_ledger("git fsck --strict --no-dangling").exit_code, 0);
  EXPECT_EQ(home.in_ledger("git status --porcelain").output, "");
  auto status = home.ok("index status --json --ledger " + shell_quote(home.ledger().string()));
  EXPECT_EQ(status.json()["counts"]["untrusted"], 40);
  auto verify = home.run("verify --ledger " + shell_quote(home.ledger().string()));
  EXPECT_EQ(verify.status, 0) << verify.out;
}

TEST(LedgerInterop, IndexRebuildEqualsTheIncrementalIndex) {
  CliHome home;
  home.setup_key_and_ledger();
  const std::string l = " --ledger " + shell_quote(home.ledger().string());
  for (int i = 0; i < 5; ++i) home.attest_claim(crypto::sha256_hex("s" + std::to_string(i)));
  auto incremental = home.ok("index status --json" + l).json();
  auto rebuilt = home.ok("index rebuild --json" + l).json();
  EXPECT_EQ(rebuilt["counts"], incremental["counts"]);
  EXPECT_EQ(rebuilt["commit"], incremental["last_commit"]);
  EXPECT_EQ(rebuilt["events"], 5);
  auto after = home.ok("index status --json" + l).json();
  EXPECT_FALSE(after["update"]["rebuilt"].get<bool>());
  EXPECT_EQ(after["update"]["files"], 0);
}

}  // namespace
}  // namespace pedigree
