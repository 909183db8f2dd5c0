// `pedigree sync` and `pedigree clone` as library calls (docs/sync.md).
//
// sync: finish an interrupted sync; fetch the remote's branch (objects only);
// refuse a remote whose tip does not descend from the tip last accepted from
// it (a rewrite or rollback) unless the caller accepts it; verify every
// incoming commit (incoming.hpp); merge (merge.hpp); record the accepted tip;
// push; bring the index up to date. Everything up to the merge leaves the
// ledger, its refs and its index as they were.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/index/index.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/trust.hpp"
#include "pedigree/sync/incoming.hpp"
#include "pedigree/sync/merge.hpp"
#include "pedigree/sync/transport.hpp"

namespace pedigree::sync {

enum class PushMode { k_push, k_no_push };
enum class RewritePolicy { k_refuse, k_accept };

struct SyncOptions {
  PushMode push = PushMode::k_push;
  RewritePolicy rewrite = RewritePolicy::k_refuse;
  MergeAuthor author;            // signs merge commits when author.key is set
  ProgressFn progress;           // may be empty
  int lock_timeout_ms = 60'000;  // waiting for a concurrent attest or sync
};

// How a sync ended. Anything but k_ok and k_push_refused left the ledger as it was.
enum class SyncOutcome {
  k_ok,
  k_rejected,      // incoming commits broke the ledger rules: see offenses
  k_rewrite,       // the remote no longer descends from the accepted tip
  k_unreachable,   // the remote could not be contacted or is not a git repository
  k_not_a_ledger,  // a git repository without the ledger branch or LEDGER.json
  k_unrelated,     // the union conflicts: another ledger, or local tampering
  k_push_refused,  // merged and recorded, but the remote refused or failed the push
};
std::string_view outcome_name(SyncOutcome outcome);

struct SyncReport {
  std::string remote;
  std::string url;  // the remote's URL, its password (if any) replaced by *** (redact_url)
  SyncOutcome outcome = SyncOutcome::k_ok;
  std::string message;     // why, for anything but k_ok
  bool recovered = false;  // an interrupted sync was completed first
  std::optional<std::string> remote_tip;
  std::optional<std::string> accepted_before;
  std::string head_before;
  std::string head_after;
  std::optional<MergeKind> merge;  // nullopt when nothing was merged
  std::size_t commits_checked = 0;
  std::size_t files_added = 0;
  std::vector<Offense> offenses;
  bool pushed = false;
  std::optional<index::UpdateStats> index;
  // Wall-clock seconds spent in each phase (for benchmarks and slow remotes).
  struct Seconds {
    double fetch = 0, verify = 0, merge = 0, push = 0, index = 0;
  } seconds;
};

// Syncs `ledger` with remote `name` (empty: the only remote, or "origin").
// `index` is brought to the new HEAD with `policy`. Errors are local
// failures and unknown remotes; remote-caused failures are outcomes.
Result<SyncReport> sync_remote(ledger::Ledger& ledger, index::Index& index,
                               const ledger::TrustPolicy& policy, const std::string& name,
                               const SyncOptions& options);

// Clones the ledger at `url` into `dir` (absent or empty), verifying every
// commit as sync does, and records `url` as remote "origin" with its tip
// accepted. On any refusal `dir` is removed again (or emptied when it
// existed) and the report says why.
Result<SyncReport> clone_ledger(const std::string& url, const std::filesystem::path& dir,
                                const SyncOptions& options);

}  // namespace pedigree::sync
