// End-to-end tests of `pedigree check` through the real binary against real
// ledgers built in the test (declared lineage, trust, revocation, conflicts,
// pasted hashes, names, pictures, exit codes).
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::Parent;
using testing::sha_of_label;
using testing::shell_quote;
using testing::Signer;

// NAI (leak) -> A (finetune) -> B (0.5 A + 0.5 SD1.5) -> C (0.3 B + 0.7 SD1.5).
void declared_chain(CheckWorld& w) {
  w.model("sd14", "base", "2022-08-22");
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("A");
  w.lineage("A", {{"animefull", "finetune", ""}});
  w.model("B");
  w.lineage("B", {{"A", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.model("C");
  w.lineage("C", {{"B", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
}

TEST(CheckCli, DeclaredChainShareIsTheProductOfWeights) {
  CheckWorld w;
  declared_chain(w);
  auto r = w.check(sha_of_label("C"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // nai-leak
  const auto& j = r.json;
  EXPECT_EQ(j["schema"], "pedigree-check/1");
  EXPECT_EQ(j["verdict"], "nai-leak");
  EXPECT_GE(j["confidence"].get<double>(), 0.9);
  EXPECT_EQ(j["target"]["sha256"], sha_of_label("C"));
  EXPECT_EQ(j["target"]["matched_by"], "sha256");
  EXPECT_NEAR(j["nai_share"]["declared"]["estimate"].get<double>(), 1.0 * 0.5 * 0.3, 1e-9);
  EXPECT_TRUE(j["nai_share"]["fingerprint"].is_null());
  ASSERT_EQ(j["paths"].size(), 1u);
  const auto& steps = j["paths"][0]["steps"];
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[0]["name"], "C");
  EXPECT_EQ(steps[3]["name"], "animefull");
  EXPECT_EQ(j["paths"][0]["root_role"], "nai-leak");
  EXPECT_TRUE(j["ancestry_complete"].get<bool>());
  EXPECT_TRUE(j["licence_note"].is_null());
}

TEST(CheckCli, ResolvesAutoV2PrefixesAnyCaseAndNames) {
  CheckWorld w;
  declared_chain(w);
  std::string autov2 = sha_of_label("B").substr(0, 10);
  for (auto& c : autov2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& input :
       {"AutoV2:" + autov2, std::string("B.safetensors"), std::string("b")}) {
    auto r = w.check(shell_quote(input));
    ASSERT_EQ(r.exit_code, 10) << input << r.err << r.out;
    EXPECT_EQ(r.json["target"]["sha256"], sha_of_label("B")) << input;
    EXPECT_NEAR(r.json["nai_share"]["declared"]["estimate"].get<double>(), 0.5, 1e-9);
  }
}

TEST(CheckCli, HumanReportPutsTheVerdictFirst) {
  CheckWorld w;
  declared_chain(w);
  auto r = w.run("check " + sha_of_label("C"));
  ASSERT_EQ(r.exit_code, 10) << r.err;
  auto verdict = r.out.find("verdict:    NAI-LEAK");
  ASSERT_NE(verdict, std::string::npos) << r.out;
  EXPECT_LT(verdict, r.out.find("paths to NAI:")) << r.out;
  EXPECT_NE(r.out.find("C <-merge(0.3)- B <-merge(0.5)- A <-finetune(1)- animefull"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("NAI share:  declared 15.0%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evidence:"), std::string::npos) << r.out;
}

TEST(CheckCli, AddDifferenceFromTheOfficialReleaseCarriesItsLicence) {
  CheckWorld w;
  w.model("sd14", "base", "2022-08-22");
  w.model("sd15", "base", "2022-10-20");
  w.model("nai-release", "nai-official", "2024-08-20");
  w.model("photo");
  w.lineage("photo", {{"sd15", "finetune", ""}});
  w.model("D", "", "2024-09-01");
  // D = photo + 0.5 (nai-release - sd14)
  w.lineage("D", {{"photo", "add-difference", "1"},
                  {"nai-release", "add-difference", "0.5"},
                  {"sd14", "add-difference", "-0.5"}});
  auto r = w.check(sha_of_label("D"));
  ASSERT_EQ(r.exit_code, 11) << r.err << r.out;  // nai-official
  EXPECT_EQ(r.json["verdict"], "nai-official");
  EXPECT_NEAR(r.json["nai_share"]["declared"]["estimate"].get<double>(), 0.5, 1e-9);
  ASSERT_TRUE(r.json["licence_note"].is_string());
  EXPECT_NE(r.json["licence_note"].get<std::string>().find("CC BY-NC-SA 4.0"), std::string::npos);
}

TEST(CheckCli, PublishedBeforeTheReleaseCanOnlyBeTheLeak) {
  CheckWorld w;
  w.model("nai-release", "nai-official", "2024-08-20");
  w.model("old-merge", "", "2023-03-01");
  w.lineage("old-merge", {{"nai-release", "merge", "0.4"}});
  auto r = w.check(sha_of_label("old-merge"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_EQ(r.json["verdict"], "nai-leak");
  EXPECT_NE(r.json["summary"].get<std::string>().find("before the official release"),
            std::string::npos)
      << r.json["summary"];
}

TEST(CheckCli, DiamondSumsThePaths) {
  CheckWorld w;
  w.model("animefull", "nai-leak", "2022-10-06");
  w.model("sd15", "base", "2022-10-20");
  w.lineage("L", {{"animefull", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.lineage("R", {{"animefull", "merge", "0.4"}, {"sd15", "merge", "0.6"}});
  w.lineage("M", {{"L", "merge", "0.5"}, {"R", "merge", "0.5"}});
  auto r = w.check(sha_of_label("M"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_EQ(r.json["paths"].size(), 2u);
  EXPECT_NEAR(r.json["nai_share"]["declared"]["estimate"].get<double>(), 0.25 + 0.2, 1e-9);
}

TEST(CheckCli, CycleIsRefusedCleanly) {
  CheckWorld w;
  w.model("sd15", "base", "2022-10-20");
  w.lineage("X", {{"Y", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.lineage("Y", {{"X", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  auto r = w.check(sha_of_label("X"));
  ASSERT_EQ(r.exit_code, 13) << r.err << r.out;  // unknown, not a crash or a hang
  EXPECT_EQ(r.json["verdict"], "unknown");
  ASSERT_FALSE(r.json["cycles"].empty()) << r.out;
  bool shown = false;
  for (const auto& e : r.json["evidence"]) shown |= e["kind"] == "cycle";
  EXPECT_TRUE(shown) << r.out;
  auto tree = w.run("tree " + sha_of_label("X"));
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("cycle"), std::string::npos) << tree.out;
}

TEST(CheckCli, UntrustedAndRevokedEventsAreShownButNotCounted) {
  CheckWorld w;
  w.model("animefull", "nai-leak", "2022-10-06");
  w.model("sd15", "base", "2022-10-20");
  w.lineage("E", {{"animefull", "merge", "0.5"}, {"sd15", "merge", "0.5"}}, Signer::k_untrusted);
  std::string bad = w.lineage("F", {{"animefull", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.revoke("F", bad);
  for (const std::string label : {"E", "F"}) {
    auto r = w.check(sha_of_label(label));
    ASSERT_EQ(r.exit_code, 13) << label << r.err << r.out;
    EXPECT_EQ(r.json["verdict"], "unknown") << label;
    EXPECT_TRUE(r.json["paths"].empty()) << label;
    EXPECT_EQ(r.json["ignored_paths"].size(), 1u) << label << r.out;
    bool ignored = false;
    for (const auto& e : r.json["evidence"])
      ignored |= e["kind"] == "lineage" && !e["counts"].get<bool>() && e["says_nai"].get<bool>();
    EXPECT_TRUE(ignored) << label << r.out;
  }
  auto human = w.run("check " + sha_of_label("F"));
  EXPECT_NE(human.out.find("revoked"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("{not counted}"), std::string::npos) << human.out;
}

TEST(CheckCli, ConflictingRecipesGiveARangeAndAreShown) {
  CheckWorld w;
  w.model("animefull", "nai-leak", "2022-10-06");
  w.model("sd15", "base", "2022-10-20");
  w.lineage("G", {{"animefull", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
  w.lineage("G", {{"animefull", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  auto r = w.check(sha_of_label("G"));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_NEAR(r.json["nai_share"]["declared"]["low"].get<double>(), 0.3, 1e-9);
  EXPECT_NEAR(r.json["nai_share"]["declared"]["high"].get<double>(), 0.5, 1e-9);
  bool conflict = false;
  for (const auto& e : r.json["evidence"]) conflict |= e["kind"] == "conflict";
  EXPECT_TRUE(conflict) << r.out;
}

TEST(CheckCli, TrustedClaimsCountAndCleanAncestryIsNoNaiFound) {
  CheckWorld w;
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06");
  w.lineage("clean", {{"sd15", "finetune", ""}});
  w.claim("claimed", "yes");
  auto clean = w.check(sha_of_label("clean"));
  EXPECT_EQ(clean.exit_code, 0) << clean.err << clean.out;
  EXPECT_EQ(clean.json["verdict"], "no-nai-found");
  EXPECT_NEAR(clean.json["nai_share"]["declared"]["estimate"].get<double>(), 0.0, 1e-12);
  auto claimed = w.check(sha_of_label("claimed"));
  EXPECT_EQ(claimed.exit_code, 12) << claimed.err << claimed.out;  // nai, source undetermined
  EXPECT_EQ(claimed.json["verdict"], "nai");
  EXPECT_TRUE(claimed.json["licence_note"].is_string());
}

TEST(CheckCli, UnknownHashIsAnUnknownVerdictWithGuidance) {
  CheckWorld w;
  declared_chain(w);
  auto r = w.check(std::string(64, 'a'));
  ASSERT_EQ(r.exit_code, 13) << r.err << r.out;
  EXPECT_EQ(r.json["verdict"], "unknown");
  EXPECT_TRUE(r.json["target"]["sha256"].is_null());
  ASSERT_FALSE(r.json["unknowns"].empty());
  EXPECT_NE(r.json["unknowns"][0].get<std::string>().find("pedigree check FILE"),
            std::string::npos);
}

TEST(CheckCli, AutoV1IsWeakAndACollisionCannotDecide) {
  CheckWorld w;
  declared_chain(w);  // animefull has AutoV1 925997e9
  auto single = w.check("925997E9");
  ASSERT_EQ(single.exit_code, 10) << single.err << single.out;
  EXPECT_TRUE(single.json["target"]["weak_match"].get<bool>());
  EXPECT_LE(single.json["confidence"].get<double>(), 0.4);

  w.model("innocent", "", "", {{"autov1", "925997e9"}});
  w.lineage("innocent", {{"sd15", "finetune", ""}});
  auto both = w.check("925997e9");
  ASSERT_EQ(both.exit_code, 13) << both.err << both.out;
  EXPECT_EQ(both.json["verdict"], "unknown");
  EXPECT_EQ(both.json["candidates"].size(), 2u);
}

TEST(CheckCli, SeveralTargetsGiveAnArrayAndTheMostSevereCode) {
  CheckWorld w;
  declared_chain(w);
  w.lineage("clean", {{"sd15", "finetune", ""}});
  auto r = w.check(sha_of_label("clean") + " " + sha_of_label("C") + " " + std::string(64, 'b'));
  EXPECT_EQ(r.exit_code, 10) << r.err;
  ASSERT_TRUE(r.json.is_array()) << r.out;
  ASSERT_EQ(r.json.size(), 3u);
  EXPECT_EQ(r.json[0]["verdict"], "no-nai-found");
  EXPECT_EQ(r.json[1]["verdict"], "nai-leak");
  EXPECT_EQ(r.json[2]["verdict"], "unknown");
  auto clean_unknown = w.check(sha_of_label("clean") + " " + std::string(64, 'b'));
  EXPECT_EQ(clean_unknown.exit_code, 13);
  auto missing = w.check(sha_of_label("clean") + " /nonexistent/model.safetensors");
  EXPECT_EQ(missing.exit_code, 3) << missing.err;  // an error beats every verdict
  EXPECT_NE(missing.err.find("pedigree: error: /nonexistent/model.safetensors"), std::string::npos)
      << missing.err;
}

TEST(CheckCli, PicturesNameTheModelThatMadeThem) {
  CheckWorld w;
  declared_chain(w);
  const auto pics = w.dir() / "pics";
  auto made =
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                           " --model-hash " + sha_of_label("C").substr(0, 10) + " --model-name C");
  ASSERT_EQ(made.exit_code, 0);
  for (const char* name :
       {"a1111_text.png", "a1111_ztxt.png", "a1111.jpg", "a1111.webp", "comfyui.png"}) {
    auto r = w.check(shell_quote((pics / name).string()));
    ASSERT_EQ(r.exit_code, 10) << name << r.err << r.out;
    EXPECT_EQ(r.json["target"]["kind"], "image") << name;
    ASSERT_FALSE(r.json["candidates"].empty()) << name;
    EXPECT_EQ(r.json["candidates"][0]["sha256"], sha_of_label("C")) << name;
    EXPECT_TRUE(r.json["image"].is_object()) << name;
  }
  auto plain = w.check(shell_quote((pics / "plain.png").string()));
  EXPECT_EQ(plain.exit_code, 13) << plain.err;
  EXPECT_NE(plain.json["unknowns"][0].get<std::string>().find("names no model"), std::string::npos)
      << plain.out;
}

// A picture NovelAI's own service made names no local model: it is NovelAI's
// model used through NovelAI, never leak use; a local generator's parameters
// beside the marker win (NovelAI never writes them).
TEST(CheckCli, NovelAiServicePictureIsNotLeakUse) {
  CheckWorld w;
  declared_chain(w);
  const auto pics = w.dir() / "pics";
  auto made =
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                           " --model-hash " + sha_of_label("C").substr(0, 10) + " --model-name C");
  ASSERT_EQ(made.exit_code, 0);
  for (const char* name : {"novelai.png", "novelai_curated.png"}) {
    auto r = w.check(shell_quote((pics / name).string()));
    ASSERT_EQ(r.exit_code, 11) << name << r.err << r.out;  // nai-official, not nai-leak (10)
    EXPECT_EQ(r.json["verdict"], "nai-official") << name;
    EXPECT_NE(r.json["summary"].get<std::string>().find("not the leaked files"), std::string::npos)
        << r.out;
    ASSERT_EQ(r.json["evidence"].size(), 1u) << r.out;
    EXPECT_EQ(r.json["evidence"][0]["kind"], "service");
    EXPECT_EQ(r.json["image"]["software"], "NovelAI");
  }
  auto human = w.run("check " + shell_quote((pics / "novelai.png").string()));
  EXPECT_NE(human.out.find("NAI-OFFICIAL"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("[service, moderate]"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("Stable Diffusion 81274D13"), std::string::npos) << human.out;
  auto both = w.check(shell_quote((pics / "novelai_and_parameters.png").string()));
  EXPECT_EQ(both.exit_code, 10) << both.out;  // the parameters name C, a NAI descendant
  EXPECT_NE(both.json["notes"].dump().find("service marker is not used"), std::string::npos)
      << both.out;
}

TEST(CheckCli, GarbageInputsAreCleanErrors) {
  CheckWorld w;
  declared_chain(w);
  auto bad_png = w.dir() / "broken.png";
  testing::write_text(bad_png, std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16));
  auto r = w.check(shell_quote(bad_png.string()));
  EXPECT_EQ(r.exit_code, 4) << r.err;  // corruption
  EXPECT_NE(r.err.find("broken.png"), std::string::npos) << r.err;
  auto bad_hash = w.check("AutoV9:925997e9");  // not a hash: looked up as a name
  EXPECT_EQ(bad_hash.exit_code, 13) << bad_hash.err;
}

}  // namespace
}  // namespace pedigree
