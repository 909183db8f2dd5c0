// `pedigree site` and `pedigree serve` render the same pages: each model's
// JSON file in the site is the server's GET /api/model/SHA256 answer, each SVG
// its GET /api/graph/SHA256.svg, and index.html/app.js/app.css are the
// server's files (index.html differs only by its mode mark).
#include <gtest/gtest.h>

#include <httplib.h>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CheckWorld;
using testing::read_text;
using testing::ServeProcess;
using testing::sha_of_label;
using testing::shell_quote;

TEST(ServeSite, SiteFilesAreTheServersAnswers) {
  CheckWorld world;
  testing::serve_demo_chain(world);
  const fs::path out = world.dir() / "public";
  auto r = world.run("site " + shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ServeProcess server(world);
  ASSERT_TRUE(server.running());
  httplib::Client client("127.0.0.1", server.port());
  for (const char* label : {"sd15", "animefull", "A", "B", "C", "D"}) {
    const std::string sha = sha_of_label(label);
    const std::string base = "model/" + sha.substr(0, 2) + "/" + sha;
    auto model = client.Get("/api/model/" + sha);
    ASSERT_TRUE(model);
    ASSERT_EQ(model->status, 200) << model->body;
    EXPECT_EQ(json::parse(read_text(out / (base + ".json"))), json::parse(model->body)) << label;
    auto svg = client.Get("/api/graph/" + sha + ".svg");
    ASSERT_TRUE(svg);
    ASSERT_EQ(svg->status, 200);
    EXPECT_EQ(read_text(out / (base + ".svg")), svg->body) << label;
  }
  for (const char* file : {"app.js", "app.css"}) {
    auto served = client.Get(std::string("/") + file);
    ASSERT_TRUE(served);
    EXPECT_EQ(read_text(out / file), served->body) << file;
  }
  auto index = client.Get("/");
  ASSERT_TRUE(index);
  std::string page = read_text(out / "index.html");
  const std::string mark = "data-pedigree=\"static\"";
  ASSERT_NE(page.find(mark), std::string::npos);
  page.replace(page.find(mark), mark.size(), "data-pedigree=\"server\"");
  EXPECT_EQ(page, index->body);
}

}  // namespace
}  // namespace pedigree
