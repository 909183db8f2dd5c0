// The web page of `pedigree serve` in a real headless Chromium: this test
// builds a ledger, starts the real server and runs tests/browser/serve_page.mjs
// (puppeteer-core driving Debian's /usr/bin/chromium): pasting a hash,
// following the graph and a path to NAI, dropping a PNG with parameters, an
// unknown verdict's reasons, browsing, a phone-width layout. Screenshots are
// kept in build/<kind>/test-artifacts/serve/. Nothing is skipped: a missing
// browser or node module fails with the command that installs it.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "e2e/serve_process.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using testing::CheckWorld;
using testing::ServeProcess;
using testing::sha_of_label;
using testing::shell_quote;

TEST(ServeBrowser, PageWorksInHeadlessChromium) {
  const fs::path browser_dir = fs::path(PEDIGREE_SOURCE_DIR) / "tests" / "browser";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing: run tools/install-deps";
  ASSERT_TRUE(fs::exists(browser_dir / "node_modules" / "puppeteer-core"))
      << "puppeteer-core is missing: run tools/install-deps";
  ASSERT_EQ(testing::run_command("node --version >/dev/null 2>&1").exit_code, 0)
      << "node is missing: run tools/install-deps";

  CheckWorld w;
  testing::serve_demo_chain(w);
  const auto pics = w.dir() / "pics";
  ASSERT_EQ(
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                           " --model-hash " + sha_of_label("C").substr(0, 10) + " --model-name C")
          .exit_code,
      0);
  ASSERT_EQ(w.check(sha_of_label("C")).exit_code, 10);
  ServeProcess server(w);
  ASSERT_TRUE(server.running());
  const fs::path artifacts = fs::path(PEDIGREE_ARTIFACT_DIR) / "serve";
  fs::remove_all(artifacts);
  const std::string command =
      "cd " + shell_quote(browser_dir.string()) +
      " && PEDIGREE_URL=http://127.0.0.1:" + std::to_string(server.port()) +
      " NAI_CHILD=" + sha_of_label("C") +
      " NAI_CHILD_PARENT=B PICTURE=" + shell_quote((pics / "a1111_text.png").string()) +
      " ARTIFACTS=" + shell_quote(artifacts.string()) +
      " HOME=" + shell_quote((w.dir() / "home").string()) + " node serve_page.mjs 2>&1";
  auto r = testing::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\nserver stderr: " << server.stderr_text();
  EXPECT_NE(r.output.find("all steps passed"), std::string::npos) << r.output;
  for (const char* shot : {"check-hash.png", "model-page.png", "drop-png.png", "unknown.png",
                           "browse.png", "phone-check.png", "phone-model.png"}) {
    const std::string bytes = testing::read_text(artifacts / shot);
    EXPECT_GT(bytes.size(), 1000u) << shot;
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << shot;
  }
}

}  // namespace
}  // namespace pedigree
