// Terminal injection (issue 15, case 4): names in ledger events, key
// identities, picture metadata, file names and paths come from others, and
// every human report and error line of the real binary must print them with
// control characters, C1 controls, bidi overrides and invalid UTF-8 escaped
// (util/terminal_text.hpp). A name that held "ESC[2J ... \nverdict: NO-NAI-FOUND"
// used to clear the screen and forge a clean verdict line under a nai-leak exit code.
#include <gtest/gtest.h>

#include "e2e/check_world.hpp"
#include "e2e/terminal_safety.hpp"

namespace pedigree {
namespace {

using testing::CheckWorld;
using testing::expect_terminal_safe;
using testing::k_hostile;
using testing::k_hostile_ascii;
using testing::k_not_utf8;
using testing::sha_of_label;
using testing::shell_quote;
using testing::verdict_lines;
using testing::write_text;

TEST(TerminalInjection, LedgerNamesInCheckTreeAndGraphAreEscaped) {
  CheckWorld w;
  w.model("sd15", "base", "2022-10-20");
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  w.model(k_hostile);  // title and file name
  w.lineage(k_hostile, {{"animefull", "finetune", ""}});
  w.model("C");
  // The parent's `name` in the lineage event is the hostile text.
  w.lineage("C", {{k_hostile, "merge", "0.5"}, {"sd15", "merge", "0.5"}});
  w.model("U", "", "", nullptr, testing::Signer::k_untrusted);
  w.lineage("U", {{k_hostile, "merge", "0.5"}, {"sd15", "merge", "0.5"}},
            testing::Signer::k_untrusted);

  auto check = w.run("check " + sha_of_label("C"));
  EXPECT_EQ(check.exit_code, 10) << check.err << check.out;  // nai-leak
  EXPECT_NE(check.out.find("verdict:    NAI-LEAK"), std::string::npos) << check.out;
  EXPECT_EQ(verdict_lines(check.out), 1) << check.out;
  EXPECT_NE(check.out.find("Evil\\x1b[2J\\x1b[H\\n"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("\\u202egpj.exe\\u009b31m"), std::string::npos) << check.out;
  expect_terminal_safe(check.out, "check");
  expect_terminal_safe(check.err, "check stderr");

  // JSON stays exact: the names parse back to the hostile text, and the
  // encoder escaped every C0 control (no raw byte below 0x20 but the layout's newlines).
  auto json = w.run("check --json " + sha_of_label("C"));
  ASSERT_TRUE(json.json.is_object()) << json.out;
  EXPECT_NE(json.json.dump().find(nlohmann::json(k_hostile).dump()), std::string::npos);
  bool found = false;
  for (const auto& step : json.json["paths"][0]["steps"]) found |= step["name"] == k_hostile;
  EXPECT_TRUE(found) << json.out;
  for (unsigned char c : json.out) EXPECT_TRUE(c >= 0x20 || c == '\n') << int(c);

  auto untrusted = w.run("check " + sha_of_label("U"));  // the name only in untrusted events
  EXPECT_EQ(verdict_lines(untrusted.out), 1) << untrusted.out;
  expect_terminal_safe(untrusted.out, "check untrusted");

  auto by_name = w.run("check " + shell_quote(k_hostile));  // the input echoed back
  expect_terminal_safe(by_name.out, "check by name");
  expect_terminal_safe(by_name.err, "check by name stderr");
  EXPECT_LE(verdict_lines(by_name.out), 1) << by_name.out;

  for (const std::string& command : {"tree " + sha_of_label("C"), "tree " + sha_of_label("U"),
                                     "tree " + shell_quote(k_hostile)}) {
    auto tree = w.run(command);
    EXPECT_EQ(tree.exit_code, 0) << command << tree.err;
    EXPECT_NE(tree.out.find("Evil\\x1b[2J"), std::string::npos) << tree.out;
    EXPECT_EQ(verdict_lines(tree.out), 0) << tree.out;
    expect_terminal_safe(tree.out, command);
    expect_terminal_safe(tree.err, command + " stderr");
  }

  auto dot = w.run("graph " + sha_of_label("C"));
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  expect_terminal_safe(dot.out, "graph dot");
  // The name stays inside its quoted label: one statement per line, each
  // quote pair closed (no '"' left open by a trailing backslash).
  EXPECT_NE(dot.out.find("label=\"Evil&#92;&#92;x1b[2J&#92;&#92;x1b[H&#92;&#92;n"),
            std::string::npos)
      << dot.out;
  EXPECT_EQ(verdict_lines(dot.out), 0) << dot.out;
  if (testing::run_command("command -v dot").exit_code == 0) {  // Graphviz parses it
    auto svg = w.run("graph --format svg " + sha_of_label("C"));
    EXPECT_EQ(svg.exit_code, 0) << svg.err;
    expect_terminal_safe(svg.out, "graph svg");
    EXPECT_NE(svg.out.find("Evil\\x1b[2J\\x1b[H\\n"), std::string::npos) << svg.out;
  }

  auto verify = w.run("verify --all " + shell_quote(w.ledger_dir().string()));
  expect_terminal_safe(verify.out, "verify");
  expect_terminal_safe(verify.err, "verify stderr");
}

TEST(TerminalInjection, PictureMetadataAndHostileFilePathsAreEscaped) {
  CheckWorld w;
  w.model("animefull", "nai-leak", "2022-10-06", {{"autov1", "925997e9"}});
  const auto pics = w.dir() / ("pics\x1b[2J\n\xe2\x80\xae" + k_not_utf8);
  auto made =
      testing::run_command(std::string("python3 ") + PEDIGREE_SOURCE_DIR +
                           "/tools/make-image-fixtures " + shell_quote(pics.string()) +
                           " --model-hash 925997e9 --model-name " + shell_quote(k_hostile_ascii));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  for (const char* name : {"a1111_text.png", "a1111.jpg", "comfyui.png"}) {
    const auto path = (pics / name).string();
    auto r = w.run("check " + shell_quote(path));
    EXPECT_NE(r.out.find("pics\\x1b[2J\\n\\u202e\\x9b\\xff\\xfe"), std::string::npos)
        << name << r.out;
    EXPECT_EQ(verdict_lines(r.out), 1) << name << r.out;
    expect_terminal_safe(r.out, std::string("check ") + name);
    expect_terminal_safe(r.err, std::string("check stderr ") + name);
  }
  // Errors that quote the path: a missing file, a file that is no model.
  auto missing = w.run("check " + shell_quote((pics / "gone\x1b[2J\n.png").string()));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("pedigree: error: "), std::string::npos) << missing.err;
  expect_terminal_safe(missing.err, "check missing");
  write_text(pics / "junk\x1b]0;title\x07\n.safetensors", "not a checkpoint\x1b[2J");
  for (const std::string& command :
       {std::string("inspect "), std::string("hash "), std::string("fingerprint ")}) {
    auto r = testing::run_command(
        shell_quote(PEDIGREE_BINARY) + " " + command +
        shell_quote((pics / "junk\x1b]0;title\x07\n.safetensors").string()) + " 2>&1");
    if (command != "hash ") {  // hash reads any file
      EXPECT_NE(r.exit_code, 0) << command;
    }
    EXPECT_NE(r.output.find("junk\\x1b]0;title\\x07\\n.safetensors"), std::string::npos)
        << command << r.output;
    expect_terminal_safe(r.output, command);
  }
}

TEST(TerminalInjection, InspectEscapesHostileMetadata) {
  testing::TempDir dir;
  // A safetensors file without tensors whose metadata keys and values are hostile.
  nlohmann::json header = {
      {"__metadata__",
       {{"evil\x1b[2J", "value\xe2\x80\xae\n"},
        {"sd_merge_recipe", nlohmann::json({{"type", "webui"},
                                            {"interp_method", "Weighted sum\x1b[31m"},
                                            {"primary_model_hash", nullptr},
                                            {"secondary_model_hash", nullptr},
                                            {"multiplier", 0.3}})
                                .dump()},
        {"sd_merge_models",
         nlohmann::json({{std::string(64, 'a'),
                          {{"name", "parent\x1b[2J\nverdict: x"}, {"legacy_hash", "925997e9"}}}})
             .dump()}}}};
  std::string text = header.dump();
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  file += text;
  write_text(dir.path() / "hostile.safetensors", file);
  auto r =
      testing::run_command(shell_quote(PEDIGREE_BINARY) + " inspect " +
                           shell_quote((dir.path() / "hostile.safetensors").string()) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("evil\\x1b[2J"), std::string::npos) << r.output;
  EXPECT_EQ(verdict_lines(r.output), 0) << r.output;
  expect_terminal_safe(r.output, "inspect");
}

}  // namespace
}  // namespace pedigree
