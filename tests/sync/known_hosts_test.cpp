#include "pedigree/sync/known_hosts.hpp"

#include <gtest/gtest.h>

#include "support/ledger_support.hpp"

namespace pedigree::sync {
namespace {

using namespace pedigree::testing;

constexpr const char* k_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

TEST(KnownHosts, NamesOtherPortsInBrackets) {
  EXPECT_EQ(known_hosts_name("example.org", 22), "example.org");
  EXPECT_EQ(known_hosts_name("example.org", -1), "example.org");
  EXPECT_EQ(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
}

TEST(KnownHosts, FindsPlainEntriesAndMarkers) {
  std::string text;
  for (const char* names : {"# comment\nother.org", "a.org,[127.0.0.1]:2222", "@revoked b.org"}) {
    text.append(names).append(" ").append(k_key).append("\n");
  }
  EXPECT_TRUE(known_hosts_mentions(text, "[127.0.0.1]:2222"));
  EXPECT_TRUE(known_hosts_mentions(text, "a.org"));
  EXPECT_TRUE(known_hosts_mentions(text, "b.org"));
  EXPECT_FALSE(known_hosts_mentions(text, "127.0.0.1"));
  EXPECT_FALSE(known_hosts_mentions(text, "[127.0.0.1]:2223"));
  EXPECT_FALSE(known_hosts_mentions("", "a.org"));
}

TEST(KnownHosts, FindsEntriesHashedBySshKeygen) {
  TempDir dir;
  auto file = dir / "known_hosts";
  write_text(file, std::string("[127.0.0.1]:2222 ") + k_key + "\nexample.org " + k_key + "\n");
  auto r = run_command("ssh-keygen -q -H -f " + shell_quote(file.string()) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto hashed = read_text(file);
  ASSERT_EQ(hashed.find("127.0.0.1"), std::string::npos) << hashed;  // really hashed
  EXPECT_TRUE(known_hosts_mentions(hashed, "[127.0.0.1]:2222"));
  EXPECT_TRUE(known_hosts_mentions(hashed, "example.org"));
  EXPECT_FALSE(known_hosts_mentions(hashed, "[127.0.0.1]:2223"));
  EXPECT_FALSE(known_hosts_mentions(hashed, "example.com"));
}

}  // namespace
}  // namespace pedigree::sync
