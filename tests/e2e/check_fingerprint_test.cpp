// End-to-end: `pedigree check FILE` hashes and fingerprints a model file in
// one pass, bootstraps reference fingerprints from reference files, and
// estimates the NAI share of merges that no event describes (synthetic
// SD-shaped families, tests/fingerprint/family.hpp, written as safetensors).
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"
#include "fingerprint/family.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using fingerprint::testing::Family;
using fingerprint::testing::Weights;
using testing::CheckWorld;
using testing::openssl_file_sha256;
using testing::Parent;
using testing::report_component;
using testing::shell_quote;

// Writes `w` as an F16 safetensors file (layout per the safetensors README).
void write_model(const Family& family, const Weights& w, const fs::path& path) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::string data;
  for (std::size_t t = 0; t < w.size(); ++t) {
    auto bytes = fingerprint::testing::encode(w[t], formats::DType::k_f16);
    header[family.specs()[t].name] = {{"dtype", "F16"},
                                      {"shape", family.specs()[t].shape},
                                      {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  testing::write_text(path, file + text + data);
}

// SHA-256 of a file by the openssl CLI (an independent implementation).

class CheckFingerprint : public ::testing::Test {
protected:
  void SetUp() override {
    const fs::path dir = m_world.dir() / "models";
    m_sd14 = dir / "sd14.safetensors";
    m_sd15 = dir / "sd15.safetensors";
    m_nai = dir / "animefull.safetensors";
    write_model(m_family, m_family.base(), m_sd14);
    write_model(m_family, m_sd15_w, m_sd15);
    write_model(m_family, m_nai_w, m_nai);
    m_world.model("sd14", "base", "2022-08-22", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd14));
    m_world.model("sd15", "base", "2022-10-20", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_sd15));
    m_world.model("animefull", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted,
                  openssl_file_sha256(m_nai));
  }
  // Checks the three reference files once, so their fingerprints are stored.
  void bootstrap() {
    for (const auto& f : {m_sd14, m_sd15, m_nai}) {
      auto r = m_world.check(shell_quote(f.string()));
      ASSERT_NE(r.exit_code, 1) << r.err;
    }
  }
  fs::path write(const std::string& name, const Weights& w) {
    auto path = m_world.dir() / "models" / (name + ".safetensors");
    write_model(m_family, w, path);
    return path;
  }

  CheckWorld m_world;
  Family m_family{42};
  Weights m_sd15_w = m_family.finetune(0, 1, false);
  Weights m_nai_w = m_family.finetune(1, 1, true);
  Weights m_leaked_vae_w = m_family.finetune(0, 1, false);  // its VAE: a fine-tune of SD's
  fs::path m_sd14, m_sd15, m_nai;
};

