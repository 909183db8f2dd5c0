// The small part of libgit2 the ledger needs, behind RAII handles: open or
// init a repository, commit files on HEAD, list a commit's tree, read blobs,
// diff two commits and test ancestry. Not thread-safe: one GitRepo per thread.
//
// libgit2 is initialised and the repository opened lazily, on the first call
// that needs them: head() reads the plain layout itself (git_head.hpp), so a
// command that only learns its index is current never starts libgit2.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pedigree/util/error.hpp"

struct git_repository;

namespace pedigree::ledger {

// Signs the raw text of a commit object and returns the armored signature
// stored in its `gpgsig` header (e.g. an SSHSIG, see ledger.hpp
// ssh_commit_signer). Commits are unsigned when no signer is given.
using CommitSigner = std::function<Result<std::string>(std::string_view commit_content)>;

class GitRepo {
public:
  // Opens the repository whose working tree is `dir` (NotFound if none).
  // When `dir/.git` is a directory holding HEAD and objects/, libgit2 opens it
  // only on first use, and an error it finds then (say, a bare repository)
  // is returned by that call.
  static Result<GitRepo> open(const std::filesystem::path& dir);
  // Creates a non-bare repository in `dir` (which may exist and hold files).
  static Result<GitRepo> init(const std::filesystem::path& dir);

  const std::filesystem::path& workdir() const { return m_workdir; }
  // The commit HEAD points to, or nullopt before the first commit. Read from
  // the files directly when the layout is plain, else through libgit2.
  Result<std::optional<std::string>> head() const;

  // Writes each (ledger-relative path, bytes) into the working tree, stages
  // it and commits on HEAD with the given author (also the committer).
  // Returns the new commit's id. The caller serializes concurrent writers.
  Result<std::string> commit_files(const std::vector<std::pair<std::string, std::string>>& files,
                                   const std::string& author_name, const std::string& author_email,
                                   const std::string& message,
                                   const CommitSigner* signer = nullptr);

  // Creates a commit of tree `tree_oid` with `parents` (commit ids, in order)
  // and the given author (also the committer), signed when `signer` is given.
  // Moves no reference: see advance_head.
  Result<std::string> create_commit(const std::string& tree_oid,
                                    const std::vector<std::string>& parents,
                                    const std::string& author_name, const std::string& author_email,
                                    const std::string& message, const CommitSigner* signer);

  // Points the branch HEAD names at `commit`, provided it still points at
  // `expected` (nullopt: the branch does not exist yet). Conflict when another
  // writer moved it meanwhile. The working tree is not touched.
  Result<void> advance_head(const std::optional<std::string>& expected, const std::string& commit);

  // The id of the tree of `commit`.
  Result<std::string> tree_of(const std::string& commit) const;
  // The parents of `commit`, in order.
  Result<std::vector<std::string>> parents_of(const std::string& commit) const;

  struct TreeEntry {
    std::string path;   // '/'-separated, relative to the root
    unsigned mode = 0;  // git file mode: 0100644, 0100755, 0120000 (symlink), 0160000 (gitlink)
    std::string oid;    // blob id (hex)
  };
  // Every non-tree entry of `commit`'s tree (recursively), in path order.
  Result<std::vector<TreeEntry>> list_tree(const std::string& commit) const;

  // Whether `path` is a file (blob) in `commit`'s tree; NotFound when the
  // commit is not in the repository.
  Result<bool> has_file(const std::string& commit, const std::string& path) const;

  // The bytes of blob `oid`; Corruption if it is larger than `max_bytes`.
  Result<std::string> read_blob(const std::string& oid, std::size_t max_bytes) const;

  enum class ChangeKind { k_added, k_modified, k_deleted };
  struct Change {
    ChangeKind kind = ChangeKind::k_added;
    TreeEntry entry;  // the new side (the old side for deletions)
  };
  // Tree changes from commit `from` to commit `to` (no rename detection), in
  // path order; an empty `from` means the empty tree (everything in `to` is
  // added). Only subtrees whose ids differ are read, so the cost follows the
  // size of the change, not of the ledger.
  Result<std::vector<Change>> diff(const std::string& from, const std::string& to) const;

  // True when `ancestor` equals `descendant` or is one of its ancestors;
  // false when `ancestor` is unknown to this repository.
  Result<bool> is_ancestor(const std::string& ancestor, const std::string& descendant) const;

  // The libgit2 handle, for sibling code that needs more of libgit2 (sync/),
  // opening the repository if not done yet. Owned by this object; valid while
  // it lives. nullptr when libgit2 cannot open it (libgit2 calls then fail).
  git_repository* native() const;
  // Opens the repository with libgit2 if not done yet (see open()).
  Result<git_repository*> handle() const;

private:
  struct RepoDeleter {
    void operator()(git_repository* repo) const;
  };
  GitRepo(git_repository* repo, std::filesystem::path workdir);
  mutable std::unique_ptr<git_repository, RepoDeleter> m_repo;  // null until first needed
  std::filesystem::path m_workdir;
};

}  // namespace pedigree::ledger
