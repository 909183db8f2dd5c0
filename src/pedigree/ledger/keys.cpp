#include "pedigree/ledger/keys.hpp"

#include <nlohmann/json.hpp>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/dsse.hpp"
#include "pedigree/ledger/layout.hpp"

namespace pedigree::ledger {

constexpr std::string_view k_key_type = "https://pedigree.dev/key/v1";

Result<std::string> make_key_file(const crypto::PrivateKey& key,
                                  const crypto::KeyIdentity& identity) {
  nlohmann::json payload = {{"_type", k_key_type},
                            {"algorithm", "ed25519"},
                            {"name", identity.name},
                            {"email", identity.email},
                            {"public_key", crypto::base64_encode(key.public_key().raw())}};
  PD_ASSIGN_OR_RETURN(std::string bytes, crypto::canonical_json(payload));
  PD_ASSIGN_OR_RETURN(auto env, crypto::sign_envelope(k_key_payload_type, std::move(bytes), key));
  return crypto::serialize_envelope(env);
}

Result<KeyRecord> verify_key_file(std::string_view rel_path, std::string_view bytes) {
  std::string w(rel_path);
  LayoutEntry entry = classify_path(rel_path);
  if (entry.kind != EntryKind::k_key) return corruption(w + ": not a key path");
  PD_ASSIGN_OR_RETURN(auto env, crypto::parse_envelope(bytes, w, k_max_key_file_bytes));
  if (env.payload_type != k_key_payload_type) {
    return corruption(w + ": payloadType is not " + std::string(k_key_payload_type));
  }
  PD_ASSIGN_OR_RETURN(
      auto doc, crypto::parse_canonical_json(env.payload, w + ": payload", k_max_key_file_bytes));
  if (!doc.is_object() || doc.size() != 5 || doc.value("_type", "") != k_key_type ||
      doc.value("algorithm", "") != "ed25519" || !doc["name"].is_string() ||
      !doc["email"].is_string() || !doc["public_key"].is_string()) {
    return corruption(w + ": payload is not a pedigree key/v1 record");
  }
  auto raw = crypto::base64_decode(doc["public_key"].get<std::string>());
  if (!raw) return corruption(w + ": public_key is not strict base64");
  auto key = crypto::PublicKey::from_raw(
      ByteView(reinterpret_cast<const std::uint8_t*>(raw->data()), raw->size()));
  if (!key) return std::unexpected(key.error().with_context(w));
  if (key->keyid() != entry.keyid) {
    return corruption(w + ": file name does not match the key's id " + key->keyid());
  }
  if (env.signatures.size() != 1) return corruption(w + ": expected exactly one signature");
  auto ok = crypto::verify_envelope(env, *key);
  if (!ok) return untrusted(w + ": self-signature does not verify");
  return KeyRecord{*key, {doc["name"].get<std::string>(), doc["email"].get<std::string>()}};
}

void KeyRing::add(KeyRecord record) {
  std::string id = record.key.keyid();
  m_keys.insert_or_assign(std::move(id), std::move(record));
}

const KeyRecord* KeyRing::find(std::string_view keyid) const {
  auto it = m_keys.find(keyid);
  return it == m_keys.end() ? nullptr : &it->second;
}

}  // namespace pedigree::ledger
