// Running the real `pedigree` binary against a ledger in a fresh temporary
// home: HOME and every XDG directory point inside the test's TempDir, so the
// user's keys, trust list and ledger are never touched.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/layout.hpp"
#include "support/ledger_support.hpp"

namespace pedigree::testing {

// One run of the binary in a CliHome (check_world.hpp's CliRun is another type: both are
// in pedigree::testing and linked into one test binary).
struct LedgerCliRun {
  int status = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

class CliHome {
public:
  CliHome() {
    std::filesystem::create_directories(m_dir / "home");
    // An empty bundled ledger: only the key compiled into pedigree is pinned.
    write_text(m_dir / "bundled" / "LEDGER.json",
               "{\"format\":1,\"name\":\"test-bundled\",\"pinned_keys\":[]}\n");
  }
  const TempDir& dir() const { return m_dir; }
  std::filesystem::path ledger() const { return m_dir / "ledger"; }

  // The environment every run gets (plus `extra`, e.g. "PEDIGREE_PASSPHRASE=x").
  std::string env(const std::string& extra = "") const {
    auto q = [&](const char* sub) { return shell_quote((m_dir / sub).string()); };
    // The sanitizer options (the Sanitize build's leak suppressions) pass through.
    return "env -i PATH=\"$PATH\" ${ASAN_OPTIONS:+ASAN_OPTIONS=\"$ASAN_OPTIONS\"} "
           "${LSAN_OPTIONS:+LSAN_OPTIONS=\"$LSAN_OPTIONS\"} "
           "${UBSAN_OPTIONS:+UBSAN_OPTIONS=\"$UBSAN_OPTIONS\"} HOME=" +
           q("home") + " XDG_CONFIG_HOME=" + q("config") + " XDG_DATA_HOME=" + q("data") +
           " XDG_CACHE_HOME=" + q("cache") + " PEDIGREE_BUNDLED_LEDGER=" + q("bundled") + " " +
           extra + " ";
  }

  // `pedigree ARGS` with stdout and stderr captured separately.
  LedgerCliRun run(const std::string& args, const std::string& extra_env = "") const {
    const auto out = (m_dir / "stdout").string(), err = (m_dir / "stderr").string();
    auto r = run_command(env(extra_env) + shell_quote(PEDIGREE_BINARY) + " " + args + " >" +
                         shell_quote(out) + " 2>" + shell_quote(err));
    return {r.exit_code, read_text(out), read_text(err)};
  }
  // Runs `pedigree ARGS`, expecting success.
  LedgerCliRun ok(const std::string& args, const std::string& extra_env = "") const {
    auto r = run(args, extra_env);
    EXPECT_EQ(r.status, 0) << "pedigree " << args << "\n" << r.err << r.out;
    return r;
  }
  // A shell command run in the ledger directory (git ...).
  CommandResult in_ledger(const std::string& command) const {
    return run_command("cd " + shell_quote(ledger().string()) + " && " + command + " 2>&1");
  }

  // A key (returns its keyid) and an empty ledger at ledger().
  std::string setup_key_and_ledger(const std::string& name = "Alice",
                                   const std::string& email = "alice@example.org") const {
    auto key =
        ok("key generate --json --name " + shell_quote(name) + " --email " + shell_quote(email))
            .json();
    ok("init " + shell_quote(ledger().string()) + " --name test");
    return key["keyid"];
  }
  // `attest raw` of a claim about `subject`; returns the event id.
  std::string attest_claim(const std::string& subject, const std::string& extra = "") const {
    write_text(m_dir / "claim.json",
               R"({"contains_nai":"no","basis":"test claim )" + subject.substr(0, 8) + "\"}");
    auto r =
        ok("attest raw claim --json --ledger " + shell_quote(ledger().string()) + " --subject " +
           subject + " --predicate " + shell_quote((m_dir / "claim.json").string()) + " " + extra);
    return r.json()["events"][0]["event"];
  }

private:
  TempDir m_dir;
};

// " --ledger PATH" naming the home's ledger, for a command line.
inline std::string ledger_arg(const CliHome& home) {
  return " --ledger " + shell_quote(home.ledger().string());
}

}  // namespace pedigree::testing
