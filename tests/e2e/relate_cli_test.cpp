// End-to-end: `pedigree relate DIR` finds which files of a folder are merges of
// which from their weights alone (synthetic SD-shaped family written as real
// F16 safetensors files), marks what reaches a NAI reference of the ledger, and
// refuses cleanly what it cannot relate.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"
#include "fingerprint/family.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using fingerprint::testing::combine;
using fingerprint::testing::Family;
using fingerprint::testing::Weights;
using testing::CheckWorld;
using testing::shell_quote;

class RelateCli : public ::testing::Test {
protected:
  void SetUp() override {
    m_base = m_world.dir() / "refs" / "sd14.safetensors";
    fs::create_directories(m_base.parent_path());
    testing::write_family_model(m_family, m_family.base(), m_base);
    write("nai", m_nai);
    write("anime", m_anime);
    write("photo", m_photo);
    m_merge = combine({{0.6, &m_anime}, {0.4, &m_nai}});
    write("merge", m_merge);
    write("merge-of-merge", combine({{0.5, &m_merge}, {0.5, &m_photo}}));
    write("merge-copy", m_merge);
    write("trained-from-photo", m_photo_tune);
  }
  void write(const std::string& name, const Weights& w) {
    const fs::path path = folder() / (name + ".safetensors");
    fs::create_directories(path.parent_path());
    testing::write_family_model(m_family, w, path);
  }
  fs::path folder() const { return m_world.dir() / "uploads"; }
  testing::CliRun relate(const std::string& args) const {
    return m_world.run("relate " + args + " --format json --base " + shell_quote(m_base.string()) +
                       " " + shell_quote(folder().string()));
  }
  // Parents of each model by file stem, from relate's JSON.
  static std::map<std::string, std::set<std::string>> parents(const nlohmann::json& j) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& e : j["edges"])
      out[fs::path(e["child"].get<std::string>()).stem().string()].insert(
          fs::path(e["parent"].get<std::string>()).stem().string());
    return out;
  }
  static const nlohmann::json* model(const nlohmann::json& j, const std::string& stem) {
    for (const auto& m : j["models"])
      if (fs::path(m["id"].get<std::string>()).stem() == stem) return &m;
    return nullptr;
  }

  CheckWorld m_world;
  Family m_family{7};
  Weights m_nai = m_family.finetune(1, 1, true);
  Weights m_anime = m_family.finetune(1, 1, true);
  Weights m_photo = m_family.finetune(0.2, 1, true);
  Weights m_own = m_family.finetune(0.5, 1, true);  // an update no file of the folder holds
  // photo, then trained further: it holds photo whole plus an update of its own.
  Weights m_photo_tune = combine({{1.0, &m_photo}, {0.5, &m_own}, {-0.5, &m_family.base()}});
  Weights m_merge;
  fs::path m_base;
};

TEST_F(RelateCli, FindsMergesOfMergesWithTheirShares) {
  auto r = relate("");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  // The merge and its copy are the same weights: one stands for both (whichever is listed
  // first), the other points at it and is neither its parent nor its child.
  const auto* merge = model(r.json, "merge");
  const auto* copy = model(r.json, "merge-copy");
  ASSERT_TRUE(merge && copy);
  const bool copy_stands = (*merge)["same_weights_as"].is_string();
  const auto* other = copy_stands ? merge : copy;
  const std::string rep = copy_stands ? "merge-copy" : "merge";
  ASSERT_TRUE((*other)["same_weights_as"].is_string()) << r.out;
  EXPECT_EQ(fs::path((*other)["same_weights_as"].get<std::string>()).stem(), rep) << r.out;
  const auto p = parents(r.json);
  ASSERT_TRUE(p.contains(rep) && p.contains("merge-of-merge")) << r.out;
  EXPECT_EQ(p.at(rep), (std::set<std::string>{"anime", "nai"})) << r.out;
  EXPECT_EQ(p.at("merge-of-merge"), (std::set<std::string>{rep, "photo"})) << r.out;
  EXPECT_FALSE(p.contains(copy_stands ? "merge" : "merge-copy")) << r.out;
  EXPECT_FALSE(p.contains("anime")) << r.out;  // fine-tunes of the base: roots
  EXPECT_FALSE(p.contains("nai")) << r.out;
  for (const auto& e : r.json["edges"]) {
    const std::string child = fs::path(e["child"].get<std::string>()).stem();
    const std::string parent = fs::path(e["parent"].get<std::string>()).stem();
    EXPECT_EQ(e["relation"], child == "trained-from-photo" ? "fine-tune" : "merge");
    if (child == rep && parent == "nai") {
      EXPECT_NEAR(e["share"].get<double>(), 0.4, 0.03);
    }
    if (child == "merge-of-merge") {
      EXPECT_NEAR(e["share"].get<double>(), 0.5, 0.03) << r.out;
    }
  }
}

