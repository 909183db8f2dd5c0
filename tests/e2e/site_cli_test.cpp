// End-to-end tests of `pedigree site DIR`: the real binary on a real ledger
// (git, signed events): every model's page, SVG and search entries, the page
// files in static mode, byte-identical output for the same ledger, the
// refusal of a directory that is not a site, atomic replacement, and the
// verdict on each page equal to `pedigree check --json` on the same ledger.
#include <gtest/gtest.h>

#include <map>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CheckWorld;
using testing::read_text;
using testing::sha_of_label;
using testing::shell_quote;

// Every regular file under `dir` (relative path -> bytes).
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_text(e.path());
  return out;
}

std::string model_file(const std::string& sha, const char* ext) {
  return "model/" + sha.substr(0, 2) + "/" + sha + ext;
}

// Entries of every shard of search/KIND, in order.
std::vector<json> search_entries(const fs::path& site, const std::string& kind) {
  auto manifest = json::parse(read_text(site / "search" / (kind + ".json")));
  std::vector<json> out;
  for (const auto& s : manifest["shards"]) {
    const json shard = json::parse(read_text(site / "search" / s["file"].get<std::string>()));
    for (const auto& e : shard["entries"]) out.push_back(e);
  }
  return out;
}

class SiteCli : public ::testing::Test {
protected:
  void SetUp() override { testing::serve_demo_chain(m_world); }
  testing::CliRun site(const fs::path& dir, const std::string& extra = "") {
    return m_world.run("site " + shell_quote(dir.string()) + " " + extra);
  }
  CheckWorld m_world;
};

