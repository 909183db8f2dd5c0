// The shipped `check` path on a tiny seeded family: tools/gen-family2 writes
// real .safetensors and PyTorch .ckpt files (power-law spectra, per-layer
// shared ranks, independent fine-tunes on data similar to NAI's, merges,
// post-merge training), and tools/bench-fingerprint builds a real signed ledger
// with the real binary (a fresh key, trusted; base / nai-leak / independent
// model events with their fingerprint events) and runs `pedigree check --json`
// on every target. The assertions are structural, from the generator's ground
// truth: no `no-nai-found` at NAI share >= 5%, no independent fine-tune called
// `nai*`, every independent reference used as a nuisance regressor.
// The full benchmark and its figures: docs/benchmarks.md (section "accuracy").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

using testing::read_text;
using testing::run_command;
using testing::shell_quote;
using testing::TempDir;

bool is_nai_verdict(const std::string& v) {
  return v == "nai" || v == "nai-leak" || v == "nai-official";
}

nlohmann::json run_tiny_benchmark(const TempDir& dir, const std::string& nuisance) {
  const auto out = dir / ("results-" + nuisance + ".json");
  const std::string command =
      "PEDIGREE=" + shell_quote(PEDIGREE_BINARY) + " /usr/bin/python3 " +
      shell_quote(std::string(PEDIGREE_SOURCE_DIR) + "/tools/bench-fingerprint") +
      " check --work " + shell_quote((dir / "work").string()) +
      " --phase report --heldout-seeds 5 --size tiny --scale 32 --jobs 1 --nuisance " + nuisance +
      " --json " + shell_quote(out.string()) + " 2>&1";
  auto r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(read_text(out), nullptr, false);
}

TEST(AccuracySuite, ShippedCheckOnTinyFamilyNeverCallsNaiCleanNorIndependentsNai) {
  TempDir dir;
  const auto data = run_tiny_benchmark(dir, "3");
  ASSERT_FALSE(data.is_discarded());
  ASSERT_EQ(data["results"].size(), 1u);
  const auto& truth = data["results"][0]["truth"]["models"];
  const auto& results = data["results"][0]["results"]["3"];
  std::size_t positives = 0, independents = 0;
  for (const auto& [name, r] : results.items()) {
    const auto& m = truth[name];
    const double share = m["nai"].get<double>();
    const std::string verdict = r["verdict"].get<std::string>();
    ASSERT_FALSE(r["configuration"].is_null()) << name << ": check made no fingerprint estimate";
    EXPECT_EQ(r["configuration"]["nuisance_references"].size(), 3u) << name;
    if (share >= 0.05) {
      ++positives;
      EXPECT_NE(verdict, "no-nai-found") << name << " holds NAI share " << share;
    }
    if (m["kind"] == "independent") {
      ++independents;
      EXPECT_FALSE(is_nai_verdict(verdict)) << name << " is an independent fine-tune";
    }
  }
  EXPECT_GT(positives, 0u);
  EXPECT_GT(independents, 0u);
}

}  // namespace
}  // namespace pedigree
