// Files are read through memory maps: a file that another process truncates
// while pedigree reads it must end in a one-line error, never a crash.
#include <gtest/gtest.h>

#include "support/ledger_support.hpp"

namespace pedigree {
namespace {

using testing::run_command;
using testing::shell_quote;
using testing::TempDir;

struct Outcome {
  int exit_code = -1;
  std::string err;
};

// Starts `pedigree hash` on an 8 GiB sparse file (seconds of work), runs `meddle`
// (shell, $f = the file, $pid = pedigree) once pedigree has the file open and
// waits for pedigree. Waiting for the open, not for a fixed delay, matters: a
// sanitizer build on a loaded machine can take longer than any delay to start,
// and a signal before main() installs its handler tests nothing.
Outcome hash_while(const TempDir& dir, const std::string& meddle) {
  const std::string script = "f=" + shell_quote((dir / "big.bin").string()) +
                             "; e=" + shell_quote((dir / "err").string()) +
                             "; truncate -s 8G \"$f\"; " + shell_quote(PEDIGREE_BINARY) +
                             " hash --no-cache --only sha256 \"$f\" >/dev/null 2>\"$e\" & pid=$!; "
                             "n=0; until { ls -l /proc/$pid/fd; cat /proc/$pid/maps; } 2>/dev/null | grep -q big.bin; do "
                             "n=$((n+1)); [ $n -gt 3000 ] && break; sleep 0.01; done; " +
                             meddle + "; wait $pid; echo $?";
  auto r = run_command("sh -c " + shell_quote(script));
  Outcome out;
  out.exit_code = std::stoi(r.output);
  out.err = testing::read_text(dir / "err");
  return out;
}

TEST(TruncatedRead, AFileTruncatedWhileHashedIsAClearError) {
  TempDir dir;
  Outcome o = hash_while(dir, "truncate -s 4096 \"$f\"");
  // Caught before a chunk is handed out (corruption, 4) or on access (SIGBUS, 5).
  EXPECT_TRUE(o.exit_code == 4 || o.exit_code == 5) << o.exit_code << " " << o.err;
  EXPECT_EQ(o.err.rfind("pedigree: error: ", 0), 0u) << o.err;
  EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << "one line: " << o.err;
}

TEST(TruncatedRead, ABusErrorIsReportedAsAnIoErrorNotACrash) {
  TempDir dir;
  Outcome o = hash_while(dir, "kill -BUS $pid");
  EXPECT_EQ(o.exit_code, 5) << o.err;
  EXPECT_NE(o.err.find("SIGBUS"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("nothing was written"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace pedigree
