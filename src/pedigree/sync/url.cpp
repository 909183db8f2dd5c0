#include "pedigree/sync/url.hpp"
#include "pedigree/util/text.hpp"

#include <algorithm>
#include <cctype>

namespace pedigree::sync {
namespace {

bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

// Where the userinfo and the host of `scheme://authority/...` lie in the URL.
struct Authority {
  std::size_t begin = 0, end = 0;           // the whole authority
  std::size_t at = std::string_view::npos;  // its last '@', if any
};

std::optional<Authority> find_authority(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || !valid_scheme(url.substr(0, sep))) return std::nullopt;
  Authority a;
  a.begin = sep + 3;
  a.end = std::min(url.find('/', a.begin), url.size());
  auto at = url.substr(a.begin, a.end - a.begin).rfind('@');
  if (at != std::string_view::npos) a.at = a.begin + at;
  return a;
}

// host[:port] or [v6][:port] into `out`; false when malformed.
bool parse_host_port(std::string_view hp, RemoteUrl& out) {
  std::string_view port;
  if (!hp.empty() && hp[0] == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return false;
    out.host = hp.substr(1, close - 1);
    auto rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else {
    auto colon = hp.rfind(':');
    out.host = hp.substr(0, colon);
    if (colon != std::string_view::npos) port = hp.substr(colon + 1);
  }
  if (out.host.empty()) return false;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return false;
    }
    out.port = std::stoi(std::string(port));
  }
  return true;
}

void split_userinfo(std::string_view info, RemoteUrl& out) {
  auto colon = info.find(':');
  out.user = std::string(info.substr(0, colon));
  if (colon != std::string_view::npos) out.password = std::string(info.substr(colon + 1));
}

// [user@]host:path, the form scp and git accept for ssh.
std::optional<RemoteUrl> parse_scp_like(std::string_view url) {
  auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto before = url.substr(0, colon);
  if (before.find('/') != std::string_view::npos) return std::nullopt;  // a local path
  RemoteUrl out;
  out.scheme = "ssh";
  auto at = before.rfind('@');
  if (at != std::string_view::npos) {
    out.user = std::string(before.substr(0, at));
    before = before.substr(at + 1);
  }
  if (before.size() > 2 && before.front() == '[' && before.back() == ']') {
    before = before.substr(1, before.size() - 2);
  }
  if (before.empty()) return std::nullopt;
  out.host = before;
  out.path = url.substr(colon + 1);
  return out;
}

}  // namespace

std::optional<RemoteUrl> parse_remote_url(std::string_view url) {
  auto authority = find_authority(url);
  if (!authority) {
    if (url.find("://") != std::string_view::npos) return std::nullopt;
    return parse_scp_like(url);
  }
  RemoteUrl out;
  out.scheme = to_lower_ascii(url.substr(0, url.find("://")));
  if (out.scheme == "file") return std::nullopt;
  std::size_t host_begin = authority->begin;
  if (authority->at != std::string_view::npos) {
    split_userinfo(url.substr(authority->begin, authority->at - authority->begin), out);
    host_begin = authority->at + 1;
  }
  if (!parse_host_port(url.substr(host_begin, authority->end - host_begin), out)) {
    return std::nullopt;
  }
  out.path = url.substr(authority->end);
  return out;
}

std::string host_and_port(const RemoteUrl& url) {
  std::string out;
  const bool v6 = url.host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += url.host;
  if (v6) out += ']';
  if (url.port) {
    out += ':';
    out += std::to_string(*url.port);
  }
  return out;
}

std::string redact_url(std::string_view url) {
  auto authority = find_authority(url);
  if (!authority || authority->at == std::string_view::npos) return std::string(url);
  auto info = url.substr(authority->begin, authority->at - authority->begin);
  auto colon = info.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, authority->begin + colon + 1)) + "***" +
         std::string(url.substr(authority->at));
}

std::string redact_url_in(std::string text, std::string_view url) {
  const std::string safe = redact_url(url);
  if (url.empty() || safe == url) return text;
  for (auto pos = text.find(url); pos != std::string::npos; pos = text.find(url, pos)) {
    text.replace(pos, url.size(), safe);
    pos += safe.size();
  }
  return text;
}

}  // namespace pedigree::sync
