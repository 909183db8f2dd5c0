// End-to-end: who may define references, components in the verdict, and
// weight evidence for pasted hashes and names (issue 14, items 4-6). Real
// ledgers, real keys (the attacker's and the attester's events are signed in
// the test), real safetensors files and the real `pedigree` binary.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"
#include "pedigree/examine/attest.hpp"
#include "pedigree/ledger/attest.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using fingerprint::testing::combine;
using fingerprint::testing::Family;
using fingerprint::testing::Weights;
using testing::CheckWorld;
using testing::CliRun;
using testing::openssl_file_sha256;
using testing::report_component;
using testing::shell_quote;

// The statements `pedigree attest model FILE` signs: the model event (every
// identity of the file, component hashes included) and, for a checkpoint
// with a UNet, its fingerprint event.
std::vector<ledger::Statement> model_events(const fs::path& file,
                                            const ledger::ModelDetails& details) {
  auto examined = examine::examine_model_file(file, nullptr, examine::FingerprintPass::k_build);
  EXPECT_TRUE(examined) << (examined ? "" : examined.error().message());
  if (!examined) return {};
  auto model = ledger::model_statement(examined->facts, details);
  EXPECT_TRUE(model) << (model ? "" : model.error().message());
  if (!model) return {};
  std::vector<ledger::Statement> out{*model};
  if (examined->fp_file)
    if (auto fp = ledger::fingerprint_statement(model->subject, *examined->fp_file))
      out.push_back(*fp);
  return out;
}

bool has_reference_evidence(const nlohmann::json& report, const std::string& kind, bool counts,
                            const std::string& text) {
  for (const auto& e : report["evidence"])
    if (e["kind"] == kind && e["counts"].get<bool>() == counts &&
        e["summary"].get<std::string>().find(text) != std::string::npos)
      return true;
  return false;
}

class CheckReferences : public ::testing::Test {
protected:
  void SetUp() override {
    const fs::path dir = m_world.dir() / "models";
    m_sd14 = write("sd14", m_family.base());
    m_sd15 = write("sd15", m_sd15_w);
    m_nai = write("animefull", m_nai_w);
    m_world.model("sd14", "base", "2022-08-22", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd14));
    m_world.model("sd15", "base", "2022-10-20", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd15));
    m_world.model("animefull", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_nai));
    // Checking each reference file once stores its fingerprint as that reference.
    for (const auto& f : {m_sd14, m_sd15, m_nai}) {
      auto r = m_world.check(shell_quote(f.string()));
      ASSERT_NE(r.exit_code, 1) << r.err;
    }
  }
  fs::path write(const std::string& name, const Weights& w) {
    auto path = m_world.dir() / "models" / (name + ".safetensors");
    testing::write_family_model(m_family, w, path);
    return path;
  }
  CliRun trust(const std::string& args) { return m_world.run("trust " + args); }

  CheckWorld m_world;
  Family m_family{42};
  Weights m_sd15_w = m_family.finetune(0, 1, false);
  Weights m_nai_w = m_family.finetune(1, 1, true);
  fs::path m_sd14, m_sd15, m_nai;
};

