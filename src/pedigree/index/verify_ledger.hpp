// `pedigree verify`: every file of a ledger's working tree (not just what git
// has committed) checked as the index checks it, then sorted into outcomes a
// user can act on. Spec: docs/trust.md, docs/cli.md (verify).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/ledger/trust.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

enum class Outcome {
  k_valid,          // signature verifies, signer trusted for the predicate
  k_untrusted,      // signature verifies, signer not trusted (shown, never used)
  k_revoked,        // revoked by its own signer
  k_bad_signature,  // the signature does not verify over the payload
  k_unknown_key,    // signed by a key the ledger's keys/ does not hold
  k_malformed,      // layout, size, JSON, envelope, statement or subject directory
  k_duplicate,      // the same statement signed again by the same key
  k_bad_file,       // a stray file, symlink or key file that does not verify
};
// "valid", "untrusted", "revoked", "bad-signature", "unknown-key", "malformed",
// "duplicate", "bad-file".
std::string_view outcome_name(Outcome outcome);

struct VerifiedFile {
  std::string path;  // ledger-relative
  Outcome outcome = Outcome::k_valid;
  std::string event_id, signer, predicate;  // events only
  std::string message;                      // why, for every outcome but valid
};

struct LedgerVerification {
  std::filesystem::path root;
  std::vector<VerifiedFile> files;  // every event file and every problem file, by path
  std::size_t count(Outcome outcome) const;
  // 0 when nothing is wrong; else the worst: Untrusted (a signature fails or a
  // key is unknown) over Corruption (malformed, duplicate, bad files).
  std::optional<ErrorCode> worst() const;
};

// Verifies the ledger whose root is `root` (the directory holding LEDGER.json),
// with `policy` deciding trust. Errors only when the directory cannot be read.
Result<LedgerVerification> verify_ledger(const std::filesystem::path& root,
                                         const ledger::TrustPolicy& policy);

// The root of the ledger holding `path` (itself or its nearest ancestor with a
// LEDGER.json); NotFound when none.
Result<std::filesystem::path> find_ledger_root(const std::filesystem::path& path);

}  // namespace pedigree::index
