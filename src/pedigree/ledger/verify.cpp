#include "pedigree/ledger/verify.hpp"

#include "pedigree/crypto/digest.hpp"
#include "pedigree/ledger/key_event.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::ledger {

void VerifiedSignatures::add(std::string_view event_sha256, std::string_view keyid) {
  std::string entry(event_sha256);
  entry += ' ';
  entry += keyid;
  m_entries.insert(std::move(entry));
}

bool VerifiedSignatures::holds(std::string_view event_sha256, std::string_view keyid) const {
  std::string entry(event_sha256);
  entry += ' ';
  entry += keyid;
  return m_entries.contains(entry);
}

Result<VerifiedEvent> verify_event_file(std::string_view rel_path, std::string_view bytes,
                                        const KeyRing& keys, const VerifiedSignatures* remembered) {
  std::string w(rel_path);
  if (bytes.size() > k_max_event_bytes) {
    return corruption(w + ": oversized event (" + std::to_string(bytes.size()) + " bytes, limit " +
                      std::to_string(k_max_event_bytes) + ")");
  }
  LayoutEntry entry = classify_path(rel_path);
  if (entry.kind != EntryKind::k_event) return corruption(w + ": not an event path");
  VerifiedEvent ev;
  ev.event_id = crypto::sha256_hex(bytes);
  if (ev.event_id != entry.event_id) {
    return corruption(w + ": file name is not the SHA-256 of its contents (" + ev.event_id + ")");
  }
  PD_ASSIGN_OR_RETURN(auto env, crypto::parse_envelope(bytes, w, k_max_event_bytes));
  if (env.payload_type != k_in_toto_payload_type) {
    return corruption(w + ": payloadType is not " + std::string(k_in_toto_payload_type));
  }
  if (env.signatures.size() != 1) return corruption(w + ": expected exactly one signature");
  ev.signer = env.signatures[0].keyid;
  const KeyRecord* key = keys.find(ev.signer);
  if (!key) return not_found(w + ": unknown key " + ev.signer);
  // ev.event_id is the SHA-256 of these very bytes, computed above.
  ev.signature_remembered = remembered && remembered->holds(ev.event_id, ev.signer);
  if (!ev.signature_remembered && !crypto::verify_envelope(env, key->key))
    return untrusted(w + ": signature by key " + ev.signer.substr(0, 16) + " does not verify");
  // The signature covers env.payload exactly; parsing starts only now.
  PD_ASSIGN_OR_RETURN(ev.statement, parse_statement(env.payload, w));
  if (ev.statement.subject.sha256 != entry.subject) {
    return corruption(w + ": stored under subject " + entry.subject.substr(0, 12) +
                      " but the statement's subject is " + ev.statement.subject.sha256);
  }
  // A key event: about its own signer, and the successor it names signed too.
  if (ev.statement.kind == PredicateKind::k_key)
    PD_TRY(verify_key_event(ev.statement, ev.signer, keys, w));
  ev.payload_sha256 = crypto::sha256_hex(env.payload);
  ev.payload = std::move(env.payload);
  return ev;
}

std::string claimed_signer(std::string_view bytes) {
  auto env = crypto::parse_envelope(bytes, "event", k_max_event_bytes);
  if (!env || env->signatures.empty()) return {};
  return env->signatures[0].keyid;
}

Result<std::string> sign_statement(const Statement& statement, const crypto::PrivateKey& key) {
  PD_ASSIGN_OR_RETURN(std::string payload, statement_payload(statement));
  PD_ASSIGN_OR_RETURN(auto env,
                      crypto::sign_envelope(k_in_toto_payload_type, std::move(payload), key));
  std::string bytes = crypto::serialize_envelope(env);
  if (bytes.size() > k_max_event_bytes) {
    return invalid_argument(std::string(predicate_name(statement.kind)) + " event of " +
                            std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                            std::to_string(k_max_event_bytes));
  }
  return bytes;
}

}  // namespace pedigree::ledger
