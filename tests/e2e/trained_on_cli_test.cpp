// End-to-end: an adapter trained on NAI (a LoRA whose kohya metadata or
// lineage says so) is "trained on NAI", not "contains NAI weights"; a
// checkpoint baking it in says so too; a NAI merge still carries weights.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::sha_of_label;
using testing::shell_quote;

void trained_on_world(CheckWorld& w) {
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("clean");
  w.lineage("clean", {{"sd15", "finetune", ""}});
  w.model("nailora");
  w.lineage("nailora", {{"animefull", "trained-on", ""}});
}

TEST(TrainedOnCli, ALoraTrainedOnNaiIsTrainedOnNotContaining) {
  CheckWorld w;
  trained_on_world(w);
  auto r = w.check(sha_of_label("nailora"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // derived from the leak
  EXPECT_EQ(r.json["verdict"], "nai-leak");
  EXPECT_EQ(r.json["nai_relation"], "trained-on");
  const std::string summary = r.json["summary"];
  EXPECT_NE(summary.find("trained on NAI"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("contains NAI weights"), std::string::npos) << summary;
  EXPECT_EQ(r.json["components"][0]["nai"], "trained-on");
  EXPECT_EQ(r.json["paths"][0]["steps"][1]["relation"], "trained-on");
  auto human = w.run("check " + sha_of_label("nailora"));
  EXPECT_NE(human.out.find("<-trained-on- animefull"), std::string::npos) << human.out;
}

TEST(TrainedOnCli, BakingTheLoraInIsTrainedOnAndANaiMergeStillCarriesWeights) {
  CheckWorld w;
  trained_on_world(w);
  w.model("baked");
  w.lineage("baked", {{"clean", "merge", "1"}, {"nailora", "lora-bake", "0.8"}});
  auto baked = w.check(sha_of_label("baked"));
  ASSERT_EQ(baked.exit_code, 10) << baked.err << baked.out;
  EXPECT_EQ(baked.json["nai_relation"], "trained-on") << baked.out;
  w.model("merged");
  w.lineage("merged", {{"baked", "merge", "0.5"}, {"animefull", "merge", "0.5"}});
  auto merged = w.check(sha_of_label("merged"));
  ASSERT_EQ(merged.exit_code, 10) << merged.err << merged.out;
  EXPECT_EQ(merged.json["nai_relation"], "weights") << merged.out;
  EXPECT_NE(merged.json["summary"].get<std::string>().find("contains NAI weights"),
            std::string::npos);
  auto clean = w.check(sha_of_label("clean"));
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(clean.json["nai_relation"].is_null());
}

TEST(TrainedOnCli, AKohyaLoraFileNamingNaiAsItsBaseIsTrainedOn) {
  CheckWorld w;
  trained_on_world(w);
  const auto lora = w.dir() / "my_lora.safetensors";
  auto made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/make-lora-fixture " + shell_quote(lora.string()) +
                                   " --base-sha256 " + sha_of_label("animefull") +
                                   " --base-autov1 925997e9");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto r = w.check(shell_quote(lora.string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_EQ(r.json["nai_relation"], "trained-on") << r.out;
  bool kohya = false;
  for (const auto& e : r.json["evidence"])
    kohya = kohya || (e["kind"] == "metadata" &&
                      e["summary"].get<std::string>().find("kohya") != std::string::npos &&
                      e["summary"].get<std::string>().find("trained-on") != std::string::npos);
  EXPECT_TRUE(kohya) << r.out;
  // Naming an unknown base keeps it unknown, never clean.
  const auto other = w.dir() / "other_lora.safetensors";
  made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                              "/tools/make-lora-fixture " + shell_quote(other.string()) +
                              " --base-sha256 " + std::string(64, 'e'));
  ASSERT_EQ(made.exit_code, 0);
  auto unknown = w.check(shell_quote(other.string()));
  EXPECT_EQ(unknown.exit_code, 13) << unknown.out;
}

// Hashes a file declares about itself (sd-scripts' sshs_model_hash, ModelSpec's
// modelspec.hash_sha256) are compared with the computed tensor-data hash.
TEST(TrainedOnCli, SelfDeclaredHashesAreComparedWithTheComputedOnes) {
  CheckWorld w;
  trained_on_world(w);
  for (const std::string which : {"right", "wrong"}) {
    const auto lora = w.dir() / (which + ".safetensors");
    auto made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                     "/tools/make-lora-fixture " + shell_quote(lora.string()) +
                                     " --base-sha256 " + sha_of_label("animefull") +
                                     " --self-hash " + which);
    ASSERT_EQ(made.exit_code, 0) << made.output;
    auto r = w.check(shell_quote(lora.string()));
    ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
    const auto& declared = r.json["declared_hashes"];
    ASSERT_EQ(declared.size(), 2u) << r.out;
    for (const auto& d : declared) {
      EXPECT_EQ(d["kind"], "autov3");
      EXPECT_EQ(d["matches"].get<bool>(), which == "right") << d.dump();
      ASSERT_TRUE(d["computed"].is_string());
    }
    // The computed value is the SHA-256 of the data section, as openssl computes it.
    const std::string bytes = testing::read_text(lora);
    const std::uint64_t n = static_cast<unsigned char>(bytes[0]) |
                            (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[1])) << 8);
    const auto data = w.dir() / "data.bin";
    testing::write_text(data, bytes.substr(8 + n));
    auto openssl = testing::run_command("openssl dgst -sha256 -r " + shell_quote(data.string()));
    EXPECT_EQ(declared[0]["computed"], openssl.output.substr(0, 64));
    const bool flagged = r.json["evidence"].dump().find("does NOT match") != std::string::npos;
    EXPECT_EQ(flagged, which == "wrong") << r.out;
  }
}

}  // namespace
}  // namespace pedigree
