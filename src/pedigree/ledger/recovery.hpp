// Crash recovery shared by every command that writes a ledger (attest, sync,
// init, clone; docs/sync.md "Crash consistency"). A writer records what it is
// about to do in a journal under .git/pedigree/ before touching the working
// tree, and deletes the journal once the branch has moved. The next writer
// (or the next command that opens the ledger, see Ledger::open) finds a
// journal left by a kill and either finishes the work or undoes it (a sync
// journal only by the next writer, so that sync can report it):
//
//   attest-journal.json {"old_head","paths"}: the files one commit adds.
//     All of them in HEAD's tree -> the commit happened, nothing to do.
//     Otherwise every one not in HEAD is removed from the working tree and
//     the git index (rolled back; re-running the attest redoes it).
//   sync-journal.json {"old_head","new_head"}: a merge being applied.
//     The branch still at old_head -> moved to new_head (completed);
//     moved elsewhere -> the working tree is checked out from HEAD.
//
// In both cases temporary files (`<name>.tmp-<pid>-<n>`) left beside the
// journaled paths are removed, and so are git lock files a killed process
// left (index.lock, ref locks; one younger than 2 s is waited for, in case a
// plain git command owns it). The caller holds the ledger lock.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/ledger/git.hpp"
#include "pedigree/ledger/keys.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

struct Recovery {
  bool attest_rolled_back = false;  // an interrupted attest was undone
  bool attest_completed = false;    // an attest killed after its commit: journal dropped
  bool sync_completed = false;      // an interrupted sync merge was finished or discarded
  bool any() const { return attest_rolled_back || attest_completed || sync_completed; }
};

// Journal paths inside a ledger whose working tree is `dir`.
std::filesystem::path attest_journal_path(const std::filesystem::path& dir);
std::filesystem::path sync_journal_path(const std::filesystem::path& dir);
// Whether any journal exists (one stat each: cheap enough for every open).
bool has_journal(const std::filesystem::path& dir);

// Records, before they are written, the files an attest is about to commit on
// top of `old_head` (nullopt before the first commit).
Result<void> write_attest_journal(const std::filesystem::path& dir,
                                  const std::optional<std::string>& old_head,
                                  const std::vector<std::string>& paths);
void remove_attest_journal(const std::filesystem::path& dir);

// Removes `<file>.tmp-*` beside `full` (write_file_atomic's temporary names;
// the caller holds the ledger lock, so none belongs to a live writer).
void remove_temporaries_of(const std::filesystem::path& full);

// Finishes or undoes what a killed writer left (see above). Idempotent: a
// kill during recovery leaves the journal, and the next call redoes it.
Result<Recovery> recover(GitRepo& repo);

// Whether the tree of `commit` (nullopt: no commit yet, never) holds a file
// at the ledger-relative `path`.
Result<bool> commit_has_file(GitRepo& repo, const std::optional<std::string>& commit,
                             const std::string& path);

// The keys of keys/ in the tree of `commit` that verify (others skipped):
// what a clone of that commit knows, whatever the working tree holds.
Result<KeyRing> committed_keys(GitRepo& repo, const std::optional<std::string>& commit);

// A new ledger (init, clone, first use) is built in a hidden directory beside
// `dir`, `.<name>.pedigree-new-<pid>`, then renamed to `dir` (absent or an
// empty directory), so a kill leaves `dir` as it was. make_staging_dir
// first removes staging directories of `dir` whose process is gone.
Result<std::filesystem::path> make_staging_dir(const std::filesystem::path& dir);
// Renames `staging` to `dir`; IOError (staging removed) when `dir` appeared
// meanwhile and is not empty.
Result<void> publish_staging_dir(const std::filesystem::path& staging,
                                 const std::filesystem::path& dir);

// Writes `commit`'s tree into the git index and the working tree (tracked
// files reset to their committed bytes; untracked files left alone).
Result<void> check_out_commit(GitRepo& repo, const std::string& commit);

}  // namespace pedigree::ledger
