// End-to-end: `pedigree scan DIR` over an A1111-layout install built in the
// test (real safetensors files, a kohya LoRA from tools/make-lora-fixture, a
// symlink loop, a FIFO, a text file named .bin), against a real ledger.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "e2e/check_world.hpp"
#include "e2e/model_files.hpp"

namespace pedigree {
namespace {

namespace fs = std::filesystem;
using testing::CheckWorld;
using testing::CliRun;
using testing::shell_quote;

// A minimal safetensors file (one U8 tensor) whose bytes depend on `label`.

// An install: a NAI checkpoint, a base checkpoint in a subfolder, a LoRA
// trained on NAI, an unknown VAE, plus things that are not model files.
struct Install {
  fs::path root;
  std::string nai_sha, base_sha, mystery_sha;

  explicit Install(CheckWorld& w) : root(w.dir() / "webui") {
    const fs::path sd = root / "models" / "Stable-diffusion";
    testing::write_labelled_safetensors(sd / "nai.safetensors", "nai");
    testing::write_labelled_safetensors(sd / "sub" / "base.safetensors", "base");
    testing::write_labelled_safetensors(root / "models" / "VAE" / "mystery.safetensors", "mystery");
    testing::write_labelled_safetensors(root / "venv" / "lib" / "never.safetensors",
                                        "never");  // outside models/
    testing::write_text(root / "embeddings" / "notes.bin", "just some text, not a model\n");
    nai_sha = testing::openssl_file_sha256(sd / "nai.safetensors");
    base_sha = testing::openssl_file_sha256(sd / "sub" / "base.safetensors");
    mystery_sha = testing::openssl_file_sha256(root / "models" / "VAE" / "mystery.safetensors");
    w.model("sd15", "base", "2022-10-20", nullptr, testing::Signer::k_trusted, base_sha);
    w.model("animefull", "nai-leak", "2022-10-06", nullptr, testing::Signer::k_trusted, nai_sha);
    fs::create_directories(root / "models" / "Lora");
    auto made = testing::run_command(
        std::string("python3 ") + PEDIGREE_SOURCE_DIR + "/tools/make-lora-fixture " +
        shell_quote((root / "models" / "Lora" / "nailora.safetensors").string()) +
        " --base-sha256 " + nai_sha);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    fs::create_directory_symlink(root / "models", root / "models" / "Lora" / "loop");
    EXPECT_EQ(::mkfifo((root / "models" / "Lora" / "pipe.safetensors").c_str(), 0644), 0);
  }
};

const nlohmann::json* file_entry(const CliRun& r, const std::string& relative) {
  for (const auto& f : r.json["files"])
    if (f["relative"] == relative) return &f;
  return nullptr;
}

int rank(const std::string& verdict) {
  const char* order[] = {"nai-leak", "nai", "nai-official", "unknown", "error", "no-nai-found"};
  for (int i = 0; i < 6; ++i)
    if (verdict == order[i]) return i;
  return -1;
}

TEST(ScanCli, JudgesEveryModelFileOfAnInstallAsCheckDoesSortedBySeverity) {
  CheckWorld w;
  Install in(w);
  auto r = w.run("scan --json " + shell_quote(in.root.string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;  // the worst verdict: nai-leak
  EXPECT_EQ(r.json["layout"], "a1111");
  ASSERT_EQ(r.json["files"].size(), 4u) << r.out;
  EXPECT_EQ(file_entry(r, "venv/lib/never.safetensors"), nullptr);
  // Sorted by severity, nai-leak first, no-nai-found last.
  int last = -1;
  for (const auto& f : r.json["files"]) {
    EXPECT_GE(rank(f["verdict"]), last) << r.out;
    last = rank(f["verdict"]);
  }
  const auto* nai = file_entry(r, "models/Stable-diffusion/nai.safetensors");
  const auto* base = file_entry(r, "models/Stable-diffusion/sub/base.safetensors");
  const auto* lora = file_entry(r, "models/Lora/nailora.safetensors");
  const auto* vae = file_entry(r, "models/VAE/mystery.safetensors");
  ASSERT_TRUE(nai && base && lora && vae) << r.out;
  EXPECT_EQ((*nai)["verdict"], "nai-leak");
  EXPECT_EQ((*nai)["kind"], "checkpoint");
  EXPECT_EQ((*nai)["sha256"], in.nai_sha);
  EXPECT_EQ((*base)["verdict"], "no-nai-found");
  EXPECT_EQ((*lora)["verdict"], "nai-leak");
  EXPECT_EQ((*lora)["nai_relation"], "trained-on");
  EXPECT_EQ((*lora)["kind"], "lora");
  EXPECT_EQ((*vae)["verdict"], "unknown");
  EXPECT_EQ((*vae)["kind"], "vae");
  EXPECT_FALSE((*vae)["reason"].get<std::string>().empty());
  EXPECT_EQ(r.json["counts"]["nai-leak"], 2);
  EXPECT_EQ(r.json["counts"]["unknown"], 1);
  EXPECT_EQ(r.json["counts"]["no-nai-found"], 1);
  // Each file reads exactly as `check FILE` reads it.
  for (const auto* f : {nai, base, lora, vae}) {
    auto c = w.check(shell_quote((*f)["path"].get<std::string>()));
    EXPECT_EQ((*f)["check"]["verdict"], c.json["verdict"]) << (*f)["path"];
    EXPECT_EQ((*f)["check"]["summary"], c.json["summary"]);
    EXPECT_EQ((*f)["check"]["evidence"], c.json["evidence"]);
    EXPECT_EQ((*f)["check"]["licence"], c.json["licence"]);
  }
  // What is not a model file, and what could not be visited, is listed.
  ASSERT_EQ(r.json["skipped"].size(), 1u) << r.out;
  EXPECT_EQ(r.json["skipped"][0]["relative"], "embeddings/notes.bin");
  const std::string problems = r.json["problems"].dump();
  EXPECT_NE(problems.find("models/Lora/loop"), std::string::npos) << problems;
  EXPECT_NE(problems.find("already scanned"), std::string::npos) << problems;
  EXPECT_NE(problems.find("models/Lora/pipe.safetensors"), std::string::npos) << problems;
  // The human table: one line per file, the most severe first.
  auto human = w.run("scan " + shell_quote(in.root.string()));
  EXPECT_EQ(human.exit_code, 10);
  const auto first_nai = human.out.find("nai-leak ");
  const auto first_clean = human.out.find("no-nai-found ", human.out.find("VERDICT"));
  ASSERT_NE(first_nai, std::string::npos) << human.out;
  ASSERT_NE(first_clean, std::string::npos) << human.out;
  EXPECT_LT(first_nai, first_clean);
  EXPECT_NE(human.out.find("models/Lora/loop"), std::string::npos) << human.out;
}

TEST(ScanCli, ASecondRunReadsNoUnchangedFileAndRereadsAChangedOne) {
  CheckWorld w;
  Install in(w);
  auto first = w.run("scan --json " + shell_quote(in.root.string()));
  ASSERT_EQ(first.exit_code, 10) << first.err;
  EXPECT_EQ(first.json["hashed_by"]["read"], 4);
  // Overwrite a file's bytes in place, keeping its size, inode and mtime: a
  // scan that re-read it would see the new SHA-256; the cache keeps the old.
  const fs::path mystery = in.root / "models" / "VAE" / "mystery.safetensors";
  const fs::path stamp = w.dir() / "stamp";
  testing::write_text(stamp, "");
  ASSERT_EQ(testing::run_command("touch -r " + shell_quote(mystery.string()) + " " +
                                 shell_quote(stamp.string()))
                .exit_code,
            0);
  ASSERT_EQ(testing::run_command("printf 'X' | dd of=" + shell_quote(mystery.string()) +
                                 " bs=1 seek=200 conv=notrunc 2>/dev/null")
                .exit_code,
            0);
  ASSERT_EQ(testing::run_command("touch -r " + shell_quote(stamp.string()) + " " +
                                 shell_quote(mystery.string()))
                .exit_code,
            0);
  const std::string changed_sha = testing::openssl_file_sha256(mystery);
  ASSERT_NE(changed_sha, in.mystery_sha);
  auto second = w.run("scan --json " + shell_quote(in.root.string()));
  EXPECT_EQ(second.exit_code, 10);
  EXPECT_EQ(second.json["hashed_by"]["read"], 0) << second.out;
  EXPECT_EQ(second.json["hashed_by"]["cache"], 4);
  const auto* cached = file_entry(second, "models/VAE/mystery.safetensors");
  ASSERT_TRUE(cached);
  EXPECT_EQ((*cached)["sha256"], in.mystery_sha);  // not read again
  for (const auto& f : second.json["files"]) {
    const auto* before = file_entry(first, f["relative"]);
    ASSERT_TRUE(before);
    EXPECT_EQ(f["check"]["verdict"], (*before)["check"]["verdict"]);
    EXPECT_EQ(f["check"]["evidence"], (*before)["check"]["evidence"]);
  }
  // A new mtime: that file alone is read again.
  ASSERT_EQ(testing::run_command("touch -d '2030-01-01 00:00:00' " + shell_quote(mystery.string()))
                .exit_code,
            0);
  auto third = w.run("scan --json " + shell_quote(in.root.string()));
  EXPECT_EQ(third.json["hashed_by"]["read"], 1) << third.out;
  EXPECT_EQ((*file_entry(third, "models/VAE/mystery.safetensors"))["sha256"], changed_sha);
  // --no-cache reads everything.
  auto uncached = w.run("scan --json --no-cache " + shell_quote(in.root.string()));
  EXPECT_EQ(uncached.json["hashed_by"]["read"], 4);
  EXPECT_TRUE(uncached.json["cache"].is_null());
}

// A1111's cache.json, as modules/hashes.py writes it: {"hashes":
// {"checkpoint/<path under models/Stable-diffusion>": {"mtime", "sha256"}}}.
std::string a1111_mtime(const fs::path& file) {
  auto r = testing::run_command(
      "python3 -c 'import os,sys; print(repr(os.path.getmtime(sys.argv[1])))' " +
      shell_quote(file.string()));
  return r.output.substr(0, r.output.find('\n'));
}

TEST(ScanCli, QuickReusesTheSha256A1111StoredWhenItsMtimeAgrees) {
  CheckWorld w;
  Install in(w);
  const fs::path sd = in.root / "models" / "Stable-diffusion";
  // Entries A1111 wrote: base's says the NAI file's SHA-256 (so a verdict of
  // nai-leak shows the value was used and the file not read), nai's has
  // another mtime (stale: the file is read).
  const std::string json = R"({"hashes": {"checkpoint/sub/base.safetensors": {"mtime": )" +
                           a1111_mtime(sd / "sub" / "base.safetensors") + R"(, "sha256": ")" +
                           in.nai_sha + R"("}, "checkpoint/nai.safetensors": {"mtime": )" +
                           a1111_mtime(sd / "nai.safetensors") + R"( , "sha256": ")" +
                           std::string(64, '0') + R"("}}, "safetensors-metadata": {}})";
  // nai.safetensors' entry is made stale by touching the file afterwards.
  testing::write_text(in.root / "cache.json", json);
  ASSERT_EQ(testing::run_command("touch -d '2031-01-01 00:00:00' " +
                                 shell_quote((sd / "nai.safetensors").string()))
                .exit_code,
            0);
  auto r = w.run("scan --json --quick --no-cache " + shell_quote(in.root.string()));
  ASSERT_EQ(r.exit_code, 10) << r.err << r.out;
  EXPECT_EQ(r.json["depth"], "sha256");
  EXPECT_EQ(r.json["a1111_cache"], (in.root / "cache.json").string());
  const auto* base = file_entry(r, "models/Stable-diffusion/sub/base.safetensors");
  const auto* nai = file_entry(r, "models/Stable-diffusion/nai.safetensors");
  ASSERT_TRUE(base && nai);
  EXPECT_EQ((*base)["hashed_by"], "a1111-cache");
  EXPECT_EQ((*base)["sha256"], in.nai_sha);  // A1111's value, the file unread
  EXPECT_EQ((*base)["verdict"], "nai-leak");
  EXPECT_EQ((*nai)["hashed_by"], "read");
  EXPECT_EQ((*nai)["sha256"], in.nai_sha);
  EXPECT_EQ(r.json["hashed_by"]["a1111-cache"], 1);
  auto human = w.run("scan --quick --no-cache " + shell_quote(in.root.string()));
  EXPECT_NE(human.out.find("SHA-256 from A1111's cache.json 1"), std::string::npos) << human.out;
  // A full scan reads the file and says where A1111's value disagrees.
  auto full = w.run("scan --json --no-cache " + shell_quote(in.root.string()));
  const auto* read = file_entry(full, "models/Stable-diffusion/sub/base.safetensors");
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["hashed_by"], "read");
  EXPECT_EQ((*read)["sha256"], in.base_sha);
  EXPECT_EQ((*read)["a1111"]["agrees"], false);
  EXPECT_EQ((*read)["verdict"], "no-nai-found");
  // --no-a1111 ignores it.
  auto ignored =
      w.run("scan --json --quick --no-cache --no-a1111 " + shell_quote(in.root.string()));
  EXPECT_EQ(ignored.json["hashed_by"]["a1111-cache"], 0);
  EXPECT_TRUE(ignored.json["a1111_cache"].is_null());
}

