// End-to-end: a picture's verdict covers every resource it names
// (checkpoint, VAE, LoRAs, embeddings), from pictures written the way
// A1111/Forge, Civitai's generator, SwarmUI and ComfyUI write them
// (tools/make-image-fixtures; docs/formats/pictures.md).
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::sha_of_label;
using testing::shell_quote;

// The tensor-data hash (AutoV3) the trusted model event gives the clean checkpoint.
const std::string k_clean_autov3 = std::string(60, 'c') + "0a3f";

// sd15 (base) -> clean (finetune); NAI (leak) -> nailora (a LoRA trained on it);
// sd15 -> cleanlora.
void picture_world(CheckWorld& w) {
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("clean", "", "", {{"autov3", k_clean_autov3}});
  w.lineage("clean", {{"sd15", "finetune", ""}});
  w.model("nailora");
  w.lineage("nailora", {{"animefull", "trained-on", ""}});
  w.model("cleanlora");
  w.lineage("cleanlora", {{"sd15", "finetune", ""}});
}

std::filesystem::path write_pictures(const CheckWorld& w, const std::string& dir,
                                     const std::string& model_hash, const std::string& model_name,
                                     const std::string& lora_hash, const std::string& lora_name) {
  const auto out = w.dir() / dir;
  auto made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/make-image-fixtures " + shell_quote(out.string()) +
                                   " --model-hash " + model_hash + " --model-name " + model_name +
                                   " --lora-hash " + lora_hash + " --lora-name " + lora_name);
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return out;
}

const nlohmann::json* resource(const nlohmann::json& report, const std::string& role) {
  for (const auto& r : report["resources"])
    if (r["role"] == role) return &r;
  return nullptr;
}

