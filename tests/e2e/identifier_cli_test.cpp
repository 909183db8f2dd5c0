// End-to-end: every command classifies what a user pastes the same way
// (hash::classify_identifier): hashes in every form, an A1111 "Model hash:"
// line or whole settings line, Civitai AIRs and URLs, Hugging Face
// repositories, names.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "pedigree/ledger/event.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::sha_of_label;
using testing::shell_quote;

// NAI (leak, AutoV1 925997e9) -> A (finetune) -> B (0.5 A + 0.5 SD1.5).
void leak_finetune_chain(CheckWorld& w) {
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model("A");
  w.lineage("A", {{"animefull", "finetune", ""}});
  w.model("B");
  w.lineage("B", {{"A", "merge", "0.5"}, {"sd15", "merge", "0.5"}});
}

TEST(IdentifierCli, AModelHashLineReadsAsItsHash) {
  CheckWorld w;
  leak_finetune_chain(w);
  auto bare = w.check("925997e9");
  auto line = w.check(shell_quote("Model hash: 925997e9"));
  ASSERT_EQ(bare.exit_code, 10) << bare.out;
  ASSERT_EQ(line.exit_code, 10) << line.err << line.out;  // was a model name, unknown
  EXPECT_EQ(line.json["target"]["kind"], "hash");
  EXPECT_EQ(line.json["target"]["sha256"], sha_of_label("animefull"));
  EXPECT_TRUE(line.json["target"]["weak_match"].get<bool>());
  EXPECT_EQ(line.json["verdict"], bare.json["verdict"]);
}

TEST(IdentifierCli, AWholeSettingsLineResolvesByHashThenByModelName) {
  CheckWorld w;
  leak_finetune_chain(w);
  const std::string autov2 = sha_of_label("B").substr(0, 10);
  auto by_hash =
      w.check(shell_quote("Steps: 28, Sampler: Euler, CFG scale: 12, Model hash: " + autov2 +
                          ", Model: something-else"));
  ASSERT_EQ(by_hash.exit_code, 10) << by_hash.err << by_hash.out;
  EXPECT_EQ(by_hash.json["target"]["sha256"], sha_of_label("B"));
  EXPECT_EQ(by_hash.json["target"]["matched_by"], "autov2");
  // A hash the ledger does not know: the model name beside it still resolves.
  auto by_name = w.check(shell_quote("Steps: 20, Model hash: 0123456789, Model: B"));
  ASSERT_EQ(by_name.exit_code, 10) << by_name.err << by_name.out;
  EXPECT_EQ(by_name.json["target"]["sha256"], sha_of_label("B"));
  EXPECT_EQ(by_name.json["target"]["matched_by"], "name");
  // tree and graph take the same forms.
  auto tree = w.run("tree " + shell_quote("Model hash: " + autov2));
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("animefull"), std::string::npos) << tree.out;
}

TEST(IdentifierCli, CivitaiAndHuggingFaceIdentitiesAreNotNamesOrPaths) {
  CheckWorld w;
  leak_finetune_chain(w);
  auto air = w.check(shell_quote("urn:air:sd1:checkpoint:civitai:4201@130072"));
  ASSERT_EQ(air.exit_code, 13) << air.err << air.out;  // unknown, never clean
  EXPECT_EQ(air.json["target"]["kind"], "air");
  EXPECT_NE(air.json["unknowns"].dump().find("Civitai AIR"), std::string::npos) << air.out;
  auto url = w.check(shell_quote("https://civitai.com/models/4201?modelVersionId=130072"));
  EXPECT_EQ(url.exit_code, 13) << url.err;
  EXPECT_EQ(url.json["target"]["kind"], "air");
  auto hf = w.check("NovelAI/nai-anime-v1-full@main");
  ASSERT_EQ(hf.exit_code, 13) << hf.err << hf.out;  // not "no such file"
  EXPECT_EQ(hf.json["target"]["kind"], "hf");
  EXPECT_NE(hf.json["unknowns"].dump().find("Hugging Face"), std::string::npos) << hf.out;
  auto path = w.check("models/missing");
  EXPECT_EQ(path.exit_code, 3) << path.out;
  EXPECT_NE(path.err.find("no such file"), std::string::npos) << path.err;
}

