// SSH signatures (OpenSSH PROTOCOL.sshsig) made with a pedigree Ed25519 key,
// so git (gpg.format=ssh) and `ssh-keygen -Y verify` check what pedigree signs.
//
// Signed data = "SSHSIG" || string(namespace) || string("") || string("sha512")
//               || string(SHA-512(message))
// Blob        = "SSHSIG" || uint32(1) || string(publickey) || string(namespace)
//               || string("") || string("sha512") || string(signature)
// with SSH wire strings (uint32 big-endian length + bytes), publickey =
// string("ssh-ed25519") || string(raw 32 bytes), signature =
// string("ssh-ed25519") || string(raw 64 bytes). The armored form is
// "-----BEGIN SSH SIGNATURE-----", base64 of the blob in lines of 70
// characters, "-----END SSH SIGNATURE-----", each line ending in '\n'.
#pragma once

#include <string>
#include <string_view>

#include "pedigree/crypto/ed25519.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::crypto {

// The namespace git uses for commit and tag signatures.
inline constexpr std::string_view k_sshsig_git_namespace = "git";

// The armored SSHSIG signature of `message` by `key` in `name_space`
// (hash sha512). Fails only if OpenSSL fails to sign.
Result<std::string> sshsig_sign(const PrivateKey& key, std::string_view message,
                                std::string_view name_space);

// Verifies an armored SSHSIG signature over `message`: the armor, the blob
// layout (bounds-checked), version 1, the namespace, hash sha256 or sha512,
// an ssh-ed25519 key equal to `key`, and the signature. Corruption for a
// malformed signature, Untrusted for a wrong key, namespace or signature.
Result<void> sshsig_verify(const PublicKey& key, std::string_view armored, std::string_view message,
                           std::string_view name_space);

// The OpenSSH public key line "ssh-ed25519 <base64 wire key>[ <comment>]".
std::string ssh_public_key_line(const PublicKey& key, std::string_view comment);

// One line of an allowed_signers file (ssh-keygen(1) ALLOWED SIGNERS) that
// admits `key` for `principal` in the git namespace only:
//   <principal> namespaces="git" ssh-ed25519 <base64>
// InvalidArgument when `principal` is empty or holds whitespace, quotes,
// commas or control characters (which would change the line's meaning).
Result<std::string> allowed_signers_line(const PublicKey& key, std::string_view principal);

}  // namespace pedigree::crypto