TEST_F(RelateCli, AModelTrainedFurtherNamesWhatItWasTrainedFrom) {
  auto r = relate("");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto p = parents(r.json);
  ASSERT_TRUE(p.contains("trained-from-photo")) << r.out;
  EXPECT_EQ(p.at("trained-from-photo"), std::set<std::string>{"photo"}) << r.out;
}

TEST_F(RelateCli, LedgerNaiReferenceMarksEverythingThatReachesIt) {
  // The ledger knows the NAI file by its SHA-256 (openssl computes it independently).
  m_world.model("animefull", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted,
                testing::openssl_file_sha256(folder() / "nai.safetensors"));
  auto r = relate("");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto* nai = model(r.json, "nai");
  ASSERT_NE(nai, nullptr);
  EXPECT_EQ((*nai)["role"], "nai-leak");
  EXPECT_TRUE((*nai)["nai"].get<bool>());
  const auto* mm = model(r.json, "merge-of-merge");
  ASSERT_NE(mm, nullptr);
  ASSERT_TRUE((*mm)["nai_share"].is_number()) << r.out;
  EXPECT_NEAR((*mm)["nai_share"].get<double>(), 0.2, 0.03);  // 0.5 of a 0.4 merge
  EXPECT_TRUE((*model(r.json, "photo"))["nai_share"].is_null());
  // The text and DOT forms say the same.
  auto text = m_world.run("relate --base " + shell_quote(m_base.string()) + " " +
                          shell_quote(folder().string()));
  EXPECT_NE(text.out.find("reaches NAI"), std::string::npos) << text.out;
  auto dot = m_world.run("relate --format dot --base " + shell_quote(m_base.string()) + " " +
                         shell_quote(folder().string()));
  EXPECT_NE(dot.out.find("digraph"), std::string::npos);
  EXPECT_NE(dot.out.find("merge 0.4"), std::string::npos) << dot.out;
}

TEST_F(RelateCli, FilesThatAreNotAWholeUNetAreListedNotRelated) {
  testing::write_bare_vae(m_family, m_anime, folder() / "vae.safetensors");
  testing::write_text(folder() / "broken.safetensors", "not a checkpoint");
  testing::write_text(folder() / "notes.txt", "ignored: not a model file");
  auto r = relate("");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> skipped;
  for (const auto& s : r.json["skipped"])
    skipped[fs::path(s["path"].get<std::string>()).filename()] = s["reason"];
  ASSERT_TRUE(skipped.contains("vae.safetensors")) << r.out;
  EXPECT_NE(skipped["vae.safetensors"].find("not a whole SD1.x UNet"), std::string::npos);
  ASSERT_TRUE(skipped.contains("broken.safetensors")) << r.out;
  EXPECT_FALSE(skipped.contains("notes.txt"));
  EXPECT_EQ(model(r.json, "vae"), nullptr);
}

TEST_F(RelateCli, WithoutABaseItSaysHowToGetOne) {
  auto r = m_world.run("relate " + shell_quote(folder().string()));
  EXPECT_EQ(r.exit_code, 3) << r.out;  // not found
  EXPECT_NE(r.err.find("--base"), std::string::npos) << r.err;
  // A folder with nothing to relate is a clear error, not an empty tree.
  fs::create_directories(m_world.dir() / "empty");
  auto empty = m_world.run("relate --base " + shell_quote(m_base.string()) + " " +
                           shell_quote((m_world.dir() / "empty").string()));
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("at least one whole SD1.x checkpoint"), std::string::npos) << empty.err;
}

}  // namespace
}  // namespace pedigree