TEST(IdentifierCli, MalformedIdentifiersAreErrorsNotNames) {
  CheckWorld w;
  leak_finetune_chain(w);
  for (const char* bad :
       {"urn:air:sd1:checkpoint:civitai:4201@", "AutoV2: 925997e9", "Model hash: zz, Model: B"}) {
    auto r = w.check(shell_quote(bad));
    EXPECT_EQ(r.exit_code, 2) << bad << r.out << r.err;
    EXPECT_NE(r.err.find("pedigree: error:"), std::string::npos) << r.err;
  }
}

// A model event's community identities: a Civitai model / model-version id
// and a Hugging Face repo@revision, resolved from a pasted AIR, a civitai.com
// URL, a repository, and a picture's Civitai resources.
std::string model_with_identities(CheckWorld& w, const std::string& label,
                                  const nlohmann::json& identities,
                                  testing::Signer signer = testing::Signer::k_trusted) {
  ledger::Statement st;
  st.subject.sha256 = sha_of_label(label);
  st.subject.name = label + ".safetensors";
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"title", label}};
  st.predicate.update(identities);
  return w.attest(st, signer);
}

TEST(IdentifierCli, CivitaiAndHuggingFaceIdentitiesInModelEventsResolve) {
  CheckWorld w;
  leak_finetune_chain(w);  // A is a NAI fine-tune
  model_with_identities(w, "A",
                        {{"civitai_model", "9942"},
                         {"civitai_version", "11111"},
                         {"hf_repo", "WarriorMama777/OrangeMixs@f8b6eaf"}});
  for (const char* input : {"urn:air:sd1:checkpoint:civitai:9942@11111",
                            "https://civitai.com/models/9942/aom?modelVersionId=11111",
                            "WarriorMama777/OrangeMixs@f8b6eaf", "hf:warriormama777/orangemixs"}) {
    auto r = w.check(shell_quote(input));
    ASSERT_EQ(r.exit_code, 10) << input << r.err << r.out;
    EXPECT_EQ(r.json["target"]["sha256"], sha_of_label("A")) << input;
  }
  // Another model id with that version is not this model.
  EXPECT_EQ(w.check(shell_quote("urn:air:sd1:checkpoint:civitai:1@11111")).exit_code, 13);
  EXPECT_EQ(w.check("WarriorMama777/OrangeMixs@main").exit_code, 13);
  // An identity only an untrusted event gives is listed, never decides.
  model_with_identities(w, "fake", {{"civitai_version", "22222"}}, testing::Signer::k_untrusted);
  auto untrusted = w.check(shell_quote("urn:air:sd1:lora:civitai:5@22222"));
  ASSERT_EQ(untrusted.exit_code, 13) << untrusted.out;
  ASSERT_EQ(untrusted.json["candidates"].size(), 1u) << untrusted.out;
  EXPECT_FALSE(untrusted.json["candidates"][0]["trusted"].get<bool>());
  // A malformed identity is refused by the event validator.
  ledger::Statement bad;
  bad.subject.sha256 = sha_of_label("bad");
  bad.kind = ledger::PredicateKind::k_model;
  bad.predicate = {{"hf_repo", "not a repo"}};
  EXPECT_FALSE(ledger::statement_payload(bad));
}

TEST(IdentifierCli, APicturesCivitaiResourcesResolveByModelVersion) {
  CheckWorld w;
  leak_finetune_chain(w);
  model_with_identities(w, "B", {{"civitai_version", "130072"}});
  const auto pics = w.dir() / "pics";
  auto made = testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                                   "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                                   " --model-name unnamed --lora-name unnamed-lora");
  ASSERT_EQ(made.exit_code, 0);
  auto r = w.check(shell_quote((pics / "civitai.png").string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // the checkpoint B; the LoRA stays unknown
  EXPECT_EQ(r.json["resources"][0]["sha256"], sha_of_label("B"));
  EXPECT_EQ(r.json["resources"][1]["verdict"], "unknown");
}

}  // namespace
}  // namespace pedigree