TEST(ScanCli, AComfyUiInstallAndAPlainFolderAreScannedAndEmptyMeansClean) {
  CheckWorld w;
  const fs::path comfy = w.dir() / "ComfyUI";
  testing::write_labelled_safetensors(comfy / "models" / "checkpoints" / "a.safetensors", "a");
  testing::write_labelled_safetensors(comfy / "models" / "loras" / "b.safetensors", "b");
  testing::write_labelled_safetensors(comfy / "custom_nodes" / "x" / "c.safetensors",
                                      "c");  // not under models/
  auto r = w.run("scan --json " + shell_quote(comfy.string()));
  EXPECT_EQ(r.json["layout"], "comfyui") << r.out;
  ASSERT_EQ(r.json["files"].size(), 2u) << r.out;
  EXPECT_EQ(r.exit_code, 13);  // unknown files: never clean by default
  EXPECT_EQ((*file_entry(r, "models/loras/b.safetensors"))["kind"], "lora");
  // Any folder: everything below it.
  auto plain = w.run("scan --json " + shell_quote((comfy / "custom_nodes").string()));
  EXPECT_EQ(plain.json["layout"], "folder");
  ASSERT_EQ(plain.json["files"].size(), 1u);
  EXPECT_EQ(plain.json["files"][0]["kind"], "model");
  // An empty folder: nothing to find, exit 0; a missing one: exit 3.
  fs::create_directories(w.dir() / "empty");
  auto empty = w.run("scan --json " + shell_quote((w.dir() / "empty").string()));
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.json["files"].size(), 0u);
  auto missing = w.run("scan " + shell_quote((w.dir() / "nope").string()));
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
}

