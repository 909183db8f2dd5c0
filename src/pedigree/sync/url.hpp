// The parts of a remote URL that authentication and messages need, and a form
// of it that is safe to print. Understands `scheme://[user[:password]@]host
// [:port][/path]` (host may be an [IPv6] literal) and scp-like `[user@]host:path`
// (ssh). Local paths and file:// URLs have no host and are left alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pedigree::sync {

struct RemoteUrl {
  std::string scheme;  // "ssh" for the scp-like form, lower case
  std::optional<std::string> user;
  std::optional<std::string> password;  // as written (%-escapes not decoded)
  std::string host;                     // without the brackets of an IPv6 literal
  std::optional<int> port;
  std::string path;  // from the first '/' after the authority (scp form: after ':')
};

// nullopt for anything without a host: local paths, file://, malformed URLs.
std::optional<RemoteUrl> parse_remote_url(std::string_view url);

// "host" or "host:port" as written in a URL (an IPv6 literal in brackets).
std::string host_and_port(const RemoteUrl& url);

// `url` with the password (or token) of its userinfo replaced by "***", e.g.
// https://alice:***@example.org/ledger.git. Everything else is unchanged, so
// a URL without a password comes back as given. Use it for every URL that is
// printed, logged or written into a commit.
std::string redact_url(std::string_view url);

// Every occurrence of `url` in `text` replaced by redact_url(url): for
// messages of libraries that quote the URL they were given.
std::string redact_url_in(std::string text, std::string_view url);

}  // namespace pedigree::sync
