#include "pedigree/util/process.hpp"

#include <gtest/gtest.h>

namespace pedigree {
namespace {

TEST(Process, PassesInputAndCapturesOutputWithoutAShell) {
  auto r = run_process({"cat"}, "line one\n$HOME 'quoted'\n", ChildStderr::k_inherit);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "line one\n$HOME 'quoted'\n");
  auto args = run_process({"printf", "%s|", "a b", "$x"}, "", ChildStderr::k_inherit);
  ASSERT_TRUE(args);
  EXPECT_EQ(args->out, "a b|$x|");
}

TEST(Process, ReportsTheExitCodeAndDiscardsStderr) {
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, "", ChildStderr::k_discard);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
}

TEST(Process, AHelperThatIgnoresItsInputDoesNotKillTheCaller) {
  auto r = run_process({"true"}, std::string(200000, 'x'), ChildStderr::k_inherit);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Process, AMissingProgramIsAnErrorNamingIt) {
  auto r = run_process({"pedigree-no-such-program"}, "", ChildStderr::k_inherit);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::k_io);
  EXPECT_NE(r.error().message().find("pedigree-no-such-program"), std::string::npos);
}

}  // namespace
}  // namespace pedigree
