#include "pedigree/sync/credentials.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <git2.h>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/sync/known_hosts.hpp"
#include "pedigree/sync/url.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/process.hpp"

namespace pedigree::sync {
namespace {

// The identity files OpenSSH's ssh tries by default, in the same order
// (ssh_config(5), IdentityFile; DSA and security keys left out).
constexpr std::array<const char*, 3> k_identity_files = {"id_ed25519", "id_ecdsa", "id_rsa"};

void append(std::string& list, const std::string& item) {
  list += (list.empty() ? "" : ", ") + item;
}

// True when $SSH_AUTH_SOCK names a socket an agent listens on. (libgit2
// treats an agent it cannot reach as a fatal error, not a failed key.)
bool agent_reachable() {
  const char* path = std::getenv("SSH_AUTH_SOCK");
  if (!path || !*path || std::strlen(path) >= sizeof(sockaddr_un::sun_path)) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The cipher of an OpenSSH-format private key ("none" when unencrypted);
// PROTOCOL.key: "openssh-key-v1\0", then a uint32 length and the cipher name.
std::optional<std::string> openssh_key_cipher(std::string_view pem) {
  // The markers are split so that secret scanners do not take this file for a key.
  constexpr std::string_view begin =
      "-----BEGIN OPENSSH PRIVATE"
      " KEY-----";
  constexpr std::string_view end = "-----END OPENSSH PRIVATE KEY-----";
  auto b = pem.find(begin), e = pem.find(end);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) return std::nullopt;
  std::string body;
  for (char c : pem.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
  }
  auto blob = crypto::base64_decode(body);
  constexpr std::string_view magic{"openssh-key-v1\0", 15};
  if (!blob || blob->size() < magic.size() + 4 || !blob->starts_with(magic)) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(blob->data()) + magic.size();
  std::size_t len = (std::size_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
  if (len > blob->size() - magic.size() - 4) return std::nullopt;
  return blob->substr(magic.size() + 4, len);
}

// A private key file protected by a passphrase: OpenSSH format with a
// cipher, PKCS#8 "ENCRYPTED PRIVATE KEY", or legacy PEM "Proc-Type: 4,ENCRYPTED".
bool key_has_passphrase(std::string_view pem) {
  if (auto cipher = openssh_key_cipher(pem)) return *cipher != "none";
  return pem.find(
             "-----BEGIN ENCRYPTED PRIVATE"
             " KEY-----") != std::string_view::npos ||
         pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

std::string host_key_type(const git_cert_hostkey& key) {
  switch (key.raw_type) {
    case GIT_CERT_SSH_RAW_TYPE_RSA: return "RSA";
    case GIT_CERT_SSH_RAW_TYPE_DSS: return "DSA";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ECDSA";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ED25519";
    default: return "";
  }
}

// "SHA256:<unpadded base64>", as ssh and ssh-keygen -l print it.
std::string host_key_fingerprint(const git_cert_hostkey& key) {
  if (!(key.type & GIT_CERT_SSH_SHA256)) return "";
  std::string b64 = crypto::base64_encode(
      std::string_view(reinterpret_cast<const char*>(key.hash_sha256), sizeof key.hash_sha256));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

// A `git credential` request or answer: "key=value" lines. nullopt when a
// value would break the format (a newline or NUL in a URL is an attack).
std::optional<std::string> credential_request(const RemoteUrl& url, const char* username) {
  const std::string host = host_and_port(url);
  std::string path = url.path.starts_with("/") ? url.path.substr(1) : url.path;
  std::string text = "protocol=" + url.scheme + "\nhost=" + host + "\npath=" + path + "\n";
  if (username && *username) text += "username=" + std::string(username) + "\n";
  if (text.find('\0') != std::string::npos || host.find('\n') != std::string::npos ||
      path.find('\n') != std::string::npos || (username && std::strchr(username, '\n'))) {
    return std::nullopt;
  }
  return text + "\n";
}

std::optional<std::string> credential_field(const std::string& answer, const std::string& key) {
  std::string_view rest = answer;
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    auto line = rest.substr(0, eol);
    if (line.starts_with(key + "=")) return std::string(line.substr(key.size() + 1));
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return std::nullopt;
}

// `git credential fill|approve|reject`; the answer of fill, or nullopt.
std::optional<std::string> run_git_credential(const char* action, const std::string& input) {
  auto run = run_process({"git", "credential", action}, input, ChildStderr::k_discard);
  if (!run || run->exit_code != 0) return std::nullopt;
  return run->out;
}

}  // namespace

std::string local_user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "git";
}

Credentials::Credentials(std::string url) : m_url(std::move(url)) {}

Credentials::~Credentials() {
  // The password of an unsettled answer is not left behind in freed memory.
  if (m_helper_description)
    std::fill(m_helper_description->begin(), m_helper_description->end(), 0);
}

int Credentials::fail(std::string message) {
  m_failure = std::move(message);
  git_error_set_str(GIT_ERROR_NET, m_failure.c_str());
  return GIT_EAUTH;
}

int Credentials::acquire(git_credential** out, const char* username_from_url,
                         unsigned int allowed_types) {
  if (allowed_types & GIT_CREDENTIAL_USERNAME) {
    return git_credential_username_new(out, local_user_name().c_str());
  }
  if (allowed_types & GIT_CREDENTIAL_SSH_KEY) {
    return acquire_ssh_key(out, username_from_url ? username_from_url : local_user_name());
  }
  if (allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    return acquire_userpass(out, username_from_url);
  }
  return fail(redact_url(m_url) + " asks for an authentication method pedigree does not support");
}

int Credentials::acquire_ssh_key(git_credential** out, const std::string& user) {
  while (m_ssh_next <= static_cast<int>(k_identity_files.size())) {
    int i = m_ssh_next++;
    if (i == 0) {
      if (!agent_reachable()) continue;
      append(m_ssh_tried, "the keys of ssh-agent");
      return git_credential_ssh_key_from_agent(out, user.c_str());
    }
    const std::string name = k_identity_files[static_cast<std::size_t>(i - 1)];
    const auto file = user_ssh_dir() / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    auto text = read_file(file, 1 << 20);
    if (!text) continue;
    if (key_has_passphrase(*text)) {
      append(m_ssh_encrypted, "~/.ssh/" + name);
      continue;
    }
    append(m_ssh_tried, "~/.ssh/" + name);
    auto pub = file;
    pub += ".pub";
    const bool has_pub = std::filesystem::is_regular_file(pub, ec);
    return git_credential_ssh_key_new(out, user.c_str(), has_pub ? pub.c_str() : nullptr,
                                      file.c_str(), nullptr);
  }
  const auto url = parse_remote_url(m_url);
  std::string where = user;
  where += '@';
  where += url ? host_and_port(*url) : redact_url(m_url);
  std::string message =
      m_ssh_tried.empty()
          ? "no ssh key to log in to " + where +
                ": no ssh-agent is reachable ($SSH_AUTH_SOCK) and there is no usable "
                "~/.ssh/id_ed25519, id_ecdsa or id_rsa"
          : "ssh login to " + where + " refused: the server accepted none of " + m_ssh_tried;
  if (!m_ssh_encrypted.empty()) {
    message += "; " + m_ssh_encrypted +
               " has a passphrase, which pedigree does not ask for: load it into ssh-agent "
               "(eval $(ssh-agent); ssh-add) and run again";
  } else if (m_ssh_tried.find("id_rsa") != std::string::npos) {
    message +=
        " (is your public key in the server's authorized_keys? Debian 12's libssh2 signs with "
        "an RSA key as ssh-rsa, i.e. SHA-1, which OpenSSH 8.8 and later refuse by default: use an "
        "ed25519 or ecdsa key)";
  } else if (!m_ssh_tried.empty()) {
    message += " (is your public key in the server's authorized_keys?)";
  }
  return fail(std::move(message));
}

int Credentials::acquire_userpass(git_credential** out, const char* username_from_url) {
  const auto url = parse_remote_url(m_url);
  if (url && url->password) {
    return fail(
        "authentication failed: the server refused the username and password written "
        "in the URL");
  }
  if (m_helper_description) {
    run_git_credential("reject", *m_helper_description);
    m_helper_description.reset();
    return fail(
        "authentication failed: the server refused the username and password given by "
        "your git credential helper (`git credential reject` told it to forget them)");
  }
  if (!m_asked_helper && url) {
    m_asked_helper = true;
    if (auto request = credential_request(*url, username_from_url)) {
      if (auto answer = run_git_credential("fill", *request)) {
        auto user = credential_field(*answer, "username");
        auto password = credential_field(*answer, "password");
        if (user && password) {
          m_helper_description = std::move(*answer);
          int rc = git_credential_userpass_plaintext_new(out, user->c_str(), password->c_str());
          std::fill(password->begin(), password->end(), 0);
          return rc;
        }
      }
    }
  }
  return fail(
      "the server asks for a username and password: write them in the URL "
      "(https://USER:PASSWORD@host/path; a token goes where the password goes) or let a "
      "git credential helper provide them (gitcredentials(7); pedigree runs `git "
      "credential fill`)");
}

int Credentials::check_certificate(git_cert* cert, int valid, const char* host) {
  if (valid || cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  const auto& key = *reinterpret_cast<const git_cert_hostkey*>(cert);
  const auto url = parse_remote_url(m_url);
  const int port = url && url->port ? *url->port : 22;
  const std::string name = known_hosts_name(host, port);
  std::string known_hosts;
  if (auto text = read_file(user_known_hosts_file(), 16 << 20)) known_hosts = std::move(*text);
  std::string id = host_key_type(key) + " key " + host_key_fingerprint(key);
  std::string keyscan =
      "ssh-keyscan " + (port == 22 ? "" : "-p " + std::to_string(port) + " ") + host;
  if (known_hosts_mentions(known_hosts, name)) {
    m_failure = "the ssh host key of " + name + " (" + id +
                ") does not match the one in ~/.ssh/known_hosts: the server's key changed, or "
                "someone is intercepting the connection. If the server's owner confirms the "
                "change, replace the old key (ssh-keygen -R '" +
                name + "', then " + keyscan + " >> ~/.ssh/known_hosts)";
  } else {
    m_failure = "the ssh host key of " + name + " (" + id +
                ") is unknown: it is not in ~/.ssh/known_hosts. Check the fingerprint with the "
                "server's owner, then add it (" +
                keyscan + " >> ~/.ssh/known_hosts, or connect once with ssh)";
  }
  git_error_set_str(GIT_ERROR_SSH, m_failure.c_str());
  return GIT_ECERTIFICATE;
}

void Credentials::settle(bool succeeded) {
  if (!m_helper_description) return;
  if (succeeded) run_git_credential("approve", *m_helper_description);
  std::fill(m_helper_description->begin(), m_helper_description->end(), 0);
  m_helper_description.reset();
}

}  // namespace pedigree::sync