// The progress bar goes to stderr only when it is a terminal (`script` gives
// the process one); stdout and a redirected stderr never get it.
TEST(ScanCli, ProgressIsDrawnOnlyOnATerminal) {
  CheckWorld w;
  Install in(w);
  auto plain = w.run("scan " + shell_quote(in.root.string()));
  EXPECT_EQ(plain.err.find("scan: "), std::string::npos) << plain.err;
  EXPECT_EQ(plain.out.find("\r"), std::string::npos);
  const auto& d = w.dir();
  const std::string command =
      "HOME=" + shell_quote((d / "home").string()) +
      " XDG_CONFIG_HOME=" + shell_quote((d / "config").string()) +
      " XDG_DATA_HOME=" + shell_quote((d / "data").string()) +
      " XDG_CACHE_HOME=" + shell_quote((d / "cache").string()) +
      " PEDIGREE_BUNDLED_LEDGER=" + shell_quote((d / "no-bundled-ledger").string()) + " " +
      shell_quote(PEDIGREE_BINARY) + " scan --no-cache " + shell_quote(in.root.string()) +
      " --ledger " + shell_quote(w.ledger_dir().string()) + " >/dev/null";
  auto tty = testing::run_command("script -qec " + shell_quote(command) + " /dev/null");
  EXPECT_NE(tty.output.find("scan: 0/4 files"), std::string::npos) << tty.output;
  EXPECT_NE(tty.output.find("scan: 3/4 files"), std::string::npos) << tty.output;
}

}  // namespace
}  // namespace pedigree
