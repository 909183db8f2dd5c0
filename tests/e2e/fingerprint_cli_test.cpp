// End-to-end: the real pedigree binary fingerprints a real file and estimates shares from .fp
// files.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fingerprint/family.hpp"
#include "pedigree/fingerprint/serialize.hpp"

namespace pedigree::fingerprint {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun run(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = std::string(PEDIGREE_BINARY) + " " + args + " 2>" + err.string();
  CliRun r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

class FingerprintCli : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("pedigree-fp-e2e-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path write_fp(const std::string& name, const Fingerprint& fp) {
    const fs::path p = m_dir / (name + ".fp");
    std::ofstream(p, std::ios::binary) << serialize(fp);
    return p;
  }
  fs::path m_dir;
};

TEST_F(FingerprintCli, FingerprintsARealSafetensorsFileAndWritesAParsableFp) {
  const fs::path out = m_dir / "tiny.fp";
  CliRun r = run("fingerprint " + std::string(PEDIGREE_TEST_DATA) +
                     "/sample_sd1_tiny.safetensors -o " + out.string() + " --json",
                 m_dir);
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["spec_version"], 2);
  auto fp = read_fp_file(out);
  ASSERT_TRUE(fp) << fp.error().message();
  EXPECT_EQ(j["sketch"]["unet"]["matrix_side"], fp->params.of(Component::k_unet).matrix_side);
  EXPECT_EQ(j["sketch"]["unet_ema"]["flat_buckets"],
            fp->params.of(Component::k_unet_ema).flat_buckets);
  EXPECT_EQ(j["tensors"].get<std::size_t>(), fp->tensors.size());
  EXPECT_EQ(j["fp_bytes"].get<std::uintmax_t>(), fs::file_size(out));
  EXPECT_GT(fp->tensors.size(), 0u);
}

TEST_F(FingerprintCli, EstimatesSharesFromFpFilesAsJson) {
  testing::Family family(7);
  auto sd15 = family.finetune(0, 1, false);
  auto nai = family.finetune(1, 1, true);
  auto target = testing::combine({{0.75, &sd15}, {0.25, &nai}});
  const auto t = write_fp("target", testing::fingerprint_of(family, target));
  const auto b = write_fp("sd14", testing::fingerprint_of(family, family.base()));
  const auto n = write_fp("nai", testing::fingerprint_of(family, nai));
  const auto s = write_fp("sd15", testing::fingerprint_of(family, sd15));
  CliRun r = run("estimate " + t.string() + " --base sd14=" + b.string() +
                     " --ref nai=" + n.string() + " --signed-ref sd15=" + s.string() + " --json",
                 m_dir);
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["shares"]["nai"]["share"].get<double>(), 0.25, 0.01);
  EXPECT_NEAR(j["shares"]["sd15"]["share"].get<double>(), 0.75, 0.01);
  EXPECT_TRUE(j["shares"]["nai"]["blocks"].contains("IN04"));
  EXPECT_TRUE(j["r2"].contains("M00"));
  EXPECT_TRUE(j["verbatim"].is_array());
  EXPECT_NE(j["summary"].get<std::string>().find("nai is present"), std::string::npos);
  EXPECT_TRUE(j["presence"]["nai"]["present"].get<bool>());
}

TEST_F(FingerprintCli, ADamagedFpIsABadInputError) {
  testing::Family family(8);
  const auto b = write_fp("sd14", testing::fingerprint_of(family, family.base()));
  std::string bytes = serialize(testing::fingerprint_of(family, family.finetune(1, 1, true)));
  bytes[bytes.size() / 3] ^= 1;
  const fs::path bad = m_dir / "bad.fp";
  std::ofstream(bad, std::ios::binary) << bytes;
  CliRun r =
      run("estimate " + bad.string() + " --base sd14=" + b.string() + " --ref nai=" + b.string(),
          m_dir);
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("pedigree: error: "), std::string::npos);
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.fp"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pedigree::fingerprint
