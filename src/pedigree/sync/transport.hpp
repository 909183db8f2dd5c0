// Moving commits between a ledger and a remote with libgit2 (1.5 on Debian 12:
// file://, local paths, git://, ssh:// through libssh2 and https:// through
// mbedTLS; authentication and host checks in credentials.hpp). A fetch
// downloads objects only: it writes no ref and no FETCH_HEAD, so nothing a
// remote sends is reachable in the ledger before sync verified it. Messages
// never show a URL's password (redact_url).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pedigree/ledger/git.hpp"
#include "pedigree/sync/local_objects.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::sync {

// Counters from libgit2's transfer callbacks, for a progress display.
struct TransferProgress {
  enum class Phase { k_fetch, k_push };
  Phase phase = Phase::k_fetch;
  std::size_t done_objects = 0;
  std::size_t total_objects = 0;
  std::uint64_t bytes = 0;
};
using ProgressFn = std::function<void(const TransferProgress&)>;

// What the remote advertised for the ledger's branch.
struct FetchResult {
  enum class State {
    k_tip,        // the branch exists; `tip` is its commit, now in the local object store
    k_empty,      // the remote has no refs at all (a new, empty repository)
    k_no_branch,  // the remote has refs but not the branch: not a pedigree ledger
  };
  State state = State::k_empty;
  std::string tip;
  bool downloaded = false;  // false when every object was already present
  // Set instead of downloading when the remote is a local repository and
  // LocalFetch::k_borrow was asked: its objects are readable in place until
  // this is destroyed; BorrowedObjects::import keeps the verified ones.
  std::unique_ptr<BorrowedObjects> borrowed;
};

// How to fetch from a remote on the same machine: libgit2's local transport
// (a pack of the new objects, written before anything is verified), or
// reading the remote's object store in place (see local_objects.hpp).
enum class LocalFetch { k_pack, k_borrow };

// Connects to `url`, reads its refs and downloads the objects of
// refs/heads/<branch>. IOError "cannot reach" when the remote cannot be
// contacted, is not a git repository, refuses the credentials (credentials.hpp),
// or its ssh host key or TLS certificate is not trusted; InvalidArgument for a
// malformed URL or unloadable CA certificates (GIT_SSL_CAINFO, SSL_CERT_FILE).
// `progress` (may be null) is called from the transfer. With
// LocalFetch::k_borrow and a local remote, nothing is written: the result
// holds the borrowed objects (`downloaded` stays false).
Result<FetchResult> fetch_branch(ledger::GitRepo& repo, const std::string& url,
                                 const std::string& branch, const ProgressFn* progress,
                                 LocalFetch local = LocalFetch::k_pack);

// Pushes the ledger's HEAD to refs/heads/<branch> of `url`, never forcing. Conflict when the remote
// refuses (it moved since the fetch: sync again), IOError when it cannot be reached. libgit2 pushes
// to local remotes only when they are bare.
Result<void> push_branch(ledger::GitRepo& repo, const std::string& url, const std::string& branch,
                         const ProgressFn* progress);

// True when the tree of `commit` holds a regular file LEDGER.json, or when
// that tree is missing or not canonical (sync/tree_check.hpp): the verifier
// then refuses it with the precise reason rather than "not a ledger".
Result<bool> has_ledger_json(ledger::GitRepo& repo, const std::string& commit);

}  // namespace pedigree::sync
