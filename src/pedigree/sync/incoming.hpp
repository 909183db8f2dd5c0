// Verification of the commits a remote offers, before any of them becomes
// reachable in the ledger. Every commit reachable from the remote tip and not
// from the local HEAD is compared with each of its parents (a root commit
// with the empty tree). First every tree the commit brings (one not already
// in a parent at the same path) must be canonical (sync/tree_check.hpp),
// because the comparison trusts sorted, unique names; a commit with a
// malformed tree is an Offense and nothing is compared. Then its changes must
// all be additions of regular files
// (mode 100644) in the ledger layout:
//   - events/..: verify_event_file (content-addressed name, canonical DSSE,
//     a signature that verifies with a key of the ledger or arriving with it);
//   - keys/<keyid>.json: verify_key_file (self-signed, keyid matches);
//   - README.md; LEDGER.json only in a root commit, and it must parse.
// Anything else (a modification, a deletion, a symlink or other mode, a stray
// path, an invalid file) is an Offense naming the commit and the path.
#pragma once

#include <string>
#include <vector>

#include "pedigree/ledger/git.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::sync {

struct Offense {
  std::string commit;  // the commit whose change is refused
  std::string path;    // ledger-relative
  std::string reason;  // one line, e.g. "modifies an existing file"
};

struct IncomingCheck {
  std::size_t commits = 0;        // commits examined
  std::size_t files_added = 0;    // distinct (path, blob) additions verified
  std::vector<Offense> offenses;  // empty when everything may be accepted
  // (event id, signer keyid) of every event file whose signature verified, for
  // the index's table of verified signatures (Index::remember_signatures), so
  // the index does not check them again.
  std::vector<std::pair<std::string, std::string>> verified_signatures;
};

// Checks the commits reachable from `tip` and from none of `known` (commit
// ids of local history; unknown ids are ignored). `local_keys` are the keys
// already in the ledger. Errors are local failures (unreadable objects); what
// the remote did wrong is reported in IncomingCheck::offenses.
Result<IncomingCheck> verify_incoming(ledger::GitRepo& repo, const std::string& tip,
                                      const std::vector<std::string>& known,
                                      const ledger::KeyRing& local_keys);

}  // namespace pedigree::sync
