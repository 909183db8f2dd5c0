// The static site of `pedigree site` in a real headless Chromium: this test
// builds a ledger, writes its site with the real binary and runs
// tests/browser/site_page.mjs (puppeteer-core driving Debian's
// /usr/bin/chromium, the site served by a tiny static file server): search a
// hash prefix, follow the result to a model page, follow the graph, search an
// AutoV1 and a name, phone width. Screenshots are kept in
// build/<kind>/test-artifacts/site/. Nothing is skipped: a missing browser or
// node module fails with the command that installs it.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using testing::CheckWorld;
using testing::sha_of_label;
using testing::shell_quote;

TEST(SiteBrowser, StaticSiteWorksInHeadlessChromium) {
  const fs::path browser_dir = fs::path(PEDIGREE_SOURCE_DIR) / "tests" / "browser";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing: run tools/install-deps";
  ASSERT_TRUE(fs::exists(browser_dir / "node_modules" / "puppeteer-core"))
      << "puppeteer-core is missing: run tools/install-deps";
  ASSERT_EQ(testing::run_command("node --version >/dev/null 2>&1").exit_code, 0)
      << "node is missing: run tools/install-deps";

  CheckWorld w;
  testing::serve_demo_chain(w);
  const fs::path site = w.dir() / "public";
  auto r = w.run("site " + shell_quote(site.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path artifacts = fs::path(PEDIGREE_ARTIFACT_DIR) / "site";
  fs::remove_all(artifacts);
  const std::string command =
      "cd " + shell_quote(browser_dir.string()) + " && SITE=" + shell_quote(site.string()) +
      " NAI_CHILD=" + sha_of_label("C") + " NAI_CHILD_NAME=C NAI_CHILD_PARENT=B" +
      " AUTOV1=925997e9 AUTOV1_NAME=animefull ARTIFACTS=" + shell_quote(artifacts.string()) +
      " HOME=" + shell_quote((w.dir() / "home").string()) + " node site_page.mjs 2>&1";
  auto run = testing::run_command(command);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("all steps passed"), std::string::npos) << run.output;
  for (const char* shot : {"search-hash.png", "model-page.png", "search-none.png",
                           "phone-search.png", "phone-model.png"}) {
    const std::string bytes = testing::read_text(artifacts / shot);
    EXPECT_GT(bytes.size(), 1000u) << shot;
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << shot;
  }
}

}  // namespace
}  // namespace pedigree
