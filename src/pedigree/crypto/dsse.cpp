#include "pedigree/crypto/dsse.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::crypto {
namespace {

bool is_lower_hex_keyid(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> string_member(const nlohmann::json& obj, const char* name,
                                  const std::string& what) {
  auto it = obj.find(name);
  if (it == obj.end()) return corruption(what + ": missing field '" + name + "'");
  if (!it->is_string()) return corruption(what + ": field '" + name + "' is not a string");
  return it->get<std::string>();
}

// The common case, read without a JSON parser: exactly one signature, as
// serialize_envelope writes it. Every byte string this accepts is a canonical
// envelope that the general parser accepts with the same result (member order
// and names fixed, payloadType printable ASCII without quote or backslash, base64
// and hex needing no escapes); anything else returns nullopt and goes through
// the general parser, which also words the errors.
std::optional<Envelope> parse_single_signature(std::string_view bytes) {
  auto take = [&bytes](std::string_view literal) {
    if (!bytes.starts_with(literal)) return false;
    bytes.remove_prefix(literal.size());
    return true;
  };
  // The characters up to the next '"', which must be printable ASCII other than a backslash.
  auto string_body = [&bytes]() -> std::optional<std::string_view> {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(bytes[i]);
      if (c == '"') {
        std::string_view body = bytes.substr(0, i);
        bytes.remove_prefix(i + 1);
        return body;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return std::nullopt;
    }
    return std::nullopt;
  };
  if (!take("{\"payload\":\"")) return std::nullopt;
  auto payload_b64 = string_body();
  if (!payload_b64 || !take(",\"payloadType\":\"")) return std::nullopt;
  auto type = string_body();
  if (!type || !take(",\"signatures\":[{\"keyid\":\"")) return std::nullopt;
  auto keyid = string_body();
  if (!keyid || !is_lower_hex_keyid(*keyid) || !take(",\"sig\":\"")) return std::nullopt;
  auto sig_b64 = string_body();
  if (!sig_b64 || bytes != "}]}") return std::nullopt;
  auto payload = base64_decode(*payload_b64);
  auto sig = base64_decode(*sig_b64);
  if (!payload || !sig) return std::nullopt;
  Envelope env;
  env.payload_type = std::string(*type);
  env.payload = std::move(*payload);
  env.signatures.push_back({std::string(*keyid), std::move(*sig)});
  return env;
}

}  // namespace

std::string pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

Result<Envelope> sign_envelope(std::string_view payload_type, std::string payload,
                               const PrivateKey& key) {
  Envelope env;
  env.payload_type = std::string(payload_type);
  PD_ASSIGN_OR_RETURN(std::string sig, key.sign(pae(payload_type, payload)));
  env.payload = std::move(payload);
  env.signatures.push_back({key.keyid(), std::move(sig)});
  return env;
}

std::string serialize_envelope(const Envelope& envelope) {
  // Written by hand in canonical member order; base64 and hex need no escaping.
  std::string out = "{\"payload\":\"";
  out += base64_encode(envelope.payload);
  out += "\",\"payloadType\":";
  nlohmann::json type = envelope.payload_type;
  out += canonical_json(type).value_or("\"\"");
  out += ",\"signatures\":[";
  for (std::size_t i = 0; i < envelope.signatures.size(); ++i) {
    if (i) out += ',';
    out += "{\"keyid\":";
    nlohmann::json keyid = envelope.signatures[i].keyid;
    out += canonical_json(keyid).value_or("\"\"");
    out += ",\"sig\":\"";
    out += base64_encode(envelope.signatures[i].sig);
    out += "\"}";
  }
  out += "]}";
  return out;
}

Result<Envelope> parse_envelope(std::string_view bytes, std::string_view what,
                                std::size_t max_bytes) {
  if (bytes.size() <= max_bytes) {
    if (auto env = parse_single_signature(bytes)) return std::move(*env);
  }
  std::string name(what);
  PD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_canonical_json(bytes, what, max_bytes));
  if (!doc.is_object()) return corruption(name + ": envelope is not a JSON object");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "payload" && it.key() != "payloadType" && it.key() != "signatures") {
      return corruption(name + ": unexpected envelope field '" + it.key() + "'");
    }
  }
  Envelope env;
  PD_ASSIGN_OR_RETURN(env.payload_type, string_member(doc, "payloadType", name));
  PD_ASSIGN_OR_RETURN(std::string payload_b64, string_member(doc, "payload", name));
  auto payload = base64_decode(payload_b64);
  if (!payload) return corruption(name + ": field 'payload' is not strict base64");
  env.payload = std::move(*payload);
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array()) {
    return corruption(name + ": field 'signatures' missing or not an array");
  }
  if (sigs->empty() || sigs->size() > k_max_signatures) {
    return corruption(name + ": 'signatures' must hold 1 to " + std::to_string(k_max_signatures) +
                      " entries");
  }
  for (std::size_t i = 0; i < sigs->size(); ++i) {
    const auto& s = (*sigs)[i];
    std::string where = name + ": signatures[" + std::to_string(i) + "]";
    if (!s.is_object() || s.size() != 2) return corruption(where + ": expected {keyid, sig}");
    Signature sig;
    PD_ASSIGN_OR_RETURN(sig.keyid, string_member(s, "keyid", where));
    PD_ASSIGN_OR_RETURN(std::string sig_b64, string_member(s, "sig", where));
    if (!is_lower_hex_keyid(sig.keyid)) {
      return corruption(where + ": keyid is not 64 lower-case hex digits");
    }
    auto raw = base64_decode(sig_b64);
    if (!raw) return corruption(where + ": sig is not strict base64");
    sig.sig = std::move(*raw);
    env.signatures.push_back(std::move(sig));
  }
  return env;
}

Result<void> verify_envelope(const Envelope& envelope, const PublicKey& key) {
  for (const auto& sig : envelope.signatures) {
    if (sig.keyid != key.keyid()) continue;
    ByteView raw(reinterpret_cast<const std::uint8_t*>(sig.sig.data()), sig.sig.size());
    if (key.verify(pae(envelope.payload_type, envelope.payload), raw)) return {};
    return untrusted("signature by key " + key.keyid().substr(0, 16) + " does not verify");
  }
  return not_found("no signature by key " + key.keyid().substr(0, 16));
}

}  // namespace pedigree::crypto
