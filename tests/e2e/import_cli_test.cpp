// End-to-end: `pedigree import civitai|hf` records unsigned hints, and
// `check` shows them below signed facts (never decisive; a NAI base keeps a
// verdict from being clean). Documents are built here in the formats
// docs/formats/civitai.md and docs/formats/hf-model-card.md describe.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using testing::CheckWorld;
using testing::shell_quote;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Civitai's model-version object for one file.
nlohmann::json civitai_version(const std::string& sha256, const std::string& base_model) {
  return {{"id", 130072},
          {"modelId", 4201},
          {"name", "v3.0"},
          {"baseModel", base_model},
          {"model", {{"name", "Some Merge"}, {"type", "Checkpoint"}}},
          {"files",
           {{{"name", "some_merge.safetensors"},
             {"type", "Model"},
             {"primary", true},
             {"hashes",
              {{"SHA256", upper(sha256)},
               {"AutoV2", upper(sha256.substr(0, 10))},
               {"BLAKE3", std::string(64, 'B')},
               {"CRC32", "74B5AE44"}}}}}}};
}

bool has_hint_evidence(const nlohmann::json& check) {
  for (const auto& e : check["evidence"])
    if (e["kind"] == "hint") return e["counts"] == false;
  return false;
}

TEST(ImportCli, ACivitaiHintIsShownAsUnsignedAndFoundByAnyOfItsHashes) {
  CheckWorld w;
  w.model("sd15", "base", "2022-10-20");
  const fs::path model = w.dir() / "some_merge.safetensors";
  testing::write_labelled_safetensors(model, "merge");
  const std::string sha = testing::openssl_file_sha256(model);
  const fs::path doc = w.dir() / "v130072.json";
  testing::write_text(doc, civitai_version(sha, "SD 1.5").dump());
  auto imported = w.run("import civitai --json " + shell_quote(doc.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.json["hint"]["unsigned"], true);
  EXPECT_EQ(imported.json["hint"]["civitai_version"], "130072");
  EXPECT_TRUE(fs::exists(w.ledger_dir() / ".git" / "pedigree" / "hints.json"));
  // The file: the hint is listed, as unsigned, and the verdict is what the
  // ledger alone gives (it knows nothing of this file: unknown).
  auto r = w.check(shell_quote(model.string()));
  ASSERT_EQ(r.exit_code, 13) << r.out;
  ASSERT_EQ(r.json["hints"].size(), 1u) << r.out;
  const auto& h = r.json["hints"][0];
  EXPECT_EQ(h["site"], "civitai");
  EXPECT_EQ(h["unsigned"], true);
  EXPECT_EQ(h["matched_by"], "sha256");
  EXPECT_EQ(h["names_nai"], false);
  EXPECT_FALSE(h["imported"].get<std::string>().empty());
  EXPECT_TRUE(has_hint_evidence(r.json)) << r.out;
  // Pasted hashes of the kinds Civitai lists find it too; the next step names the file's SHA-256.
  const std::vector<std::string> pasted_forms = {"BLAKE3:" + std::string(64, 'b'),
                                                 "CRC32: 44aeb574",
                                                 "urn:air:sd1:checkpoint:civitai:4201@130072"};
  for (const std::string& pasted : pasted_forms) {
    auto p = w.check(shell_quote(pasted));
    EXPECT_EQ(p.exit_code, 13) << pasted << p.out;
    ASSERT_EQ(p.json["hints"].size(), 1u) << pasted << p.out;
    EXPECT_NE(p.json["unknowns"].dump().find(sha), std::string::npos) << p.out;
  }
  auto human = w.run("check " + shell_quote(model.string()));
  EXPECT_NE(human.out.find("UNSIGNED"), std::string::npos) << human.out;
  // Re-importing the same version replaces it.
  auto again = w.run("import civitai --json " + shell_quote(doc.string()));
  EXPECT_EQ(again.json["replaced"], true);
}

// A finetune of the base, declared by trusted lineage: clean on signed facts.
struct CleanModel {
  fs::path dir, file;
  std::string sha;
  CleanModel(CheckWorld& w) : dir(w.dir() / "repo"), file(dir / "clean.safetensors") {
    w.model("sd15", "base", "2022-10-20");
    testing::write_labelled_safetensors(file, "clean");
    sha = testing::openssl_file_sha256(file);
    w.model("clean", "", "2023-01-01", nullptr, testing::Signer::k_trusted, sha);
    w.lineage("clean", {{"sd15", "finetune", ""}}, testing::Signer::k_trusted, sha);
  }
};

TEST(ImportCli, AHintNamingANaiBaseKeepsASignedCleanVerdictFromBeingClean) {
  CheckWorld w;
  CleanModel m(w);
  auto before = w.check(shell_quote(m.file.string()));
  ASSERT_EQ(before.exit_code, 0) << before.out;  // no-nai-found on signed facts
  testing::write_text(m.dir / "README.md",
                      "---\nlicense: creativeml-openrail-m\nbase_model: NovelAI/nai-anime-v1-full\n"
                      "base_model_relation: merge\n---\n# clean?\n");
  auto imported = w.run("import hf --json " + shell_quote(m.dir.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.json["hint"]["files"][0]["hashes"]["sha256"], m.sha);
  auto after = w.check(shell_quote(m.file.string()));
  EXPECT_EQ(after.exit_code, 13) << after.out;  // fail closed: unknown, not clean, not NAI
  EXPECT_EQ(after.json["verdict"], "unknown");
  EXPECT_NE(after.json["summary"].get<std::string>().find("unsigned hint"), std::string::npos);
  EXPECT_EQ(after.json["hints"][0]["names_nai"], true);
  EXPECT_EQ(after.json["hints"][0]["relation"], "merge");
  EXPECT_EQ(after.json["licence"]["commercial_use"], "unknown");
  // The same in a folder scan.
  auto scan = w.run("scan --json " + shell_quote(m.dir.string()));
  EXPECT_EQ(scan.exit_code, 13) << scan.out;
  EXPECT_EQ(scan.json["files"][0]["verdict"], "unknown");
}

TEST(ImportCli, AHintNeverMakesAVerdictNaiNorClean) {
  CheckWorld w;
  w.model("sd15", "base", "2022-10-20");
  const fs::path dir = w.dir() / "repo";
  testing::write_labelled_safetensors(dir / "x.safetensors", "unknown-model");
  // A card naming the base SD1.5 repo the ledger does not know, and one naming NAI.
  for (const std::string base : {"runwayml/stable-diffusion-v1-5", "NovelAI/nai-anime-v1-full"}) {
    testing::write_text(dir / "README.md", "---\nbase_model: " + base + "\n---\n");
    auto imported = w.run("import hf " + shell_quote(dir.string()) + " --repo me/x");
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    auto r = w.check(shell_quote((dir / "x.safetensors").string()));
    EXPECT_EQ(r.exit_code, 13) << base << r.out;  // neither clean nor NAI
    ASSERT_EQ(r.json["hints"].size(), 1u);
    auto by_repo = w.check("me/x@main");
    EXPECT_EQ(by_repo.exit_code, 13);
    EXPECT_EQ(by_repo.json["hints"].size(), 1u) << by_repo.out;
  }
}

TEST(ImportCli, MalformedDocumentsAreRefusedAndNothingIsWritten) {
  CheckWorld w;
  const fs::path store = w.ledger_dir() / ".git" / "pedigree" / "hints.json";
  testing::write_text(w.dir() / "bad.json", "{\"id\": 1, \"modelId\": 2, \"files\": [");
  auto bad_json = w.run("import civitai " + shell_quote((w.dir() / "bad.json").string()));
  EXPECT_EQ(bad_json.exit_code, 4) << bad_json.err;
  EXPECT_NE(bad_json.err.find("not JSON"), std::string::npos) << bad_json.err;
  auto wrong = civitai_version(std::string(64, 'a'), "SD 1.5");
  wrong["files"][0]["hashes"]["SHA256"] = "1234";
  testing::write_text(w.dir() / "wrong.json", wrong.dump());
  auto bad_hash = w.run("import civitai " + shell_quote((w.dir() / "wrong.json").string()));
  EXPECT_EQ(bad_hash.exit_code, 4);
  EXPECT_NE(bad_hash.err.find("files[0].hashes.SHA256"), std::string::npos) << bad_hash.err;
  testing::write_text(w.dir() / "README.md",
                      "---\nbase_model: a/b\nbase_model_relation: blend\n---\n");
  auto bad_yaml =
      w.run("import hf " + shell_quote((w.dir() / "README.md").string()) + " --repo a/c");
  EXPECT_EQ(bad_yaml.exit_code, 4);
  EXPECT_NE(bad_yaml.err.find("line 3"), std::string::npos) << bad_yaml.err;
  EXPECT_FALSE(fs::exists(store));
  // A card alone names no repository: say so.
  testing::write_text(w.dir() / "README.md", "---\nbase_model: a/b\n---\n");
  auto no_repo = w.run("import hf " + shell_quote((w.dir() / "README.md").string()));
  EXPECT_EQ(no_repo.exit_code, 2) << no_repo.err;
  EXPECT_FALSE(fs::exists(store));
}

}  // namespace
}  // namespace pedigree
