#include "pedigree/ledger/key_event.hpp"

#include "pedigree/crypto/base64.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/crypto/dsse.hpp"

namespace pedigree::ledger {
namespace {

std::string_view reason_name(KeyRetirement reason) {
  return reason == KeyRetirement::k_rotated ? "rotated" : "compromised";
}

}  // namespace

std::string succession_payload(std::string_view from, std::string_view to, KeyRetirement reason) {
  nlohmann::json doc = {{"_type", "https://pedigree.dev/key-succession/v1"},
                        {"from", from},
                        {"reason", reason_name(reason)},
                        {"to", to}};
  // Only strings: canonical serialization cannot fail.
  return crypto::canonical_json(doc).value_or(std::string());
}

Result<Statement> key_event_statement(const crypto::PrivateKey& old_key,
                                      const crypto::PrivateKey* successor, KeyRetirement reason,
                                      const std::string& ledger_commit, const std::string& note) {
  if (reason == KeyRetirement::k_rotated && !successor)
    return invalid_argument("a rotation names the successor key (--to KEYID)");
  if (successor && successor->keyid() == old_key.keyid())
    return invalid_argument("the successor must be another key than " + old_key.keyid());
  Statement st;
  st.kind = PredicateKind::k_key;
  st.subject = {"key:" + old_key.keyid().substr(0, 16), old_key.keyid(), ""};
  st.predicate = {{"reason", reason_name(reason)}};
  if (successor) {
    PD_ASSIGN_OR_RETURN(
        auto env, crypto::sign_envelope(
                      k_succession_payload_type,
                      succession_payload(old_key.keyid(), successor->keyid(), reason), *successor));
    st.predicate["successor"] = successor->keyid();
    st.predicate["successor_sig"] = crypto::base64_encode(std::string_view(env.signatures[0].sig));
  }
  if (reason == KeyRetirement::k_rotated) st.predicate["ledger_commit"] = ledger_commit;
  if (!note.empty()) st.predicate["note"] = note;
  PD_TRY(validate_predicate(st.kind, st.predicate, "key event"));
  return st;
}

Result<void> verify_key_event(const Statement& st, std::string_view signer, const KeyRing& keys,
                              std::string_view what) {
  const std::string w(what);
  if (st.subject.sha256 != signer)
    return corruption(w + ": a key event is about its own signer (signed by " +
                      std::string(signer.substr(0, 16)) + ", about " +
                      st.subject.sha256.substr(0, 16) + ")");
  auto it = st.predicate.find("successor");
  if (it == st.predicate.end()) return {};
  const std::string successor = it->get<std::string>();
  const KeyRecord* key = keys.find(successor);
  if (!key) return not_found(w + ": unknown key " + successor + " (the successor)");
  auto sig = crypto::base64_decode(st.predicate.at("successor_sig").get<std::string>());
  if (!sig) return corruption(w + ": successor_sig is not base64");
  const KeyRetirement reason = st.predicate.at("reason") == "rotated"
                                   ? KeyRetirement::k_rotated
                                   : KeyRetirement::k_compromised;
  crypto::Envelope env{std::string(k_succession_payload_type),
                       succession_payload(signer, successor, reason),
                       {{successor, *sig}}};
  if (!crypto::verify_envelope(env, key->key))
    return untrusted(w + ": the successor's signature by key " + successor.substr(0, 16) +
                     " does not verify");
  return {};
}

}  // namespace pedigree::ledger
