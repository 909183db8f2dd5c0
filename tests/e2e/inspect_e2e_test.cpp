// End-to-end: the real `pedigree` binary on fixture files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::shell_quote;
using testing::TempDir;

const fs::path k_data = fs::path(PEDIGREE_TEST_DATA) / "names";

testing::CommandResult run_pedigree(const std::string& args, bool stderr_only = false) {
  std::string cmd = shell_quote(PEDIGREE_BINARY) + " " + args;
  cmd += stderr_only ? " 2>&1 >/dev/null" : " 2>/dev/null";
  return run_command(cmd);
}

TEST(InspectE2e, JsonReportOfAnSd1File) {
  auto r = run_pedigree("inspect --json " + shell_quote((k_data / "sd1_ldm.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["schema"], "pedigree.inspect/1");
  EXPECT_EQ(j["architecture"], "sd1");
  EXPECT_EQ(j["tensors"], 1131);
  EXPECT_EQ(j["clip"]["position_ids"]["state"], "intact");
  EXPECT_EQ(j["recipes"][0]["source"], "supermerger");
  EXPECT_EQ(j["recipes"][0]["parents"][1]["sha256"],
            "89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8");
}

TEST(InspectE2e, HumanReportOfANaiStyleFile) {
  auto r = run_pedigree("inspect " + shell_quote((k_data / "nai_style.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("architecture  SD1.x"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("old NAI prefix"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("position_ids non-integer"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("EMA           686 tensors"), std::string::npos) << r.output;
}

TEST(InspectE2e, DiffusersFolder) {
  auto r = run_pedigree("inspect --json " + shell_quote((k_data / "sd1_diffusers").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["format"], "diffusers");
  EXPECT_EQ(j["sources"].size(), 3u);
}

TEST(InspectE2e, HostileFileGetsOneErrorLineAndExitCode4) {
  TempDir dir;
  // Header length 2^40 in a 24-byte file.
  std::string bytes("\x00\x00\x00\x00\x00\x01\x00\x00{\"a\":1}        ", 24);
  testing::write_text(dir / "evil.safetensors", bytes);
  const std::string path = (dir / "evil.safetensors").string();
  auto r = run_pedigree("inspect " + shell_quote(path), true);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  const std::string prefix = "pedigree: error: " + path + ": ";
  EXPECT_EQ(r.output.rfind(prefix, 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(InspectE2e, NotACheckpointAndMissingFile) {
  TempDir dir;
  testing::write_text(dir / "notes.txt", "hello, this is text\n");
  auto text = run_pedigree("inspect " + shell_quote((dir / "notes.txt").string()), true);
  EXPECT_EQ(text.exit_code, 4) << text.output;
  EXPECT_NE(text.output.find("not a checkpoint"), std::string::npos) << text.output;
  auto missing = run_pedigree("inspect " + shell_quote((dir / "nope.safetensors").string()), true);
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
  EXPECT_EQ(missing.output.rfind("pedigree: error: ", 0), 0u) << missing.output;
}

TEST(InspectE2e, MissingArgumentIsAUsageError) {
  auto r = run_pedigree("inspect", true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace pedigree
