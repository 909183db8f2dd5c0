#include "pedigree/crypto/sshsig.hpp"

#include <openssl/evp.h>

#include "pedigree/crypto/base64.hpp"

namespace pedigree::crypto {
namespace {

constexpr std::string_view k_magic = "SSHSIG";
constexpr std::uint32_t k_version = 1;
constexpr std::string_view k_key_type = "ssh-ed25519";
constexpr std::string_view k_begin = "-----BEGIN SSH SIGNATURE-----";
constexpr std::string_view k_end = "-----END SSH SIGNATURE-----";
constexpr std::size_t k_armor_columns = 70;
// Armored signatures pedigree verifies are small; refuse anything larger.
constexpr std::size_t k_max_armored_bytes = 4096;

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void put_string(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

std::string_view as_text(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string wire_public_key(const PublicKey& key) {
  std::string out;
  put_string(out, k_key_type);
  put_string(out, as_text(key.raw()));
  return out;
}

// One-shot digest with an OpenSSL algorithm ("SHA512" or "SHA256").
Result<std::string> digest(const char* algorithm, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* type = algorithm == std::string_view("SHA512") ? EVP_sha512() : EVP_sha256();
  if (EVP_Digest(message.data(), message.size(), md, &len, type, nullptr) != 1)
    return internal_error(std::string("sshsig: OpenSSL ") + algorithm + " failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string signed_data(std::string_view name_space, std::string_view hash_name,
                        std::string_view message_hash) {
  std::string out(k_magic);
  put_string(out, name_space);
  put_string(out, "");
  put_string(out, hash_name);
  put_string(out, message_hash);
  return out;
}

// Bounds-checked reads of SSH wire strings from the decoded blob.
class WireReader {
public:
  explicit WireReader(std::string_view bytes) : m_bytes(bytes) {}
  Result<std::uint32_t> u32(std::string_view what) {
    if (m_bytes.size() - m_pos < 4)
      return corruption("sshsig: truncated " + std::string(what) + " at offset " +
                        std::to_string(m_pos));
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
      value = (value << 8) | static_cast<std::uint8_t>(m_bytes[m_pos + i]);
    m_pos += 4;
    return value;
  }
  Result<std::string_view> string(std::string_view what) {
    PD_ASSIGN_OR_RETURN(std::uint32_t len, u32(what));
    if (len > m_bytes.size() - m_pos)
      return corruption("sshsig: " + std::string(what) + " length " + std::to_string(len) +
                        " exceeds the blob at offset " + std::to_string(m_pos));
    std::string_view out = m_bytes.substr(m_pos, len);
    m_pos += len;
    return out;
  }
  Result<std::string_view> raw(std::size_t len, std::string_view what) {
    if (len > m_bytes.size() - m_pos) return corruption("sshsig: truncated " + std::string(what));
    std::string_view out = m_bytes.substr(m_pos, len);
    m_pos += len;
    return out;
  }
  bool at_end() const { return m_pos == m_bytes.size(); }

private:
  std::string_view m_bytes;
  std::size_t m_pos = 0;
};

Result<std::string> dearmor(std::string_view armored) {
  if (armored.size() > k_max_armored_bytes)
    return corruption("sshsig: armored signature larger than " +
                      std::to_string(k_max_armored_bytes) + " bytes");
  std::size_t begin = armored.find(k_begin);
  std::size_t end = armored.find(k_end);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin)
    return corruption("sshsig: missing BEGIN/END SSH SIGNATURE armor");
  std::string body;
  for (char c : armored.substr(begin + k_begin.size(), end - begin - k_begin.size()))
    if (c != '\n' && c != '\r' && c != ' ') body.push_back(c);
  auto blob = base64_decode(body);
  if (!blob) return corruption("sshsig: armored body is not valid base64");
  return std::move(*blob);
}

}  // namespace

Result<std::string> sshsig_sign(const PrivateKey& key, std::string_view message,
                                std::string_view name_space) {
  PD_ASSIGN_OR_RETURN(std::string hash, digest("SHA512", message));
  PD_ASSIGN_OR_RETURN(std::string raw_sig, key.sign(signed_data(name_space, "sha512", hash)));
  std::string signature;
  put_string(signature, k_key_type);
  put_string(signature, raw_sig);

  std::string blob(k_magic);
  put_u32(blob, k_version);
  put_string(blob, wire_public_key(key.public_key()));
  put_string(blob, name_space);
  put_string(blob, "");
  put_string(blob, "sha512");
  put_string(blob, signature);

  std::string b64 = base64_encode(std::string_view(blob));
  std::string out(k_begin);
  out.push_back('\n');
  for (std::size_t i = 0; i < b64.size(); i += k_armor_columns) {
    out.append(b64, i, k_armor_columns);
    out.push_back('\n');
  }
  out.append(k_end);
  out.push_back('\n');
  return out;
}

Result<void> sshsig_verify(const PublicKey& key, std::string_view armored, std::string_view message,
                           std::string_view name_space) {
  PD_ASSIGN_OR_RETURN(std::string blob, dearmor(armored));
  WireReader reader(blob);
  PD_ASSIGN_OR_RETURN(auto magic, reader.raw(k_magic.size(), "magic"));
  if (magic != k_magic) return corruption("sshsig: blob does not start with SSHSIG");
  PD_ASSIGN_OR_RETURN(std::uint32_t version, reader.u32("version"));
  if (version != k_version)
    return corruption("sshsig: unsupported version " + std::to_string(version));
  PD_ASSIGN_OR_RETURN(auto public_key, reader.string("publickey"));
  PD_ASSIGN_OR_RETURN(auto sig_namespace, reader.string("namespace"));
  PD_ASSIGN_OR_RETURN(auto reserved, reader.string("reserved"));
  PD_ASSIGN_OR_RETURN(auto hash_name, reader.string("hash_algorithm"));
  PD_ASSIGN_OR_RETURN(auto signature, reader.string("signature"));
  if (!reader.at_end()) return corruption("sshsig: trailing bytes after the signature");
  if (public_key != wire_public_key(key))
    return untrusted("sshsig: signed by a different key than " + key.keyid());
  if (sig_namespace != name_space)
    return untrusted("sshsig: namespace '" + std::string(sig_namespace) + "', expected '" +
                     std::string(name_space) + "'");
  if (hash_name != "sha512" && hash_name != "sha256")
    return corruption("sshsig: unsupported hash algorithm '" + std::string(hash_name) + "'");
  WireReader sig_reader(signature);
  PD_ASSIGN_OR_RETURN(auto sig_type, sig_reader.string("signature type"));
  PD_ASSIGN_OR_RETURN(auto raw_sig, sig_reader.string("signature bytes"));
  if (sig_type != k_key_type || raw_sig.size() != k_ed25519_signature_size || !sig_reader.at_end())
    return corruption("sshsig: signature is not a single ssh-ed25519 signature");
  PD_ASSIGN_OR_RETURN(std::string hash,
                      digest(hash_name == "sha512" ? "SHA512" : "SHA256", message));
  if (!reserved.empty()) return corruption("sshsig: non-empty reserved field");
  std::string data = signed_data(sig_namespace, hash_name, hash);
  ByteView sig_bytes(reinterpret_cast<const std::uint8_t*>(raw_sig.data()), raw_sig.size());
  if (!key.verify(data, sig_bytes)) return untrusted("sshsig: signature does not verify");
  return {};
}

std::string ssh_public_key_line(const PublicKey& key, std::string_view comment) {
  std::string line(k_key_type);
  line.push_back(' ');
  line += base64_encode(std::string_view(wire_public_key(key)));
  if (!comment.empty()) {
    line.push_back(' ');
    line.append(comment);
  }
  return line;
}

Result<std::string> allowed_signers_line(const PublicKey& key, std::string_view principal) {
  if (principal.empty()) return invalid_argument("allowed_signers: empty principal");
  for (char c : principal) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == ',' || c == '\'')
      return invalid_argument("allowed_signers: principal '" + std::string(principal) +
                              "' holds whitespace, a quote, a comma or a control character");
  }
  return std::string(principal) + " namespaces=\"git\" " + ssh_public_key_line(key, "");
}

}  // namespace pedigree::crypto
