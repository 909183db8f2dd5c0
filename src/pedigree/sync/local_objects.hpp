// Fetching from a remote on the same machine (a path or a file:// URL)
// without packing: the remote's object store is opened in place as a
// read-only alternate of the ledger's, for this process only, so sync can
// verify the incoming commits where they lie; only after they passed are
// the new objects copied into the ledger's own store. libgit2's local
// transport instead builds a pack of every new object (with delta search)
// and indexes it, which dominated the time of a sync on a large ledger.
//
// Integrity is unchanged: libgit2 re-hashes every object it reads from disk
// (strict hash verification, on by default), and each copied object is
// re-hashed when written and compared with its id. A refused sync leaves no
// object behind (the download used to leave an unreferenced pack).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/ledger/git.hpp"
#include "pedigree/util/error.hpp"

struct git_odb;

namespace pedigree::sync {

// The directory of the local git repository `url` names ("file:///abs/path"
// or an existing directory path), or nullopt for any other URL (network
// transports, and file:// URLs with a host or %-escapes: those go through
// libgit2's transport).
std::optional<std::filesystem::path> local_remote_dir(const std::string& url);

// The remote's objects, readable through the ledger's repository while this
// lives. Not copyable; the repository must outlive it.
class BorrowedObjects {
public:
  // Adds the object store of the repository at `remote_objects` (its
  // objects/ directory) as an in-memory alternate of `repo`. IOError when it
  // cannot be opened.
  static Result<std::unique_ptr<BorrowedObjects>> borrow(
      ledger::GitRepo& repo, const std::filesystem::path& remote_objects);
  // Gives `repo` back its own object store; uncopied objects are forgotten.
  ~BorrowedObjects();
  BorrowedObjects(const BorrowedObjects&) = delete;
  BorrowedObjects& operator=(const BorrowedObjects&) = delete;

  // Copies into the ledger's own store every object reachable from commit
  // `tip` that it lacks, never walking below the commits `known` (local
  // heads) or trees it already holds. Fewer than 256 objects are written as
  // loose files, children before parents and commits in topological order,
  // so a store interrupted midway never holds a tree or commit without what
  // it points to; more as one pack (pack_file.hpp), which appears whole or
  // not at all. Returns the number of objects copied. Corruption when an
  // object does not hash to its id; IOError when one cannot be read or written.
  Result<std::size_t> import(const std::string& tip, const std::vector<std::string>& known);

private:
  BorrowedObjects(ledger::GitRepo& repo, std::filesystem::path objects_dir, git_odb* own,
                  git_odb* mixed, git_odb* sink);
  ledger::GitRepo& m_repo;
  std::filesystem::path m_objects_dir;  // the ledger's objects/ directory
  git_odb* m_own;                       // the ledger's store, owned reference
  git_odb* m_mixed;                     // the ledger's store plus the remote's, owned reference
  git_odb* m_sink;  // writes loose objects into the ledger's store, fast compression
};

}  // namespace pedigree::sync
