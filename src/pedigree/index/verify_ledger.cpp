#include "pedigree/index/verify_ledger.hpp"

#include <algorithm>

#include "pedigree/crypto/base64.hpp"
#include "pedigree/index/index.hpp"
#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/recovery.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::index {
namespace {

// The key ring the index accepted, rebuilt from its keys table.
Result<ledger::KeyRing> key_ring(Index& index) {
  ledger::KeyRing ring;
  PD_ASSIGN_OR_RETURN(auto rows, index.keys());
  for (const auto& row : rows) {
    auto raw = crypto::base64_decode(row.public_key);
    if (!raw) continue;
    auto key = crypto::PublicKey::from_raw(
        ByteView(reinterpret_cast<const std::uint8_t*>(raw->data()), raw->size()));
    if (key) ring.add({std::move(*key), {row.name, row.email}});
  }
  return ring;
}

// Why an 'invalid' event failed, by the error code verification gives again.
Outcome classify_invalid(const std::filesystem::path& root, const std::string& rel,
                         const ledger::KeyRing& keys) {
  auto bytes = read_file(root / rel, ledger::k_max_event_bytes + 1);
  if (!bytes) return Outcome::k_malformed;
  auto verified = ledger::verify_event_file(rel, *bytes, keys);
  if (!verified && verified.error().code() == ErrorCode::k_untrusted) {
    return Outcome::k_bad_signature;
  }
  return Outcome::k_malformed;
}

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::k_valid: return "valid";
    case Outcome::k_untrusted: return "untrusted";
    case Outcome::k_revoked: return "revoked";
    case Outcome::k_bad_signature: return "bad-signature";
    case Outcome::k_unknown_key: return "unknown-key";
    case Outcome::k_malformed: return "malformed";
    case Outcome::k_duplicate: return "duplicate";
    case Outcome::k_bad_file: return "bad-file";
  }
  return "?";
}

std::size_t LedgerVerification::count(Outcome outcome) const {
  return static_cast<std::size_t>(std::count_if(
      files.begin(), files.end(), [&](const VerifiedFile& f) { return f.outcome == outcome; }));
}

std::optional<ErrorCode> LedgerVerification::worst() const {
  if (count(Outcome::k_bad_signature) + count(Outcome::k_unknown_key) > 0) {
    return ErrorCode::k_untrusted;
  }
  if (count(Outcome::k_malformed) + count(Outcome::k_duplicate) + count(Outcome::k_bad_file) > 0) {
    return ErrorCode::k_corruption;
  }
  return std::nullopt;
}

Result<LedgerVerification> verify_ledger(const std::filesystem::path& root,
                                         const ledger::TrustPolicy& policy) {
  // A writer killed midway left a journal: finish or undo its work first
  // (Ledger::open does, ledger/recovery.hpp), so its leftovers are not reported.
  std::error_code ec;
  if (std::filesystem::exists(ledger::attest_journal_path(root), ec)) {
    PD_TRY(ledger::Ledger::open(root));
  }
  PD_ASSIGN_OR_RETURN(Index index, Index::open_memory());
  PD_TRY(index.index_directory(root, policy));
  PD_ASSIGN_OR_RETURN(auto keys, key_ring(index));
  LedgerVerification out;
  out.root = root;
  PD_ASSIGN_OR_RETURN(Statement st, index.database().prepare(
                                        "SELECT e.path, e.id, e.signer, e.predicate, e.status, "
                                        "e.error, EXISTS (SELECT 1 FROM trust t WHERE t.keyid = "
                                        "e.signer AND t.predicate = e.predicate) FROM events e"));
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    // A copy of an event at a second path is keyed by its path: report the id its name gives.
    std::string path = st.column_text(0);
    std::string id = ledger::classify_path(path).event_id;
    VerifiedFile f{path,
                   Outcome::k_valid,
                   id.empty() ? st.column_text(1) : id,
                   st.column_text(2),
                   st.column_text(3),
                   st.column_text(5)};
    const std::string status = st.column_text(4);
    if (status == "valid") {
      f.outcome = st.column_int(6) ? Outcome::k_valid : Outcome::k_untrusted;
      if (f.outcome == Outcome::k_untrusted) {
        f.message = f.path + ": signer " + f.signer.substr(0, 16) + " is not trusted for " +
                    f.predicate + " (pedigree trust add)";
      }
    } else if (status == "revoked") {
      f.outcome = Outcome::k_revoked;
    } else if (status == "unknown-key") {
      f.outcome = Outcome::k_unknown_key;
    } else if (status == "duplicate") {
      f.outcome = Outcome::k_duplicate;
      f.message = f.path + ": " + f.message;
    } else {
      f.outcome = classify_invalid(root, f.path, keys);
    }
    out.files.push_back(std::move(f));
  }
  PD_ASSIGN_OR_RETURN(auto problems, index.problem_files());
  for (auto& [path, error] : problems) {
    out.files.push_back({path, Outcome::k_bad_file, "", "", "", error});
  }
  std::sort(out.files.begin(), out.files.end(),
            [](const VerifiedFile& a, const VerifiedFile& b) { return a.path < b.path; });
  return out;
}

Result<std::filesystem::path> find_ledger_root(const std::filesystem::path& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec).lexically_normal();
  if (!std::filesystem::is_directory(p, ec)) p = p.parent_path();
  for (; !p.empty(); p = p.parent_path()) {
    if (std::filesystem::exists(p / "LEDGER.json", ec)) return p;
    if (p == p.root_path()) break;
  }
  return not_found(path.string() + ": not inside a pedigree ledger (no LEDGER.json above it)");
}

}  // namespace pedigree::index