TEST(PictureCli, ALoraTrainedOnNaiMakesACleanCheckpointsPictureNai) {
  CheckWorld w;
  picture_world(w);
  const auto pics = write_pictures(w, "pics", sha_of_label("clean").substr(0, 10), "clean",
                                   sha_of_label("nailora").substr(0, 12), "nailora");
  for (const char* name : {"a1111_resources.png", "forge_hashes_only.png"}) {
    auto r = w.check(shell_quote((pics / name).string()));
    ASSERT_EQ(r.exit_code, 10) << name << r.err << r.out;
    EXPECT_EQ(r.json["verdict"], "nai-leak") << name;
    ASSERT_EQ(r.json["resources"].size(), 2u) << name << r.out;
    const auto* ckpt = resource(r.json, "checkpoint");
    const auto* lora = resource(r.json, "lora");
    ASSERT_TRUE(ckpt && lora) << r.out;
    EXPECT_EQ((*ckpt)["verdict"], "no-nai-found") << name;
    EXPECT_EQ((*ckpt)["sha256"], sha_of_label("clean")) << name;
    EXPECT_EQ((*lora)["verdict"], "nai-leak") << name;
    EXPECT_EQ((*lora)["sha256"], sha_of_label("nailora")) << name;
    ASSERT_FALSE((*lora)["paths"].empty());
    EXPECT_EQ((*lora)["paths"][0]["root_role"], "nai-leak");
    EXPECT_NE(r.json["summary"].get<std::string>().find("LoRA nailora (nai-leak, trained on NAI)"),
              std::string::npos)
        << r.json["summary"];
    EXPECT_EQ(r.json["nai_relation"], "trained-on") << name;
    EXPECT_EQ((*lora)["nai_relation"], "trained-on") << name;
  }
  auto human = w.run("check " + shell_quote((pics / "a1111_resources.png").string()));
  EXPECT_NE(human.out.find("resources the picture names:"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("LoRA nailora"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("animefull"), std::string::npos) << human.out;
}

TEST(PictureCli, EveryResourceCleanIsCleanAndAnyUnknownResourceIsUnknown) {
  CheckWorld w;
  picture_world(w);
  const auto pics = write_pictures(w, "pics", sha_of_label("clean").substr(0, 10), "clean",
                                   sha_of_label("cleanlora").substr(0, 12), "cleanlora");
  // Only Forge's Hashes JSON: this picture used to read "names no model".
  for (const char* name : {"a1111_resources.png", "forge_hashes_only.png"}) {
    auto r = w.check(shell_quote((pics / name).string()));
    ASSERT_EQ(r.exit_code, 0) << name << r.err << r.out;
    EXPECT_EQ(r.json["verdict"], "no-nai-found") << name;
    EXPECT_EQ(r.json["resources"].size(), 2u) << name;
  }
  // a1111_text.png also names a LoRA "b" the ledger does not know: fail closed.
  auto partly = w.check(shell_quote((pics / "a1111_text.png").string()));
  ASSERT_EQ(partly.exit_code, 13) << partly.err << partly.out;
  EXPECT_NE(partly.json["summary"].get<std::string>().find("cannot be judged (LoRA b)"),
            std::string::npos)
      << partly.json["summary"];
  // ComfyUI: an embedding (EasyNegative) nobody knows keeps the picture unknown.
  auto comfy = w.check(shell_quote((pics / "comfyui_resources.png").string()));
  ASSERT_EQ(comfy.exit_code, 13) << comfy.err << comfy.out;
  const auto* emb = resource(comfy.json, "embedding");
  ASSERT_TRUE(emb) << comfy.out;
  EXPECT_EQ((*emb)["name"], "EasyNegative");
  EXPECT_EQ((*emb)["verdict"], "unknown");
  EXPECT_EQ((*resource(comfy.json, "checkpoint"))["verdict"], "no-nai-found");
  EXPECT_EQ((*resource(comfy.json, "lora"))["verdict"], "no-nai-found");
  // A resource named only by an untrusted event: listed, never decides, and
  // the picture's evidence says why.
  w.model("sneaky", "", "", nullptr, testing::Signer::k_untrusted);
  const auto other = write_pictures(w, "other", sha_of_label("clean").substr(0, 10), "clean",
                                    std::string(12, '0'), "sneaky");
  auto untrusted = w.check(shell_quote((other / "a1111_resources.png").string()));
  ASSERT_EQ(untrusted.exit_code, 13) << untrusted.err << untrusted.out;
  bool says_why = false;
  for (const auto& e : untrusted.json["evidence"])
    says_why = says_why || (e["kind"] == "resolution" && !e["counts"].get<bool>());
  EXPECT_TRUE(says_why) << untrusted.out;
}

TEST(PictureCli, ComfyUiLoraLoaderAndCivitaiResourcesAreJudged) {
  CheckWorld w;
  picture_world(w);
  const auto pics = write_pictures(w, "pics", sha_of_label("clean").substr(0, 10), "clean",
                                   sha_of_label("nailora").substr(0, 12), "nailora");
  auto comfy = w.check(shell_quote((pics / "comfyui_resources.png").string()));
  ASSERT_EQ(comfy.exit_code, 10) << comfy.err << comfy.out;  // the LoraLoader's LoRA
  EXPECT_EQ((*resource(comfy.json, "lora"))["sha256"], sha_of_label("nailora"));
  // Civitai's generator names resources by model-version id: nothing the ledger
  // records, so the picture is unknown (never clean), with each resource listed.
  auto civ = w.check(shell_quote((pics / "civitai.png").string()));
  ASSERT_EQ(civ.exit_code, 13) << civ.err << civ.out;
  ASSERT_EQ(civ.json["resources"].size(), 2u) << civ.out;
  EXPECT_EQ(civ.json["resources"][0]["air"], "urn:air:*:checkpoint:civitai:*@130072");
  EXPECT_EQ(civ.json["resources"][1]["role"], "lora");
}

TEST(PictureCli, SwarmUiModelsResolveByTheirTensorHash) {
  CheckWorld w;
  picture_world(w);
  // sui_models hashes are "0x" + the tensor-data SHA-256 (AutoV3).
  const auto pics = write_pictures(w, "swarm", k_clean_autov3, "clean",
                                   sha_of_label("nailora").substr(0, 12), "nailora");
  auto r = w.check(shell_quote((pics / "swarmui.png").string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  const auto* ckpt = resource(r.json, "checkpoint");
  ASSERT_TRUE(ckpt) << r.out;
  EXPECT_EQ((*ckpt)["sha256"], sha_of_label("clean"));
  EXPECT_EQ((*ckpt)["verdict"], "no-nai-found");
  ASSERT_FALSE(r.json["candidates"].empty());
  EXPECT_EQ(r.json["candidates"][0]["matched_by"], "autov3");
  // The LoRA's "0x" + 12 digits is no AutoV3 (64 digits): resolved by its name.
  EXPECT_EQ((*resource(r.json, "lora"))["sha256"], sha_of_label("nailora"));
}

}  // namespace
}  // namespace pedigree
