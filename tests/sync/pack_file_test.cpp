// Packs written without libgit2's indexer (src/pedigree/sync/pack_file.hpp),
// judged by the git CLI: `git verify-pack` and `git fsck` must accept them,
// and an object whose bytes do not hash to its id is never written.
#include <gtest/gtest.h>

#include <random>

#include "pedigree/sync/pack_file.hpp"
#include "support/git_cli.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

std::string cd_command(const std::filesystem::path& dir) {
  return "cd " + shell_quote(dir.string()) + " && ";
}

ObjectId parse_id(const std::string& hex) {
  ObjectId id{};
  for (std::size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return id;
}

ObjectType type_of(const std::string& name) {
  if (name == "commit") return ObjectType::k_commit;
  if (name == "tree") return ObjectType::k_tree;
  return ObjectType::k_blob;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// A source repository with two commits of nested files (and one large blob).
std::filesystem::path make_source(const TempDir& temp) {
  auto src = temp / "src";
  std::filesystem::create_directories(src);
  git(src, "init -q");
  write_text(src / "events/00/a.json", "{\"a\":1}\n");
  write_text(src / "big.bin", std::string(300000, 'x') + "end\n");
  git(src, "add -A");
  git(src, "-c user.name=t -c user.email=t@e.invalid commit -qm one");
  write_text(src / "events/01/b.json", "{\"b\":2}\n");
  git(src, "add -A");
  git(src, "-c user.name=t -c user.email=t@e.invalid commit -qm two");
  return src;
}

TEST(PackFile, GitReadsEveryObjectOfAWrittenPack) {
  TempDir temp;
  auto src = make_source(temp);
  auto dst = temp / "dst.git";
  git(temp.path(), "init -q --bare dst.git");
  auto objects = lines(git(src, "rev-list --objects --all"));
  PackFileWriter pack(dst / "objects", static_cast<std::uint32_t>(objects.size()));
  for (const auto& line : objects) {
    std::string id = line.substr(0, 40);
    std::string type = git(src, "cat-file -t " + id);
    auto r = run_command(cd_command(src) + "git cat-file " + type + " " + id);
    ASSERT_EQ(r.exit_code, 0);
    std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(r.output.data()),
                                         r.output.size());
    ASSERT_TRUE(pack.add(parse_id(id), type_of(type), bytes)) << id;
  }
  auto written = pack.finish();
  ASSERT_TRUE(written) << written.error().message();
  auto idx = written->parent_path() / (written->stem().string() + ".idx");
  ASSERT_TRUE(std::filesystem::exists(idx));
  auto verified = run_command("git verify-pack -v " + shell_quote(idx.string()) + " 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("non delta: " + std::to_string(objects.size()) + " objects"),
            std::string::npos)
      << verified.output;
  git(dst, "update-ref refs/heads/main " + git(src, "rev-parse HEAD"));
  auto fsck = run_command(cd_command(dst) + "git fsck --full --strict 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
  EXPECT_EQ(git(dst, "show main:events/01/b.json"), "{\"b\":2}");
}

TEST(PackFile, AnObjectThatDoesNotHashToItsIdIsRefusedAndNothingWritten) {
  TempDir temp;
  auto src = make_source(temp);
  git(temp.path(), "init -q --bare dst.git");
  auto dst = temp / "dst.git";
  std::string id = git(src, "rev-parse HEAD:events/01/b.json");
  const std::string forged = "{\"b\":3}\n";
  PackFileWriter pack(dst / "objects", 1);
  auto added = pack.add(parse_id(id), ObjectType::k_blob,
                        {reinterpret_cast<const unsigned char*>(forged.data()), forged.size()});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(added.error().message().find(id), std::string::npos);
  EXPECT_FALSE(pack.finish());  // fewer objects than announced
  EXPECT_EQ(files_in(dst / "objects" / "pack"), 0u);
}

TEST(PackFile, AWriterDestroyedUnfinishedLeavesNoFile) {
  TempDir temp;
  git(temp.path(), "init -q --bare dst.git");
  auto dst = temp / "dst.git";
  // Incompressible and large enough to be streamed to the temporary file
  // before the writer goes.
  std::string big(3u << 20, '\0');
  std::mt19937 random(7);
  for (char& c : big) c = static_cast<char>(random());
  write_text(temp / "big", big);
  std::string id = git(temp.path(), "hash-object big");
  {
    PackFileWriter pack(dst / "objects", 2);
    ASSERT_TRUE(pack.add(parse_id(id), ObjectType::k_blob,
                         {reinterpret_cast<const unsigned char*>(big.data()), big.size()}));
    EXPECT_EQ(files_in(dst / "objects" / "pack"), 1u);  // the temporary file
  }
  EXPECT_EQ(files_in(dst / "objects" / "pack"), 0u);
}

}  // namespace
}  // namespace pedigree::sync