TEST_F(SiteCli, WritesAPagePerModelTheSearchIndexAndThePage) {
  const fs::path out = m_world.dir() / "public";
  auto r = site(out, "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> labels = {"sd14", "sd15", "animefull", "A", "B", "C", "D"};
  EXPECT_EQ(r.json["models"], labels.size());
  for (const auto& label : labels) {
    const std::string sha = sha_of_label(label);
    auto page = json::parse(read_text(out / model_file(sha, ".json")), nullptr, false);
    ASSERT_TRUE(page.is_object()) << label;
    EXPECT_EQ(page["schema"], "pedigree-model/1");
    EXPECT_EQ(page["sha256"], sha);
    EXPECT_EQ(page["name"].get<std::string>().rfind(label, 0), 0u) << page["name"];
    const std::string svg = read_text(out / model_file(sha, ".svg"));
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << label;
    EXPECT_NE(svg.find("<title>" + sha + "</title>"), std::string::npos) << label;
  }
  auto c = json::parse(read_text(out / model_file(sha_of_label("C"), ".json")));
  EXPECT_EQ(c["check"]["verdict"], "nai-leak");
  ASSERT_EQ(c["parents"].size(), 2u);
  auto b = json::parse(read_text(out / model_file(sha_of_label("B"), ".json")));
  ASSERT_EQ(b["children"].size(), 1u);
  EXPECT_EQ(b["children"][0]["sha256"], sha_of_label("C"));
  // The untrusted model's events say so.
  auto d = json::parse(read_text(out / model_file(sha_of_label("D"), ".json")));
  for (const auto& e : d["events"]) EXPECT_FALSE(e["trusted"].get<bool>());

  // Search: every SHA-256, the declared AutoV1, every name, sorted.
  auto hashes = search_entries(out, "hashes");
  auto names = search_entries(out, "names");
  EXPECT_EQ(hashes.size(), labels.size() + 1);
  bool autov1 = false;
  for (const auto& e : hashes)
    if (e[0] == "925997e9") autov1 = e[1] == sha_of_label("animefull") && e[3] == "autov1";
  EXPECT_TRUE(autov1);
  for (std::size_t i = 1; i < names.size(); ++i)
    EXPECT_LE(names[i - 1][0].get<std::string>(), names[i][0].get<std::string>());
  bool found_c = false;
  for (const auto& e : names) found_c = found_c || (e[0] == "c" && e[1] == sha_of_label("C"));
  EXPECT_TRUE(found_c);

  // The page: the server's files, index.html marked static; the marker file.
  EXPECT_NE(read_text(out / "index.html").find("data-pedigree=\"static\""), std::string::npos);
  EXPECT_NE(read_text(out / "app.js").find("staticSearch"), std::string::npos);
  EXPECT_FALSE(read_text(out / "app.css").empty());
  auto info = json::parse(read_text(out / "pedigree-site.json"));
  EXPECT_EQ(info["schema"], "pedigree-site/1");
  EXPECT_EQ(info["models"], labels.size());
  EXPECT_EQ(info["ledger"], "ledger");  // the directory's name, never its path
  EXPECT_EQ(info["commit"].get<std::string>().size(), 40u);
  // Nothing left beside DIR.
  for (const auto& e : fs::directory_iterator(m_world.dir().path()))
    EXPECT_EQ(e.path().filename().string().find(".public.tmp-"), std::string::npos);
}

TEST_F(SiteCli, SameLedgerGivesByteIdenticalFiles) {
  ASSERT_EQ(site(m_world.dir() / "one").exit_code, 0);
  ASSERT_EQ(site(m_world.dir() / "two", "--jobs 1").exit_code, 0);
  auto one = files_of(m_world.dir() / "one"), two = files_of(m_world.dir() / "two");
  EXPECT_GT(one.size(), 14u);
  EXPECT_TRUE(one == two);
  for (const auto& [path, bytes] : one) EXPECT_EQ(bytes, two[path]) << path;
}

TEST_F(SiteCli, PageVerdictsAreThoseOfCheck) {
  const fs::path out = m_world.dir() / "public";
  ASSERT_EQ(site(out).exit_code, 0);
  for (const char* label : {"animefull", "B", "C", "D", "sd15"}) {
    const std::string sha = sha_of_label(label);
    auto page = json::parse(read_text(out / model_file(sha, ".json")));
    auto check = m_world.check(sha).json;
    ASSERT_TRUE(check.is_object()) << label;
    const json& report = check.is_array() ? check[0] : check;
    for (const char* field : {"verdict", "confidence", "summary", "nai_share", "paths", "evidence",
                              "licence", "licence_note", "candidates", "unknowns"})
      EXPECT_EQ(page["check"][field], report[field]) << label << " " << field;
  }
}

TEST_F(SiteCli, RefusesADirectoryThatIsNotASite) {
  const fs::path out = m_world.dir() / "docs";
  testing::write_text(out / "notes.txt", "mine");
  auto r = site(out);
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(out / "notes.txt"), "mine");
  r = site(out, "--force");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out / "notes.txt"));
  EXPECT_TRUE(fs::exists(out / "pedigree-site.json"));
}

TEST_F(SiteCli, ReplacesAPreviousSiteWhole) {
  const fs::path out = m_world.dir() / "public";
  ASSERT_EQ(site(out).exit_code, 0);
  testing::write_text(out / "stale.txt", "from before");
  m_world.model("E");  // the ledger grows
  m_world.lineage("E", {{"C", "finetune", ""}});
  auto r = site(out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out / "stale.txt"));
  EXPECT_TRUE(fs::exists(out / model_file(sha_of_label("E"), ".json")));
  auto c = json::parse(read_text(out / model_file(sha_of_label("C"), ".json")));
  ASSERT_EQ(c["children"].size(), 1u);
  EXPECT_EQ(c["children"][0]["sha256"], sha_of_label("E"));
}

TEST_F(SiteCli, AFailureLeavesThePreviousSiteAsItWas) {
  const fs::path out = m_world.dir() / "public";
  ASSERT_EQ(site(out).exit_code, 0);
  const auto before = files_of(out);
  m_world.model("E");
  // Without Graphviz no ancestry can be drawn: the build stops, nothing changes.
  auto r = m_world.run("site " + shell_quote(out.string()), "PATH=/nonexistent");
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("Graphviz"), std::string::npos) << r.err;
  EXPECT_TRUE(files_of(out) == before);
  for (const auto& e : fs::directory_iterator(m_world.dir().path()))
    EXPECT_EQ(e.path().filename().string().find(".public.tmp-"), std::string::npos);
}

}  // namespace
}  // namespace pedigree
