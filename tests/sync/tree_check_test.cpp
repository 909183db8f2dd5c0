// parse_canonical_tree on bytes in memory: git's order, names, modes, and the
// pathological inputs a hostile remote could write.
#include <gtest/gtest.h>

#include "pedigree/sync/tree_check.hpp"

namespace pedigree::sync {
namespace {

std::string entry(const std::string& mode, const std::string& name) {
  return mode + ' ' + name + '\0' + std::string(20, '\x11');
}

std::optional<TreeProblem> parse(const std::string& bytes) {
  std::vector<RawTreeEntry> entries;
  return parse_canonical_tree(std::as_bytes(std::span(bytes.data(), bytes.size())), entries);
}

TEST(TreeCheck, AcceptsGitOrderWhereADirectorySortsAsIfEndingInSlash) {
  // "a.txt" < "a/" < "a0" in git's order, though "a" < "a.txt" as plain strings.
  EXPECT_FALSE(parse(entry("100644", "a.txt") + entry("40000", "a") + entry("100644", "a0")));
  EXPECT_FALSE(parse(""));  // the empty tree
}

TEST(TreeCheck, RefusesPlainStringOrderForADirectory) {
  auto p = parse(entry("40000", "a") + entry("100644", "a.txt"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "a.txt");
  EXPECT_NE(p->reason.find("out of git's order"), std::string::npos);
}

TEST(TreeCheck, RefusesAFileAndADirectoryOfOneNameApart) {
  auto p = parse(entry("100644", "a") + entry("100644", "a-b") + entry("40000", "a"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "a");
  EXPECT_NE(p->reason.find("a file and a directory"), std::string::npos);
}

TEST(TreeCheck, EscapesUnprintableNamesInProblems) {
  auto p = parse(entry("100644", "b") + entry("100644", "a\n\x1b"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "a\\x0a\\x1b");
}

TEST(TreeCheck, RefusesTruncatedEntries) {
  for (const std::string& bytes : {std::string("100644 a"), std::string("100644 a\0abc", 12),
                                   std::string("100644"), entry("100644", "a").substr(0, 20)}) {
    auto p = parse(bytes);
    ASSERT_TRUE(p);
    EXPECT_NE(p->reason.find("truncated"), std::string::npos);
  }
}

TEST(TreeCheck, ManyDirectoriesSharingAPrefixStayLinear) {
  // Directories "x!!!…" of decreasing length sort in git's order; a quadratic
  // duplicate scan over them would take minutes (the test's timeout).
  std::string bytes;
  for (int k = 4000; k >= 1; --k) {
    std::string name(static_cast<std::size_t>(k) + 1, '!');
    name.front() = 'x';
    bytes += entry("40000", name);
  }
  bytes += entry("100644", "y");
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace pedigree::sync
