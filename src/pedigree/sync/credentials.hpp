// Authentication for libgit2's network transports, as a git user expects it.
//
// ssh:// (and user@host:path): the user named in the URL, else the local
// login name (as `git` + OpenSSH do). Keys are offered in order: every key
// of the running ssh-agent ($SSH_AUTH_SOCK), then the unencrypted default
// identity files ~/.ssh/id_ed25519, id_ecdsa, id_rsa. A key with a
// passphrase is never prompted for: the error says to load it into ssh-agent.
// Host keys are checked by libgit2 against ~/.ssh/known_hosts ("[host]:port"
// entries for other ports, hashed entries too); a refusal says whether the
// host is unknown or its key changed, with its SHA256 fingerprint.
//
// https://: libgit2 first sends the username and password written in the
// URL, if any. Otherwise (or for a URL with only a username) the user's git
// credential helpers are asked through `git credential fill` (git may then
// prompt on the terminal, as it does), and told afterwards whether the
// credentials worked (`approve` / `reject`). Passwords are never printed:
// every message uses redact_url().
#pragma once

#include <optional>
#include <string>

struct git_credential;
struct git_cert;

namespace pedigree::sync {

class Credentials {
public:
  explicit Credentials(std::string url);
  ~Credentials();
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // The body of libgit2's git_credential_acquire_cb: the next credential to
  // try, or GIT_EAUTH with failure() set when there is none left.
  int acquire(git_credential** out, const char* username_from_url, unsigned int allowed_types);

  // The body of git_transport_certificate_check_cb: keeps libgit2's verdict,
  // explaining a refused ssh host key in failure().
  int check_certificate(git_cert* cert, int valid, const char* host);

  // After the transfer: tells the git credential helper whether the
  // credentials it gave worked (no-op when they did not come from one).
  void settle(bool succeeded);

  // Why authentication or the host check failed, when this object knows it
  // better than libgit2's message; empty otherwise.
  const std::string& failure() const { return m_failure; }

private:
  int acquire_ssh_key(git_credential** out, const std::string& user);
  int acquire_userpass(git_credential** out, const char* username_from_url);
  int fail(std::string message);

  std::string m_url;
  std::string m_failure;
  // ssh: what was offered and what was skipped, for the final message.
  int m_ssh_next = 0;
  std::string m_ssh_tried, m_ssh_encrypted;
  // https: credentials from `git credential fill`, kept to approve or reject them.
  bool m_asked_helper = false;
  std::optional<std::string> m_helper_description;  // the fill's answer
};

// The name of the user running pedigree ($USER, else the password database).
std::string local_user_name();

}  // namespace pedigree::sync
