#include "pedigree/index/signature_memo.hpp"

#include <optional>

#include "pedigree/ledger/layout.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::index {
namespace {

// 32 raw bytes from 64 hex digits; nullopt for anything else.
std::optional<std::vector<std::uint8_t>> digest_bytes(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  return bytes;
}

}  // namespace

Result<ledger::VerifiedSignatures> remembered_signatures(Database& db,
                                                         const std::vector<EventFile>& files) {
  ledger::VerifiedSignatures out;
  PD_ASSIGN_OR_RETURN(Statement st,
                      db.prepare("SELECT keyid FROM verified_signatures WHERE event_sha256 = ?1"));
  for (const auto& file : files) {
    const std::string id = ledger::classify_path(file.path).event_id;
    auto key = digest_bytes(id);
    if (!key) continue;
    st.reset();
    st.bind_blob(1, *key);
    while (true) {
      PD_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      std::string keyid = st.column_blob(0);
      if (keyid.size() != 32) continue;
      out.add(id, to_hex(ByteView(reinterpret_cast<const std::uint8_t*>(keyid.data()), 32)));
    }
  }
  return out;
}

Result<void> remember_signature(Statement& st, std::string_view event_sha256,
                                std::string_view keyid) {
  auto id = digest_bytes(event_sha256);
  auto key = digest_bytes(keyid);
  if (!id || !key) return {};  // not a digest: nothing a later lookup could match
  st.reset();
  return st.bind_blob(1, *id).bind_blob(2, *key).run();
}

}  // namespace pedigree::index
