// Several first-time commands racing to create a ledger's index (issue 15):
// each opens a new index.sqlite and applies the schema migrations. Before
// migrations re-read the schema version under the write lock, all but one
// failed with "table meta already exists" (exit 5). Real processes, started
// at once by one shell.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::read_text;
using testing::run_command;
using testing::sha_of_label;
using testing::shell_quote;

TEST(IndexCreateRace, CommandsStartedAtOnceOnALedgerWithoutAnIndexAllSucceed) {
  constexpr int k_processes = 6;
  for (int round = 0; round < 3; ++round) {
    CheckWorld w;
    w.model("sd15", "base", "2022-10-20");
    w.model("animefull", "nai-leak", "2022-10-06");
    w.model("A");
    w.lineage("A", {{"animefull", "finetune", ""}});
    const auto index = w.ledger_dir() / ".git" / "pedigree" / "index.sqlite";
    ASSERT_FALSE(std::filesystem::exists(index));
    // The environment of CheckWorld::run, for processes the shell starts together.
    const auto out = w.dir() / "race";
    std::filesystem::create_directories(out);
    const std::string env =
        "HOME=" + shell_quote((w.dir() / "home").string()) +
        " XDG_CONFIG_HOME=" + shell_quote((w.dir() / "config").string()) +
        " XDG_DATA_HOME=" + shell_quote((w.dir() / "data").string()) +
        " XDG_CACHE_HOME=" + shell_quote((w.dir() / "cache").string()) +
        " PEDIGREE_BUNDLED_LEDGER=" + shell_quote((w.dir() / "no-bundled-ledger").string());
    std::string script;
    for (int i = 0; i < k_processes; ++i) {
      const std::string o = shell_quote((out / std::to_string(i)).string());
      script += "(" + env + " " + shell_quote(PEDIGREE_BINARY) + " check --json " +
                sha_of_label("A") + " --ledger " + shell_quote(w.ledger_dir().string()) + " >" + o +
                ".out 2>" + o + ".err; echo $? >" + o + ".rc) & ";
    }
    script += "wait";
    ASSERT_EQ(run_command("sh -c " + shell_quote(script)).exit_code, 0);
    // A run alone, once the index exists: the exit status (a verdict's) and verdict each must give.
    auto alone = w.check(sha_of_label("A"));
    ASSERT_EQ(alone.json["verdict"], "nai-leak") << alone.out << alone.err;
    for (int i = 0; i < k_processes; ++i) {
      const auto o = out / std::to_string(i);
      EXPECT_EQ(read_text(o.string() + ".rc"), std::to_string(alone.exit_code) + "\n")
          << "process " << i << " of round " << round << ": " << read_text(o.string() + ".err");
      auto j = nlohmann::json::parse(read_text(o.string() + ".out"), nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << read_text(o.string() + ".err");
      if (!j.is_discarded()) {
        EXPECT_EQ(j["verdict"], "nai-leak");
      }
    }
    EXPECT_EQ(w.run("index status").exit_code, 0);
  }
}

}  // namespace
}  // namespace pedigree