// Item 4: a fresh key trusted with plain `trust add KEY` names a 30% NAI
// merge `base`, published before SD1.4, with its fingerprint. The role is an
// ignored statement: the merge does not read clean and the estimate's base
// stays SD1.4 (defined by the reference key). Trusting the key with
// `--for all,reference` is the user's choice to let it define references.
TEST_F(CheckReferences, RoleFromAKeyNotTrustedForReferencesIsIgnored) {
  auto hijacked = write("hijacked", combine({{0.7, &m_sd15_w}, {0.3, &m_nai_w}}));
  auto victim = write("victim", combine({{0.8, &m_sd15_w}, {0.2, &m_nai_w}}));
  auto mallory = crypto::PrivateKey::generate();
  ASSERT_TRUE(mallory);
  ledger::ModelDetails details;
  details.role = "base";
  details.published = "2021-01-01";
  auto hijack = model_events(hijacked, details);
  ASSERT_EQ(hijack.size(), 2u);  // the role and the fingerprint that would become the base
  for (const auto& st : hijack) m_world.attest_as(*mallory, st, "Mallory");
  ASSERT_EQ(trust("add " + mallory->keyid()).exit_code, 0);

  auto r = m_world.check(shell_quote(hijacked.string()));
  EXPECT_NE(r.json["verdict"], "no-nai-found") << r.out;
  // NAI by its fingerprint; leaked, as the (model-trusted) publication date predates the release.
  EXPECT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_TRUE(has_reference_evidence(r.json, "identity", false, "not trusted for references"))
      << r.out;
  // The victim's estimate runs over SD1.4, defined by the reference key, not Mallory.
  auto v = m_world.check(shell_quote(victim.string()));
  EXPECT_EQ(v.exit_code, 12) << v.err << v.out;
  EXPECT_NEAR(v.json["nai_share"]["fingerprint"]["estimate"].get<double>(), 0.2, 0.05) << v.out;
  bool base_is_sd14 = false;
  for (const auto& ref : v.json["references"]) {
    EXPECT_NE(ref["signer"], mallory->keyid()) << v.out;
    if (ref["used_for"] == "fingerprint" && ref["role"] == "base" && ref["name"] == "sd14")
      base_is_sd14 = ref["signer"] == m_world.trusted_keyid() && ref["event"].is_string() &&
                     ref["signer_identity"] == "Tester <tester@example.org>";
  }
  EXPECT_TRUE(base_is_sd14) << v.out;
  // trust list shows the statement as ignored.
  auto list = trust("list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  bool listed = false;
  for (const auto& row : list.json)
    if (row["keyid"] == mallory->keyid()) {
      EXPECT_FALSE(row["reference"].get<bool>());
      for (const auto& ign : row["ignored_references"])
        listed |= ign["sha256"] == openssl_file_sha256(hijacked) && ign["role"] == "base";
    }
  EXPECT_TRUE(listed) << list.out;

  // The user's explicit choice: Mallory may define references.
  auto add = trust("add " + mallory->keyid() + " --for all,reference");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto trusted = m_world.check(shell_quote(hijacked.string()));
  EXPECT_EQ(trusted.json["verdict"], "no-nai-found") << trusted.out;
  bool by_mallory = false;
  for (const auto& ref : trusted.json["references"])
    by_mallory |= ref["signer"] == mallory->keyid() && ref["role"] == "base" &&
                  ref["signer_identity"] == "Mallory <tester@example.org>";
  EXPECT_TRUE(by_mallory) << trusted.out;
  auto human = m_world.run("check " + shell_quote(hijacked.string()));
  EXPECT_NE(human.out.find("references used"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(mallory->keyid().substr(0, 16)), std::string::npos) << human.out;
  auto list2 = trust("list --json");
  bool defines = false;
  for (const auto& row : list2.json)
    if (row["keyid"] == mallory->keyid())
      for (const auto& ref : row["references"]) defines |= ref["role"] == "base";
  EXPECT_TRUE(defines) << list2.out;
}

// Item 5: SD1.5's weights with a VAE bit-identical to the leaked NAI VAE (a
// synthetic animevae.pt whose VAE hash a trusted nai-vae model event records).
TEST_F(CheckReferences, LeakedVaeAloneIsNaiLeakWithTheComponentStated) {
  const std::size_t vae = m_family.specs().size() - 1;
  ASSERT_TRUE(m_family.specs()[vae].name.starts_with("first_stage_model."));
  Family other{7};
  const std::vector<double>& leaked = other.base()[vae];
  // The leaked VAE as a bare VAE file (keys without the first_stage_model. prefix).
  fingerprint::testing::Spec bare{m_family.specs()[vae].name.substr(18),
                                  m_family.specs()[vae].shape};
  const fs::path animevae = m_world.dir() / "models" / "animevae.safetensors";
  testing::write_f16_safetensors({{bare, &leaked}}, animevae);
  ledger::ModelDetails details;
  details.role = "nai-vae";
  details.published = "2022-10-06";
  auto events = model_events(animevae, details);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events[0].predicate["hashes"].contains("vae")) << events[0].predicate.dump();
  m_world.attest(events[0], testing::Signer::k_trusted);

  Weights swapped_w = m_sd15_w;
  swapped_w[vae] = leaked;
  auto swapped = write("sd15-animevae", swapped_w);
  auto r = m_world.check(shell_quote(swapped.string()));
  EXPECT_EQ(r.exit_code, 10) << r.err << r.out;  // nai-leak
  EXPECT_EQ(r.json["verdict"], "nai-leak") << r.out;
  EXPECT_NE(r.json["summary"].get<std::string>().find("VAE"), std::string::npos) << r.out;
  const auto* v = report_component(r.json, "vae");
  ASSERT_TRUE(v) << r.out;
  EXPECT_EQ((*v)["nai"], "yes") << r.out;
  const auto* unet = report_component(r.json, "unet");
  ASSERT_TRUE(unet) << r.out;
  EXPECT_NE((*unet)["nai"], "yes") << r.out;
  ASSERT_TRUE(report_component(r.json, "text_encoder")) << r.out;
  // Plain SD1.5 (its own VAE) carries no NAI VAE.
  auto plain = m_world.check(shell_quote(m_sd15.string()));
  EXPECT_NE((*report_component(plain.json, "vae"))["nai"], "yes") << plain.out;
  // By pasted hash, once the ledger knows the model's component hashes.
  m_world.attest(model_events(swapped, {})[0], testing::Signer::k_trusted);
  auto by_hash = m_world.check(openssl_file_sha256(swapped));
  EXPECT_EQ(by_hash.json["verdict"], "nai-leak") << by_hash.out;
  EXPECT_EQ((*report_component(by_hash.json, "vae"))["nai"], "yes") << by_hash.out;
  // The VAE file itself is leaked NAI material.
  auto itself = m_world.check(shell_quote(animevae.string()));
  EXPECT_EQ(itself.json["verdict"], "nai-leak") << itself.out;
}

// Item 6: a 10% NAI merge whose fingerprint an attester signed. By file it
// reads nai; by pasted hash and by name it reads the same once the attester
// is trusted (never from an untrusted fingerprint event).
TEST_F(CheckReferences, PastedHashAndNameUseTheLedgersFingerprint) {
  auto merge = write("merge10", combine({{0.9, &m_sd15_w}, {0.1, &m_nai_w}}));
  auto attester = crypto::PrivateKey::generate();
  ASSERT_TRUE(attester);
  auto attested = model_events(merge, {});
  ASSERT_EQ(attested.size(), 2u);
  for (const auto& st : attested) m_world.attest_as(*attester, st, "Attester");
  const std::string sha = openssl_file_sha256(merge);

  auto by_file = m_world.check(shell_quote(merge.string()));
  ASSERT_EQ(by_file.exit_code, 12) << by_file.err << by_file.out;
  const double file_share = by_file.json["nai_share"]["fingerprint"]["estimate"].get<double>();
  EXPECT_NEAR(file_share, 0.1, 0.03);

  auto untrusted = m_world.check(sha);
  EXPECT_EQ(untrusted.exit_code, 13) << untrusted.err << untrusted.out;  // nothing counts yet
  EXPECT_TRUE(untrusted.json["nai_share"]["fingerprint"].is_null()) << untrusted.out;

  ASSERT_EQ(trust("add " + attester->keyid() + " --for model,fingerprint").exit_code, 0);
  for (const std::string& target : {sha, sha.substr(0, 10), std::string("merge10")}) {
    auto r = m_world.check(target);
    EXPECT_EQ(r.exit_code, 12) << target << "\n" << r.err << r.out;
    ASSERT_TRUE(r.json["nai_share"]["fingerprint"].is_object()) << target << "\n" << r.out;
    EXPECT_NEAR(r.json["nai_share"]["fingerprint"]["estimate"].get<double>(), file_share, 0.01)
        << target;
    bool noted = false;
    for (const auto& n : r.json["notes"])
      noted |= n.get<std::string>().find("the ledger's fingerprint") != std::string::npos;
    EXPECT_TRUE(noted) << r.out;
  }
}

}  // namespace
}  // namespace pedigree