TEST_F(CheckFingerprint, ReferenceFileIsIdentifiedAndItsFingerprintStored) {
  auto r = m_world.check(shell_quote(m_nai.string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // the file IS the leak
  EXPECT_EQ(r.json["target"]["sha256"], openssl_file_sha256(m_nai));
  EXPECT_EQ(r.json["target"]["kind"], "file");
  const fs::path stored = m_world.ledger_dir() / ".git" / "pedigree" / "references" /
                          (openssl_file_sha256(m_nai) + ".fp");
  EXPECT_TRUE(fs::exists(stored));
  bool told = false;
  for (const auto& n : r.json["notes"])
    told |= n.get<std::string>().find("pedigree attest fingerprint") != std::string::npos;
  EXPECT_TRUE(told) << r.out;
  // The stored .fp equals what `pedigree fingerprint` computes from the file alone.
  auto fp = testing::run_command(shell_quote(PEDIGREE_BINARY) + " fingerprint " +
                                 shell_quote(m_nai.string()) + " -o " +
                                 shell_quote((m_world.dir() / "nai.fp").string()));
  ASSERT_EQ(fp.exit_code, 0);
  EXPECT_EQ(testing::read_text(m_world.dir() / "nai.fp"), testing::read_text(stored));
  // A second check finds it and says it matches.
  auto again = m_world.check(shell_quote(m_nai.string()));
  bool matches = false;
  for (const auto& n : again.json["notes"])
    matches |= n.get<std::string>().find("matches the known one") != std::string::npos;
  EXPECT_TRUE(matches) << again.out;
}

TEST_F(CheckFingerprint, UndeclaredMergeIsFoundByItsFingerprint) {
  bootstrap();
  auto merge = write("merge", fingerprint::testing::combine({{0.7, &m_sd15_w}, {0.3, &m_nai_w}}));
  auto r = m_world.check(shell_quote(merge.string()));
  ASSERT_EQ(r.exit_code, 12) << r.err << r.out;  // nai: a fingerprint cannot date the source
  const auto& fp = r.json["nai_share"]["fingerprint"];
  ASSERT_TRUE(fp.is_object()) << r.out;
  EXPECT_NEAR(fp["estimate"].get<double>(), 0.3, 0.03);
  EXPECT_LE(fp["low"].get<double>(), fp["estimate"].get<double>());
  EXPECT_GE(fp["high"].get<double>(), fp["estimate"].get<double>());
  EXPECT_TRUE(r.json["nai_share"]["declared"].is_null());
}

TEST_F(CheckFingerprint, UnrelatedFineTuneIsCleanByFingerprint) {
  bootstrap();
  testing::add_leaked_vae_reference(m_world, m_family, m_leaked_vae_w);
  Weights independent = m_family.finetune(0, 1, false);  // its own update, no NAI
  auto photo =
      write("photo", fingerprint::testing::combine({{0.5, &m_sd15_w}, {0.5, &independent}}));
  auto r = m_world.check(shell_quote(photo.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.json["verdict"], "no-nai-found");
  EXPECT_LT(r.json["nai_share"]["fingerprint"]["estimate"].get<double>(), 0.02);
  // Its own VAE (not a base reference's) is cleared by measuring it against the leaked VAE.
  const auto* vae = report_component(r.json, "vae");
  ASSERT_TRUE(vae) << r.out;
  EXPECT_EQ((*vae)["nai"], "no") << r.out;
  EXPECT_LT((*vae)["share"]["high"].get<double>(), 0.1) << r.out;
}

// The fingerprint speaks for the UNet: a VAE that is neither a base
// reference's nor measured against the leaked VAE leaves the verdict open.
TEST_F(CheckFingerprint, UnmeasuredVaeKeepsAUNetOnlyCleanVerdictOpen) {
  bootstrap();  // no nai-vae reference with a fingerprint
  Weights independent = m_family.finetune(0, 1, false);
  auto photo =
      write("photo", fingerprint::testing::combine({{0.5, &m_sd15_w}, {0.5, &independent}}));
  auto r = m_world.check(shell_quote(photo.string()));
  EXPECT_EQ(r.exit_code, 13) << r.err << r.out;  // unknown
  EXPECT_EQ(r.json["verdict"], "unknown") << r.out;
  EXPECT_EQ(r.json["fingerprint"]["outcome"], "absent") << r.out;
  EXPECT_NE(r.json["summary"].get<std::string>().find("VAE"), std::string::npos) << r.out;
  const auto* vae = report_component(r.json, "vae");
  ASSERT_TRUE(vae) << r.out;
  EXPECT_EQ((*vae)["nai"], "unknown") << r.out;
  // The UNet itself was measured clean: its component says so, the VAE keeps the verdict open.
  const auto* unet = report_component(r.json, "unet");
  ASSERT_TRUE(unet) << r.out;
  EXPECT_EQ((*unet)["nai"], "no") << r.out;
  EXPECT_NE((*unet)["summary"].get<std::string>().find("rules out NAI above 3%"), std::string::npos)
      << r.out;
}

// The base's VAE re-saved in another precision (here: each weight moved by
// 2^-10 of its size, within bf16 rounding) has another VAE hash, but its
// fingerprint is the base's within rounding: it clears the VAE.
TEST_F(CheckFingerprint, BaseVaeInAnotherPrecisionClearsTheVae) {
  bootstrap();  // no nai-vae reference needed
  Weights independent = m_family.finetune(0, 1, false);
  Weights w = fingerprint::testing::combine({{0.5, &m_sd15_w}, {0.5, &independent}});
  for (std::size_t t : testing::family_vae_tensors(m_family))
    for (std::size_t i = 0; i < w[t].size(); ++i)
      w[t][i] = m_family.base()[t][i] * (1 + (i % 2 ? 1.0 : -1.0) / 1024);
  auto path = write("photo-rounded-vae", w);
  auto r = m_world.check(shell_quote(path.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.json["verdict"], "no-nai-found") << r.out;
  const auto* vae = report_component(r.json, "vae");
  ASSERT_TRUE(vae) << r.out;
  EXPECT_EQ((*vae)["nai"], "no") << r.out;
  EXPECT_NE((*vae)["summary"].get<std::string>().find("another precision"), std::string::npos)
      << r.out;
  // Moved by 2% instead: no longer the base's VAE, and nothing measures it.
  for (std::size_t t : testing::family_vae_tensors(m_family))
    for (std::size_t i = 0; i < w[t].size(); ++i)
      w[t][i] = m_family.base()[t][i] * (1 + (i % 2 ? 0.02 : -0.02));
  auto moved = write("photo-moved-vae", w);
  auto m = m_world.check(shell_quote(moved.string()));
  EXPECT_EQ(m.json["verdict"], "unknown") << m.out;
}

// SD1.5 with a VAE merged 50/50 from its own and the leaked NAI VAE: no hash
// matches, the VAE fingerprint finds the leaked VAE's share.
TEST_F(CheckFingerprint, VaeMergedWithTheLeakedVaeIsNaiLeak) {
  bootstrap();
  testing::add_leaked_vae_reference(m_world, m_family, m_leaked_vae_w);
  Weights merged = m_sd15_w;
  for (std::size_t t : testing::family_vae_tensors(m_family))
    for (std::size_t i = 0; i < merged[t].size(); ++i)
      merged[t][i] = 0.5 * m_sd15_w[t][i] + 0.5 * m_leaked_vae_w[t][i];
  auto path = write("sd15-vae-merge", merged);
  auto r = m_world.check(shell_quote(path.string()));
  EXPECT_EQ(r.exit_code, 10) << r.err << r.out;  // nai-leak
  EXPECT_EQ(r.json["verdict"], "nai-leak") << r.out;
  EXPECT_NE(r.json["summary"].get<std::string>().find("merge of the leaked NAI VAE"),
            std::string::npos)
      << r.out;
  const auto* vae = report_component(r.json, "vae");
  ASSERT_TRUE(vae) << r.out;
  EXPECT_EQ((*vae)["nai"], "yes") << r.out;
  // SD1.5's own VAE update is independent of the leaked one: the share is the merge weight.
  EXPECT_NEAR((*vae)["share"]["estimate"].get<double>(), 0.5, 0.1) << r.out;
  const auto* unet = report_component(r.json, "unet");
  ASSERT_TRUE(unet) << r.out;
  EXPECT_NE((*unet)["nai"], "yes") << r.out;
  // SD1.5 itself: its VAE is measured and holds none of the leaked VAE.
  auto plain = m_world.check(shell_quote(m_sd15.string()));
  EXPECT_NE((*report_component(plain.json, "vae"))["nai"], "yes") << plain.out;
}

TEST_F(CheckFingerprint, DeclaredAndFingerprintSharesDisagreeIsFlagged) {
  bootstrap();
  auto merge = write("liar", fingerprint::testing::combine({{0.4, &m_sd15_w}, {0.6, &m_nai_w}}));
  // The author declares only 10 % NAI.
  m_world.lineage("liar",
                  {{"sha:" + openssl_file_sha256(m_nai), "merge", "0.1"},
                   {"sha:" + openssl_file_sha256(m_sd15), "merge", "0.9"}},
                  testing::Signer::k_trusted, openssl_file_sha256(merge));
  auto r = m_world.check(shell_quote(merge.string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_NEAR(r.json["nai_share"]["declared"]["estimate"].get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(r.json["nai_share"]["fingerprint"]["estimate"].get<double>(), 0.6, 0.05);
  EXPECT_TRUE(r.json["nai_share"]["disagree"].get<bool>());
}

TEST_F(CheckFingerprint, WithoutReferenceFingerprintsTheReportSaysHowToGetThem) {
  auto merge = write("merge", fingerprint::testing::combine({{0.7, &m_sd15_w}, {0.3, &m_nai_w}}));
  auto r = m_world.check(shell_quote(merge.string()));
  EXPECT_EQ(r.exit_code, 13) << r.err << r.out;
  EXPECT_TRUE(r.json["nai_share"]["fingerprint"].is_null());
  bool told = false;
  for (const auto& n : r.json["notes"])
    told |= n.get<std::string>().find("no fingerprint estimate") != std::string::npos;
  EXPECT_TRUE(told) << r.out;
}

TEST_F(CheckFingerprint, TreeAndGraphShowTheAncestry) {
  m_world.model("A");
  const std::string nai = "sha:" + openssl_file_sha256(m_nai),
                    sd15 = "sha:" + openssl_file_sha256(m_sd15);
  m_world.lineage("A", {{nai, "finetune", ""}});
  m_world.lineage("B", {{"A", "merge", "0.5"}, {sd15, "merge", "0.5"}});
  m_world.lineage("B",
                  {{"sha:" + openssl_file_sha256(m_sd14), "merge", "0.5"}, {sd15, "merge", "0.5"}},
                  testing::Signer::k_untrusted);
  const std::string b = testing::sha_of_label("B");
  auto tree = m_world.run("tree " + b);
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("merge"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("0.5"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("nai-leak"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("untrusted"), std::string::npos) << tree.out;

  auto dot = m_world.run("graph " + b);
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_EQ(dot.out.rfind("digraph", 0), 0u) << dot.out;
  EXPECT_NE(dot.out.find("dashed"), std::string::npos) << dot.out;  // the untrusted edge

  auto json = m_world.run("graph --format json " + b);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.json["target"], b);
  bool nai_node = false;
  for (const auto& n : json.json["nodes"]) nai_node |= n["nai"].get<bool>();
  EXPECT_TRUE(nai_node) << json.out;

  auto svg = m_world.run("graph --format svg " + b);
  if (testing::run_command("command -v dot").exit_code == 0) {
    ASSERT_EQ(svg.exit_code, 0) << svg.err;
    EXPECT_NE(svg.out.find("<svg"), std::string::npos);
  }
  // Without Graphviz on PATH: a clear error, nothing on stdout.
  auto no_dot = m_world.run("graph --format svg " + b, "PATH=/nonexistent");
  EXPECT_EQ(no_dot.exit_code, 8) << no_dot.err;
  EXPECT_NE(no_dot.err.find("Graphviz"), std::string::npos) << no_dot.err;
  EXPECT_TRUE(no_dot.out.empty());

  auto unknown = m_world.run("tree " + std::string(64, 'c'));
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;
}

// `pedigree fingerprint --units OUT`: the base's unit signatures as the one .units file
// a check of the base stores locally; a file without unit groups is refused, nothing written.
TEST_F(CheckFingerprint, FingerprintUnitsWritesTheBasesUnitSignatures) {
  auto r = m_world.check(shell_quote(m_sd14.string()));  // stores the base's .units locally
  ASSERT_NE(r.exit_code, 1) << r.err;
  const fs::path stored = m_world.ledger_dir() / ".git" / "pedigree" / "references" /
                          (openssl_file_sha256(m_sd14) + ".units");
  ASSERT_TRUE(fs::exists(stored)) << r.out;
  const fs::path out = m_world.dir() / "sd14.units";
  auto fp =
      testing::run_command(shell_quote(PEDIGREE_BINARY) + " fingerprint --json " +
                           shell_quote(m_sd14.string()) + " --units " + shell_quote(out.string()));
  ASSERT_EQ(fp.exit_code, 0) << fp.output;
  const auto j = nlohmann::json::parse(fp.output);
  EXPECT_EQ(j["units"]["output"], out.string());
  EXPECT_EQ(j["units"]["bytes"].get<std::uint64_t>(), fs::file_size(out));
  EXPECT_EQ(testing::read_text(out), testing::read_text(stored));

  const fs::path none = m_world.dir() / "none.units";
  auto refused = testing::run_command(
      shell_quote(PEDIGREE_BINARY) + " fingerprint " +
      shell_quote(std::string(PEDIGREE_SOURCE_DIR) + "/tests/data/good_basic.safetensors") +
      " --units " + shell_quote(none.string()) + " 2>&1");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("no unit group"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(none));
}

}  // namespace
}  // namespace pedigree
