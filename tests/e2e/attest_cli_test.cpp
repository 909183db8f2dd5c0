// End-to-end tests of `pedigree attest` through the real binary: every form,
// what it commits, and what it refuses.
#include "e2e/ledger_cli.hpp"

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/digest.hpp"

namespace pedigree {
namespace {

using testing::CliHome;
using testing::run_command;
using testing::shell_quote;

const std::string k_sample = std::string(PEDIGREE_TEST_DATA) + "/sample_sd1_tiny.safetensors";

std::string sha256_of_file(const std::filesystem::path& file) {
  return run_command("sha256sum " + shell_quote(file.string())).output.substr(0, 64);
}

// A one-tensor safetensors file whose __metadata__ is `metadata` (JSON object text).
void write_safetensors_with_metadata(const std::filesystem::path& path, const std::string& metadata,
                                     int seed) {
  std::string header = R"({"__metadata__":)" + metadata +
                       R"(,"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  while (header.size() % 8) header += ' ';
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  float values[2] = {static_cast<float>(seed), 0.5f};
  bytes.append(reinterpret_cast<const char*>(values), sizeof values);
  testing::write_text(path, bytes);
}

// The statement inside the event file at ledger-relative `path`.
nlohmann::json statement_at(const CliHome& home, const std::string& path) {
  auto env = nlohmann::json::parse(testing::read_text(home.ledger() / path));
  return nlohmann::json::parse(*crypto::base64_decode(env["payload"].get<std::string>()));
}

TEST(AttestCli, ModelRecordsEveryIdentityAndAFingerprintCommittedAsTheKeysIdentity) {
  CliHome home;
  home.setup_key_and_ledger();
  auto r = home.ok("attest model --json " + shell_quote(k_sample) + ledger_arg(home) +
                   " --title 'Tiny SD1' --published 2022-10-07 --source https://example.org/m"
                   " --license CreativeML --role base")
               .json();
  // The model, its fingerprint and, for a base, its unit signatures (one event: a tiny file).
  ASSERT_EQ(r["events"].size(), 3u) << r;
  EXPECT_EQ(r["events"][0]["kind"], "model");
  EXPECT_EQ(r["events"][1]["kind"], "fingerprint");
  EXPECT_EQ(r["events"][2]["kind"], "fingerprint");
  auto units = statement_at(home, r["events"][2]["path"]);
  EXPECT_EQ(units["predicate"]["spec"], "pedigree-units-v1");
  const auto units_file = *crypto::base64_decode(units["predicate"]["data"].get<std::string>());
  EXPECT_EQ(units_file.substr(0, 8), "PDUNITS1");
  EXPECT_EQ(units["predicate"]["sha256"], crypto::sha256_hex(units_file));
  // `attest fingerprint --units` of the same file makes the same two events: already present.
  auto same =
      home.ok("attest fingerprint --units --json " + shell_quote(k_sample) + ledger_arg(home))
          .json();
  ASSERT_EQ(same["events"].size(), 2u) << same;
  for (const auto& e : same["events"]) EXPECT_TRUE(e["already_present"].get<bool>()) << same;
  const std::string sha = sha256_of_file(k_sample);
  auto hashes = home.ok("hash --json --no-cache " + shell_quote(k_sample)).json()[0];
  auto model = statement_at(home, r["events"][0]["path"]);
  EXPECT_EQ(model["subject"][0]["digest"]["sha256"], sha);
  EXPECT_EQ(model["subject"][0]["digest"]["pedigree-weights-v1"], hashes["weights"]);
  const auto& p = model["predicate"];
  for (const char* kind : {"sha256", "autov2", "autov3", "crc32", "blake3", "weights"}) {
    EXPECT_EQ(p["hashes"][kind], hashes[kind]) << kind;
  }
  for (const auto& [component, value] : hashes["components"].items()) {
    EXPECT_EQ(p["hashes"][component == "unet_ema" ? "ema_unet" : component], value);
  }
  EXPECT_EQ(p["size"], std::filesystem::file_size(k_sample));
  EXPECT_EQ(p["format"], "safetensors");
  EXPECT_EQ(p["architecture"], "sd1");
  EXPECT_EQ(p["title"], "Tiny SD1");
  EXPECT_EQ(p["published"], "2022-10-07");
  EXPECT_EQ(p["role"], "base");
  // The fingerprint event holds exactly what `pedigree fingerprint` writes.
  home.ok("fingerprint " + shell_quote(k_sample) + " -o " +
          shell_quote((home.dir() / "s.fp").string()));
  auto fp = statement_at(home, r["events"][1]["path"]);
  EXPECT_EQ(fp["predicate"]["spec"], "pedigree-fingerprint-v2");
  EXPECT_EQ(*crypto::base64_decode(fp["predicate"]["data"].get<std::string>()),
            testing::read_text(home.dir() / "s.fp"));
  // Three commits authored by the key's identity; git agrees the repository is sound.
  EXPECT_EQ(home.in_ledger("git log -3 --format='%an <%ae>'").output,
            "Alice <alice@example.org>\nAlice <alice@example.org>\nAlice <alice@example.org>\n");
  EXPECT_EQ(home.in_ledger("git fsck --strict").exit_code, 0);
  // Attesting again adds nothing; --no-fingerprint skips the second event.
  auto again =
      home.ok("attest model --json --no-fingerprint " + shell_quote(k_sample) + ledger_arg(home) +
              " --title 'Tiny SD1' --published 2022-10-07 --source "
              "https://example.org/m --license CreativeML --role base")
          .json();
  ASSERT_EQ(again["events"].size(), 1u);
  EXPECT_TRUE(again["events"][0]["already_present"].get<bool>());
}

TEST(AttestCli, RefusesMalformedDetailsAndCommitsNothing) {
  CliHome home;
  home.setup_key_and_ledger();
  auto count = [&] { return home.in_ledger("git rev-list --count HEAD").output; };
  const auto before = count();
  auto bad_date = home.run("attest model " + shell_quote(k_sample) + ledger_arg(home) +
                           " --published 07/10/2022");
  EXPECT_EQ(bad_date.status, 2);
  EXPECT_NE(bad_date.err.find("--published"), std::string::npos) << bad_date.err;
  EXPECT_EQ(
      home.run("attest model " + shell_quote(k_sample) + ledger_arg(home) + " --role king").status,
      2);
  EXPECT_EQ(home.run("attest claim " + std::string(64, 'a') + ledger_arg(home) +
                     " --contains-nai maybe --basis x")
                .status,
            2);
  EXPECT_EQ(home.run("attest claim " + std::string(64, 'a') + ledger_arg(home) +
                     " --contains-nai no --basis x --evidence ftp:x")
                .status,
            2);
  auto missing = home.run("attest model /nonexistent.safetensors" + ledger_arg(home));
  EXPECT_EQ(missing.status, 3);
  EXPECT_EQ(count(), before);
}

TEST(AttestCli, LineageResolvesParentsByFileHashAndNameWithWeightsAndBlockWeights) {
  CliHome home;
  home.setup_key_and_ledger();
  auto a = home.dir() / "a.safetensors", b = home.dir() / "b.safetensors",
       child = home.dir() / "child.safetensors";
  write_safetensors_with_metadata(a, "{}", 1);
  write_safetensors_with_metadata(b, "{}", 2);
  write_safetensors_with_metadata(child, "{}", 3);
  home.ok("attest model --no-fingerprint " + shell_quote(b.string()) + ledger_arg(home) +
          " --title 'Model B'");
  const std::string sha_a = sha256_of_file(a), sha_b = sha256_of_file(b);
  std::string blocks;
  for (int i = 0; i < 26; ++i) blocks += (i ? "," : "") + std::string(i % 2 ? "0.25" : "1");
  auto r =
      home.ok("attest lineage --json " + shell_quote(child.string()) + ledger_arg(home) +
              " --parent " + shell_quote(a.string()) + ":0.7 --parent 'model b:0.3'" +
              " --relation merge --method weighted-sum --block-weights 'model b=" + blocks + "'")
          .json();
  auto st = statement_at(home, r["events"][0]["path"]);
  EXPECT_EQ(st["subject"][0]["digest"]["sha256"], sha256_of_file(child));
  const auto& parents = st["predicate"]["parents"];
  ASSERT_EQ(parents.size(), 2u);
  EXPECT_EQ(parents[0]["digest"]["sha256"], sha_a);
  EXPECT_EQ(parents[0]["weight"], "0.7");
  EXPECT_EQ(parents[1]["digest"]["sha256"], sha_b);  // by title, case-insensitive
  EXPECT_EQ(parents[1]["weight"], "0.3");
  EXPECT_EQ(parents[1]["block_weights"].size(), 26u);
  EXPECT_EQ(st["predicate"]["basis"], "author-statement");
  // A short hash the index knows (AutoV2 of B) resolves as well; an unknown one does not.
  auto by_hash = home.ok("attest lineage --json " + sha_a + ledger_arg(home) + " --parent " +
                         sha_b.substr(0, 10) + " --relation finetune --method dreambooth")
                     .json();
  EXPECT_EQ(statement_at(
                home, by_hash["events"][0]["path"])["predicate"]["parents"][0]["digest"]["sha256"],
            sha_b);
  auto unknown = home.run("attest lineage " + sha_a + ledger_arg(home) +
                          " --parent deadbeef99 --relation merge --method x");
  EXPECT_EQ(unknown.status, 3);
  EXPECT_NE(unknown.err.find("deadbeef99"), std::string::npos) << unknown.err;
  auto short_blocks = home.run("attest lineage " + sha_a + ledger_arg(home) + " --parent " + sha_b +
                               " --relation merge --method x --block-weights " + sha_b + "=1,2");
  EXPECT_EQ(short_blocks.status, 2);
  EXPECT_NE(short_blocks.err.find("26"), std::string::npos) << short_blocks.err;
}

TEST(AttestCli, LineageFromMetadataRecordsTheRecipeWithBasisFileMetadata) {
  CliHome home;
  home.setup_key_and_ledger();
  const std::string pa(64, '1'), pb(64, '2');
  auto merged = home.dir() / "merged.safetensors";
  write_safetensors_with_metadata(
      merged,
      nlohmann::json(
          {{"sd_merge_recipe",
            R"({"type":"webui","primary_model_hash":")" + pa + R"(","secondary_model_hash":")" +
                pb +
                R"(","tertiary_model_hash":null,"interp_method":"Weighted sum",)"
                R"("multiplier":0.3,"primary_model_name":"A","secondary_model_name":"B"})"}})
          .dump(),
      4);
  auto r = home.ok("attest lineage --json --from-metadata " + shell_quote(merged.string()) +
                   ledger_arg(home))
               .json();
  auto p = statement_at(home, r["events"][0]["path"])["predicate"];
  EXPECT_EQ(p["basis"], "file-metadata");
  ASSERT_EQ(p["parents"].size(), 2u);
  EXPECT_EQ(p["parents"][0]["digest"]["sha256"], pa);
  EXPECT_EQ(p["parents"][0]["weight"], "0.7");
  EXPECT_EQ(p["parents"][1]["digest"]["sha256"], pb);
  EXPECT_EQ(p["parents"][1]["weight"], "0.3");
  EXPECT_EQ(p["parents"][0]["relation"], "merge");
  // A file without recipes: a clear error, nothing committed.
  auto plain = home.dir() / "plain.safetensors";
  write_safetensors_with_metadata(plain, "{}", 5);
  auto none =
      home.run("attest lineage --from-metadata " + shell_quote(plain.string()) + ledger_arg(home));
  EXPECT_EQ(none.status, 3);
  EXPECT_NE(none.err.find("no merge recipe"), std::string::npos) << none.err;
}

