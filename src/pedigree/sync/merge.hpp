// Bringing verified remote commits into the ledger's branch. By design the
// union of two ledgers never conflicts (content-addressed files: distinct
// paths or identical bytes), so a merge is a fast-forward or a merge commit
// whose tree is the union. A conflict therefore means two unrelated ledgers
// (different LEDGER.json) or local tampering, and is refused.
//
// Crash safety: the new commit is created first (unreachable), then
// .git/pedigree/sync-journal.json records {old_head, new_head}, then the
// working tree and git index are brought to the new tree (a superset of the
// old one, so an `attest` committing from that index never drops a file),
// then the branch moves from old_head to new_head and the journal goes.
// complete_interrupted() finishes or discards a journal left by a kill.
// The caller holds the ledger lock (Ledger::lock_path) throughout.
#pragma once

#include <optional>
#include <string>

#include "pedigree/ledger/ledger.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::sync {

enum class MergeKind { k_up_to_date, k_fast_forward, k_merge_commit };

struct MergeResult {
  MergeKind kind = MergeKind::k_up_to_date;
  std::string head;  // the branch's commit afterwards
};

// Who signs merge commits (unsigned when `key` is null).
struct MergeAuthor {
  const crypto::PrivateKey* key = nullptr;
  std::string name = "pedigree";
  std::string email = "pedigree@pedigree.invalid";
};

// Merges verified commit `tip` into HEAD (which must exist). Conflict, with
// each conflicting path, when the trees cannot be united.
Result<MergeResult> merge_verified(ledger::Ledger& ledger, const std::string& tip,
                                   const MergeAuthor& author, const std::string& message);

// First removes git lock files (index.lock, ref locks) a killed process left
// (waiting up to 2 s for young ones). Then finishes a merge interrupted after
// its journal was written: moves the
// branch to the journal's new head if it still points at the old one, then
// brings the working tree and git index to HEAD. Returns true when there was
// a journal. A no-op otherwise.
Result<bool> complete_interrupted(ledger::Ledger& ledger);

// Points a freshly initialised repository (no commits) at `tip` and checks
// it out into its empty working tree, every file written as an addition and
// the git index written once (used by clone, whose tip's tree is verified:
// regular files in the ledger layout).
Result<void> check_out_first(ledger::GitRepo& repo, const std::string& tip);

}  // namespace pedigree::sync
