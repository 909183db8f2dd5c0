// The fingerprint accuracy suite, small: tools/gen-family writes a seeded synthetic
// SD1.x family as real .safetensors and PyTorch .ckpt files (scale 32, 164 models),
// and tools/bench-fingerprint runs the real binary's `fingerprint` and `estimate` on
// every model and scores the verdicts against the generator's ground truth.
// The full-size suite and its figures: docs/benchmarks.md (section "fingerprint").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

using testing::run_command;
using testing::shell_quote;
using testing::TempDir;

// "a/b" as a fraction.
double ratio(const nlohmann::json& field) {
  const std::string s = field.get<std::string>();
  const auto slash = s.find('/');
  return std::stod(s.substr(0, slash)) / std::stod(s.substr(slash + 1));
}

TEST(AccuracySuite, SmallSeededFamilyMeetsLooseBoundsEndToEnd) {
  TempDir dir;
  const std::string command =
      "PEDIGREE=" + shell_quote(PEDIGREE_BINARY) + " /usr/bin/python3 " +
      shell_quote(std::string(PEDIGREE_SOURCE_DIR) + "/tools/bench-fingerprint") +
      " accuracy --family " + shell_quote((dir / "family").string()) +
      " --scale 32 --seed 5 --merges 110 --negatives 1 --modes matrix 2>&1";
  auto r = run_command(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto json_start = r.output.find("\n{");
  ASSERT_NE(json_start, std::string::npos) << r.output;
  const auto report = nlohmann::json::parse(r.output.substr(json_start + 1));
  EXPECT_EQ(report["failed"], 0) << "every .safetensors and .ckpt model is read";
  EXPECT_EQ(report["fingerprinted"], report["models"]);
  const auto& m = report["modes"]["matrix"];
  // Bounds looser than the full suite's targets: this family is small (28 independent test
  // models), but a broken sketch, projection or presence rule fails them by far.
  EXPECT_GE(ratio(m["recall_at_5pct"]), 0.95) << m.dump();
  EXPECT_LE(ratio(m["false_positives"]), 2.0 / 28) << m.dump();
  EXPECT_EQ(ratio(m["hard_negatives_flagged"]), 0.0) << m.dump();
  EXPECT_LE(m["mae_linear"].get<double>(), 0.02) << m.dump();
  EXPECT_GE(m["linear_merges"].get<int>(), 40);
}

}  // namespace
}  // namespace pedigree
