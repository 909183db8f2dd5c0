#include "pedigree/sync/url.hpp"

#include <gtest/gtest.h>

namespace pedigree::sync {
namespace {

TEST(RemoteUrl, ParsesSchemeUserPasswordHostPortAndPath) {
  auto u = parse_remote_url("https://alice:s3cret@example.org:8443/team/ledger.git");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/team/ledger.git");
}

TEST(RemoteUrl, ParsesSshForms) {
  auto u = parse_remote_url("ssh://git@127.0.0.1:2222/srv/ledger.git");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "git");
  EXPECT_FALSE(u->password);
  EXPECT_EQ(u->port, 2222);
  auto scp = parse_remote_url("git@github.com:org/ledger.git");
  ASSERT_TRUE(scp);
  EXPECT_EQ(scp->scheme, "ssh");
  EXPECT_EQ(scp->user, "git");
  EXPECT_EQ(scp->host, "github.com");
  EXPECT_EQ(scp->path, "org/ledger.git");
  auto v6 = parse_remote_url("ssh://[::1]:22/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 22);
}

TEST(RemoteUrl, LocalPathsHaveNoHost) {
  EXPECT_FALSE(parse_remote_url("/srv/ledger.git"));
  EXPECT_FALSE(parse_remote_url("file:///srv/ledger.git"));
  EXPECT_FALSE(parse_remote_url("./dir:with/colon"));
  EXPECT_FALSE(parse_remote_url("https://host:notaport/x"));
}

TEST(RemoteUrl, RedactsOnlyThePassword) {
  EXPECT_EQ(redact_url("https://alice:s3cret@example.org/l.git"),
            "https://alice:***@example.org/l.git");
  EXPECT_EQ(redact_url("https://ghp_token:x-oauth-basic@h/l.git"), "https://ghp_token:***@h/l.git");
  EXPECT_EQ(redact_url("https://alice@example.org/l.git"), "https://alice@example.org/l.git");
  EXPECT_EQ(redact_url("ssh://git@h:22/x"), "ssh://git@h:22/x");
  EXPECT_EQ(redact_url("/a/b@c:d"), "/a/b@c:d");
  // A '@' in the password: the last one before the path ends the userinfo.
  EXPECT_EQ(redact_url("https://a:p@ss@h/x@y"), "https://a:***@h/x@y");
}

TEST(RemoteUrl, RedactsAUrlQuotedInAMessage) {
  const std::string url = "https://a:pw@h/x";
  EXPECT_EQ(redact_url_in("cannot reach " + url + " (" + url + ")", url),
            "cannot reach https://a:***@h/x (https://a:***@h/x)");
}

}  // namespace
}  // namespace pedigree::sync
