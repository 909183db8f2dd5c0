#include "pedigree/sync/known_hosts.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pedigree/crypto/base64.hpp"

namespace pedigree::sync {
namespace {

// "|1|<salt>|<hash>" with hash = HMAC-SHA1(key = salt, message = name).
bool hashed_pattern_matches(std::string_view pattern, std::string_view name) {
  pattern.remove_prefix(3);
  auto bar = pattern.find('|');
  if (bar == std::string_view::npos) return false;
  auto salt = crypto::base64_decode(pattern.substr(0, bar));
  auto hash = crypto::base64_decode(pattern.substr(bar + 1));
  if (!salt || !hash) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
            reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &mac_len)) {
    return false;
  }
  return mac_len == hash->size() && std::memcmp(mac, hash->data(), mac_len) == 0;
}

bool pattern_list_mentions(std::string_view patterns, std::string_view name) {
  while (!patterns.empty()) {
    auto comma = patterns.find(',');
    auto pattern = patterns.substr(0, comma);
    if (pattern.starts_with("|1|") ? hashed_pattern_matches(pattern, name) : pattern == name) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    patterns.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view next_field(std::string_view& line) {
  auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  auto end = line.find_first_of(" \t");
  auto field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

}  // namespace

std::string known_hosts_name(std::string_view host, int port) {
  if (port <= 0 || port == 22) return std::string(host);
  std::string name = "[";
  name += host;
  name += "]:";
  name += std::to_string(port);
  return name;
}

bool known_hosts_mentions(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    auto field = next_field(line);
    if (field.starts_with("#")) continue;
    if (field.starts_with("@")) field = next_field(line);  // a marker
    if (!field.empty() && pattern_list_mentions(field, name)) return true;
  }
  return false;
}

std::filesystem::path user_ssh_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".ssh";
  }
  const passwd* pw = ::getpwuid(::geteuid());
  return std::filesystem::path(pw && pw->pw_dir ? pw->pw_dir : "/nonexistent") / ".ssh";
}

std::filesystem::path user_known_hosts_file() {
  return user_ssh_dir() / "known_hosts";
}

}  // namespace pedigree::sync
