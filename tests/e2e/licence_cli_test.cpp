// End-to-end: every verdict says whether commercial use is allowed, and why
// (leak: no licence; NovelAI's release: non-commercial; licences declared in
// model events and in a file's ModelSpec; unknown whenever NAI or a licence
// is not ruled in or out).
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::sha_of_label;
using testing::shell_quote;
using testing::Signer;

// A trusted model event with a licence (and a role).
void licensed(CheckWorld& w, const std::string& label, const std::string& licence,
              const std::string& role = "", const std::string& published = "") {
  ledger::Statement st;
  st.subject.sha256 = sha_of_label(label);
  st.subject.name = label + ".safetensors";
  st.kind = ledger::PredicateKind::k_model;
  st.predicate = {{"title", label}, {"license", licence}};
  if (!role.empty()) st.predicate["role"] = role;
  if (!published.empty()) st.predicate["published"] = published;
  w.attest(st, Signer::k_trusted);
}

std::string reasons(const testing::CliRun& r) {
  return r.json["licence"]["reasons"].dump();
}

TEST(LicenceCli, NaiIsNeverCommercialAndSaysWhy) {
  CheckWorld w;
  licensed(w, "sd15", "CreativeML OpenRAIL-M", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06");
  licensed(w, "naiofficial", "CreativeML OpenRAIL-M + CC BY-NC-SA 4.0", "nai-official",
           "2024-08-20");
  w.model("leakmix");
  w.lineage("leakmix", {{"animefull", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
  w.model("officialmix", "", "2024-09-01");
  w.lineage("officialmix", {{"naiofficial", "merge", "0.3"}, {"sd15", "merge", "0.7"}});
  auto leak = w.check(sha_of_label("leakmix"));
  ASSERT_EQ(leak.exit_code, 10) << leak.out;
  EXPECT_EQ(leak.json["licence"]["commercial_use"], "not-allowed");
  EXPECT_NE(reasons(leak).find("never licensed"), std::string::npos) << reasons(leak);
  auto official = w.check(sha_of_label("officialmix"));
  ASSERT_EQ(official.exit_code, 11) << official.out;
  EXPECT_EQ(official.json["licence"]["commercial_use"], "not-allowed");
  EXPECT_NE(reasons(official).find("non-commercial only"), std::string::npos) << reasons(official);
  EXPECT_NE(official.json["licence"]["licences"].dump().find("CC BY-NC-SA 4.0"), std::string::npos);
  auto human = w.run("check " + sha_of_label("leakmix"));
  EXPECT_NE(human.out.find("commercial: NOT-ALLOWED"), std::string::npos) << human.out;
}

TEST(LicenceCli, CleanAncestryIsAllowedOnlyWhenEveryLicenceIsKnownAndPermits) {
  CheckWorld w;
  licensed(w, "sd15", "CreativeML OpenRAIL-M", "base", "2022-10-20");
  licensed(w, "open", "creativeml-openrail-m");
  w.lineage("open", {{"sd15", "finetune", ""}});
  w.model("nolicence");
  w.lineage("nolicence", {{"sd15", "finetune", ""}});
  licensed(w, "nc", "CC BY-NC 4.0");
  w.lineage("nc", {{"sd15", "finetune", ""}});
  w.model("child-of-nc");
  w.lineage("child-of-nc", {{"nc", "merge", "0.5"}, {"open", "merge", "0.5"}});

  auto open = w.check(sha_of_label("open"));
  ASSERT_EQ(open.exit_code, 0) << open.out;
  EXPECT_EQ(open.json["licence"]["commercial_use"], "allowed");
  EXPECT_NE(reasons(open).find("use restrictions"), std::string::npos) << reasons(open);
  auto none = w.check(sha_of_label("nolicence"));
  ASSERT_EQ(none.exit_code, 0) << none.out;  // clean, but its licence is unknown
  EXPECT_EQ(none.json["licence"]["commercial_use"], "unknown");
  EXPECT_NE(reasons(none).find("nolicence"), std::string::npos) << reasons(none);
  auto nc = w.check(sha_of_label("child-of-nc"));
  ASSERT_EQ(nc.exit_code, 0) << nc.out;
  EXPECT_EQ(nc.json["licence"]["commercial_use"], "not-allowed");
  EXPECT_NE(reasons(nc).find("non-commercial"), std::string::npos) << reasons(nc);
  auto unknown = w.check(std::string(64, 'a'));
  EXPECT_EQ(unknown.json["licence"]["commercial_use"], "unknown") << unknown.out;
  // A licence text that merely contains a licence's name ("mit" in "permitted") is not it.
  licensed(w, "prose", "commercial use is not permitted");
  w.lineage("prose", {{"sd15", "finetune", ""}});
  auto prose = w.check(sha_of_label("prose"));
  ASSERT_EQ(prose.exit_code, 0) << prose.out;
  EXPECT_EQ(prose.json["licence"]["commercial_use"], "unknown") << prose.out;
}

TEST(LicenceCli, AFilesModelSpecLicenceIsListed) {
  CheckWorld w;
  const auto lora = w.dir() / "lora.safetensors";
  auto made =
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-lora-fixture " + shell_quote(lora.string()) +
                           " --base-sha256 " + std::string(64, 'e') + " --license CC-BY-NC-4.0");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto r = w.check(shell_quote(lora.string()));
  ASSERT_EQ(r.exit_code, 13) << r.out;  // its base is unknown
  EXPECT_EQ(r.json["licence"]["commercial_use"], "not-allowed") << r.out;
  EXPECT_NE(r.json["licence"]["licences"].dump().find("modelspec.license"), std::string::npos);
}

}  // namespace
}  // namespace pedigree
