// The small part of libgit2 the ledger needs, behind RAII handles: open or
// init a repository, commit files on HEAD, list a commit's tree, read blobs,
// diff two commits and test ancestry. Not thread-safe: one GitRepo per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pedigree/util/error.hpp"

struct git_repository;

namespace pedigree::ledger {

class GitRepo {
public:
  // Opens the repository whose working tree is `dir` (NotFound if none).
  static Result<GitRepo> open(const std::filesystem::path& dir);
  // Creates a non-bare repository in `dir` (which may exist and hold files).
  static Result<GitRepo> init(const std::filesystem::path& dir);

  const std::filesystem::path& workdir() const { return m_workdir; }
  // The commit HEAD points to, or nullopt before the first commit.
  Result<std::optional<std::string>> head() const;

  // Writes each (ledger-relative path, bytes) into the working tree, stages
  // it and commits on HEAD with the given author (also the committer).
  // Returns the new commit's id. The caller serializes concurrent writers.
  Result<std::string> commit_files(const std::vector<std::pair<std::string, std::string>>& files,
                                   const std::string& author_name, const std::string& author_email,
                                   const std::string& message);

  struct TreeEntry {
    std::string path;   // '/'-separated, relative to the root
    unsigned mode = 0;  // git file mode: 0100644, 0100755, 0120000 (symlink), 0160000 (gitlink)
    std::string oid;    // blob id (hex)
  };
  // Every non-tree entry of `commit`'s tree (recursively), in path order.
  Result<std::vector<TreeEntry>> list_tree(const std::string& commit) const;

  // The bytes of blob `oid`; Corruption if it is larger than `max_bytes`.
  Result<std::string> read_blob(const std::string& oid, std::size_t max_bytes) const;

  enum class ChangeKind { k_added, k_modified, k_deleted };
  struct Change {
    ChangeKind kind = ChangeKind::k_added;
    TreeEntry entry;  // the new side (the old side for deletions)
  };
  // Tree changes from commit `from` to commit `to` (no rename detection).
  Result<std::vector<Change>> diff(const std::string& from, const std::string& to) const;

  // True when `ancestor` equals `descendant` or is one of its ancestors;
  // false when `ancestor` is unknown to this repository.
  Result<bool> is_ancestor(const std::string& ancestor, const std::string& descendant) const;

private:
  struct RepoDeleter {
    void operator()(git_repository* repo) const;
  };
  GitRepo(git_repository* repo, std::filesystem::path workdir);
  std::unique_ptr<git_repository, RepoDeleter> m_repo;
  std::filesystem::path m_workdir;
};

}  // namespace pedigree::ledger
