// End-to-end tests of `pedigree key`, `init` and `trust` through the real binary.
#include "e2e/ledger_cli.hpp"
#include "pedigree/ledger/pins.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::run_command;
using testing::shell_quote;

// keyid = SHA-256 of the raw 32-byte public key, computed by openssl from a PEM.
std::string openssl_keyid(const std::filesystem::path& public_pem) {
  auto r = run_command("openssl pkey -pubin -in " + shell_quote(public_pem.string()) +
                       " -outform DER | tail -c 32 | sha256sum");
  return r.output.substr(0, 64);
}

TEST(KeyCli, GeneratedKeyIsPrivateEncryptedAndExportsAPublicKeyOpensslAgreesWith) {
  CliHome home;
  testing::write_text(home.dir() / "pass", "correct horse\n");
  auto pass = "--passphrase-file " + shell_quote((home.dir() / "pass").string());
  auto gen = home.ok("key generate --json --name Alice --email alice@example.org " + pass).json();
  const std::string keyid = gen["keyid"];
  EXPECT_TRUE(gen["encrypted"].get<bool>());
  const std::filesystem::path pem = gen["private_key"].get<std::string>();
  EXPECT_EQ(std::filesystem::status(pem).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(testing::read_text(pem).find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  // openssl opens the stored key only with the passphrase.
  EXPECT_NE(run_command("openssl pkey -in " + shell_quote(pem.string()) +
                        " -passin pass:wrong -noout 2>/dev/null")
                .exit_code,
            0);

  auto list = home.ok("key list --json").json();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["keyid"], keyid);
  EXPECT_EQ(list[0]["email"], "alice@example.org");

  // Export needs no passphrase: the public half is recorded beside the key.
  auto exported = home.ok("key export " + keyid.substr(0, 12));
  testing::write_text(home.dir() / "pub.pem", exported.out);
  EXPECT_EQ(openssl_keyid(home.dir() / "pub.pem"), keyid);

  auto line = home.ok("key export --allowed-signers").out;
  EXPECT_TRUE(line.starts_with("alice@example.org namespaces=\"git\" ssh-ed25519 ")) << line;
}

TEST(KeyCli, ImportsAnOpensslKeyAndRefusesAWrongPassphrase) {
  CliHome home;
  auto pem = home.dir() / "k.pem";
  ASSERT_EQ(run_command("openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:s3cret -out " +
                        shell_quote(pem.string()))
                .exit_code,
            0);
  auto bad = home.run("key import " + shell_quote(pem.string()), "PEDIGREE_PASSPHRASE=nope");
  EXPECT_EQ(bad.status, 6) << bad.err;
  EXPECT_NE(bad.err.find("pedigree: error: "), std::string::npos);
  auto imported = home.ok("key import --json --name Bob " + shell_quote(pem.string()),
                          "PEDIGREE_PASSPHRASE=s3cret")
                      .json();
  ASSERT_EQ(run_command("openssl pkey -in " + shell_quote(pem.string()) +
                        " -passin pass:s3cret -pubout -out " +
                        shell_quote((home.dir() / "pub.pem").string()))
                .exit_code,
            0);
  EXPECT_EQ(imported["keyid"], openssl_keyid(home.dir() / "pub.pem"));
  EXPECT_TRUE(imported["encrypted"].get<bool>());
  // The passphrase never goes on the command line: there is no option for it.
  EXPECT_EQ(home.run("key generate --passphrase s3cret").status, 2);
}

TEST(InitCli, CreatesAGitLedgerAndRefusesANonEmptyDirectory) {
  CliHome home;
  home.ok("init " + shell_quote(home.ledger().string()) + " --name mine");
  auto json = nlohmann::json::parse(testing::read_text(home.ledger() / "LEDGER.json"));
  EXPECT_EQ(json["name"], "mine");
  EXPECT_EQ(json["format"], 1);
  EXPECT_EQ(home.in_ledger("git log --format=%s").output, "init ledger 'mine'\n");
  auto again = home.run("init " + shell_quote(home.ledger().string()));
  EXPECT_EQ(again.status, 7);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  // Without DIR: the user's ledger, from the bundled one.
  home.ok("init");
  EXPECT_TRUE(std::filesystem::exists(home.dir() / "data/pedigree/ledger/LEDGER.json"));
  EXPECT_EQ(home.run("init").status, 7);
}

TEST(TrustCli, AddListRemoveAndPinnedKeysSayWhyTheyAreTrusted) {
  CliHome home;
  const std::string mine = home.setup_key_and_ledger();
  // Only the key compiled into pedigree is pinned; a pin added to a LEDGER.json is ignored.
  const std::string pinned = ledger::compiled_pins()[0].keyid;
  const std::string intruder(64, 'a');
  testing::write_text(home.dir() / "bundled" / "LEDGER.json",
                      R"({"format":1,"name":"ref","pinned_keys":[{"keyid":")" + intruder +
                          R"(","for":["model","lineage"]}]})");
  auto listed = home.ok("trust list --json");
  auto list = listed.json();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["keyid"], pinned);
  EXPECT_EQ(list[0]["source"], "pinned");
  EXPECT_EQ(list[0]["for"], nlohmann::json({"model", "lineage", "fingerprint", "claim",
                                            "revocation", "reference"}));
  EXPECT_TRUE(list[0]["reference"].get<bool>());  // the project key defines the references
  EXPECT_NE(list[0]["why"].get<std::string>().find("pinned into this pedigree binary"),
            std::string::npos);
  EXPECT_NE(listed.err.find(intruder), std::string::npos) << listed.err;
  EXPECT_NE(listed.err.find("ignored"), std::string::npos) << listed.err;

  // A prefix of the user's own key expands; --for limits the predicates.
  home.ok("trust add " + mine.substr(0, 10) + " --for claim,model");
  list = home.ok("trust list --json").json();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["keyid"], mine);
  EXPECT_EQ(list[1]["source"], "user");
  EXPECT_EQ(list[1]["name"], "Alice");
  EXPECT_EQ(list[1]["for"], nlohmann::json({"claim", "model"}));
  EXPECT_FALSE(list[1]["reference"].get<bool>());  // never without naming it
  auto file = nlohmann::json::parse(testing::read_text(home.dir() / "config/pedigree/trust.json"));
  EXPECT_TRUE(file["keys"].contains(mine));

  EXPECT_EQ(home.run("trust add " + mine + " --for everything").status, 2);
  EXPECT_EQ(home.run("trust add 1234").status, 2);
  auto pinned_remove = home.run("trust remove " + pinned);
  EXPECT_EQ(pinned_remove.status, 7);
  EXPECT_NE(pinned_remove.err.find("pinned"), std::string::npos);
  home.ok("trust remove " + mine);
  EXPECT_EQ(home.ok("trust list --json").json().size(), 1u);
  EXPECT_EQ(home.run("trust remove " + mine).status, 3);
}

}  // namespace
}  // namespace pedigree