TEST(AttestCli, ClaimAndRevokeOnlyByTheEventsOwnSigner) {
  CliHome home;
  const std::string alice = home.setup_key_and_ledger();
  const std::string bob =
      home.ok("key generate --json --name Bob --email bob@example.org").json()["keyid"];
  const std::string subject(64, 'c');
  auto claim =
      home.ok("attest claim --json " + subject + ledger_arg(home) + " --key " + alice.substr(0, 8) +
              " --contains-nai yes --basis 'block weights match' --evidence "
              "url:https://example.org/x --evidence text:'same VAE'")
          .json();
  const std::string id = claim["events"][0]["event"];
  auto st = statement_at(home, claim["events"][0]["path"]);
  EXPECT_EQ(st["predicate"]["evidence"][1],
            nlohmann::json({{"kind", "text"}, {"value", "same VAE"}}));
  // Bob may not revoke Alice's claim.
  auto refused = home.run("attest revoke " + id + ledger_arg(home) + " --key " + bob.substr(0, 8));
  EXPECT_EQ(refused.status, 6);
  EXPECT_NE(refused.err.find("only the event's own signer"), std::string::npos) << refused.err;
  // Two keys and no --key: the user must choose.
  EXPECT_EQ(home.run("attest revoke " + id + ledger_arg(home)).status, 2);
  auto revoked = home.ok("attest revoke --json " + id + ledger_arg(home) + " --key " +
                         alice.substr(0, 8) + " --reason mistake")
                     .json();
  auto rev = statement_at(home, revoked["events"][0]["path"]);
  EXPECT_EQ(rev["predicate"]["event"], id);
  EXPECT_EQ(rev["subject"][0]["digest"]["sha256"], subject);
  auto status = home.ok("index status --json" + ledger_arg(home)).json();
  EXPECT_EQ(status["counts"]["revoked"], 1);
  EXPECT_EQ(home.run("attest revoke " + std::string(64, 'f') + ledger_arg(home) + " --key " +
                     alice.substr(0, 8))
                .status,
            3);
}

