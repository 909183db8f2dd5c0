// Reading OpenSSH's known_hosts file (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT")
// to explain a refused ssh host key. The decision itself is libgit2's (1.5.1
// checks ~/.ssh/known_hosts through libssh2); this only tells "unknown host"
// from "changed key" so the error can say which, and what to do.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pedigree::sync {

// The name OpenSSH files a host under: "host" on port 22 (or no port),
// "[host]:port" otherwise.
std::string known_hosts_name(std::string_view host, int port);

// True when a line of `known_hosts_text` is about `name` (as known_hosts_name
// builds it): a plain host pattern equal to it, or a hashed one
// (|1|base64 salt|base64 HMAC-SHA1 of the name) that matches. Markers
// (@cert-authority, @revoked), wildcards and negations are not interpreted:
// a line only counts when it names the host exactly.
bool known_hosts_mentions(std::string_view known_hosts_text, std::string_view name);

// ~/.ssh for the home directory libgit2 uses: $HOME, else the password
// database's entry for the user.
std::filesystem::path user_ssh_dir();

// user_ssh_dir() / "known_hosts".
std::filesystem::path user_known_hosts_file();

}  // namespace pedigree::sync