TEST(AttestCli, RawSignsAValidatedPredicateAndRefusesAnInvalidOne) {
  CliHome home;
  home.setup_key_and_ledger();
  const std::string subject(64, 'd');
  testing::write_text(home.dir() / "model.json",
                      R"({"title":"Ref","role":"nai-leak","hashes":{"autov2":"925997e9aa"}})");
  auto r = home.ok("attest raw model --json --subject " + subject +
                   " --subject-name animefull.ckpt --predicate " +
                   shell_quote((home.dir() / "model.json").string()) + ledger_arg(home))
               .json();
  auto st = statement_at(home, r["events"][0]["path"]);
  EXPECT_EQ(st["subject"][0]["name"], "animefull.ckpt");
  EXPECT_EQ(st["predicate"]["role"], "nai-leak");
  EXPECT_EQ(r["events"][0]["path"],
            "events/dd/dd/" + subject + "/" + r["events"][0]["event"].get<std::string>() + ".json");
  testing::write_text(home.dir() / "bad.json", R"({"title":"Ref","colour":"red"})");
  auto bad = home.run("attest raw model --subject " + subject + " --predicate " +
                      shell_quote((home.dir() / "bad.json").string()) + ledger_arg(home));
  EXPECT_EQ(bad.status, 4);
  EXPECT_NE(bad.err.find("colour"), std::string::npos) << bad.err;
  EXPECT_EQ(home.run("attest raw opinion --subject " + subject + " --predicate " +
                     shell_quote((home.dir() / "model.json").string()) + ledger_arg(home))
                .status,
            2);
}

TEST(AttestCli, EncryptedKeyNeedsItsPassphraseFromFileOrEnvironment) {
  CliHome home;
  testing::write_text(home.dir() / "pass", "pw\n");
  home.ok("key generate --passphrase-file " + shell_quote((home.dir() / "pass").string()));
  home.ok("init " + shell_quote(home.ledger().string()));
  auto no_pass = home.run("attest claim " + std::string(64, 'e') + ledger_arg(home) +
                          " --contains-nai no --basis x");
  EXPECT_EQ(no_pass.status, 6);
  EXPECT_NE(no_pass.err.find("passphrase"), std::string::npos) << no_pass.err;
  home.ok(
      "attest claim " + std::string(64, 'e') + ledger_arg(home) + " --contains-nai no --basis x",
      "PEDIGREE_PASSPHRASE=pw");
  home.ok("attest claim " + std::string(64, 'e') + ledger_arg(home) +
          " --contains-nai no --basis y --passphrase-file " +
          shell_quote((home.dir() / "pass").string()));
}

}  // namespace
}  // namespace pedigree
