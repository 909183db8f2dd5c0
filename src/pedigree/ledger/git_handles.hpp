// The libgit2 handles pedigree holds, declared once as RAII types, and the
// few calls every user of libgit2 repeats: the text of libgit2's last error
// and looking a commit up by its hex id. Included by the .cpp files of
// ledger/ and sync/ that call libgit2 (this header pulls in <git2.h>).
#pragma once

#include <string>
#include <string_view>

#include <git2.h>

#include "pedigree/util/error.hpp"
#include "pedigree/util/unique_handle.hpp"

namespace pedigree {

using GitRepositoryPtr = UniqueHandle<git_repository, git_repository_free>;
using GitCommitPtr = UniqueHandle<git_commit, git_commit_free>;
using GitTreePtr = UniqueHandle<git_tree, git_tree_free>;
using GitTreeEntryPtr = UniqueHandle<git_tree_entry, git_tree_entry_free>;
using GitIndexPtr = UniqueHandle<git_index, git_index_free>;
using GitBlobPtr = UniqueHandle<git_blob, git_blob_free>;
using GitSignaturePtr = UniqueHandle<git_signature, git_signature_free>;
using GitReferencePtr = UniqueHandle<git_reference, git_reference_free>;
using GitOdbPtr = UniqueHandle<git_odb, git_odb_free>;
using GitOdbObjectPtr = UniqueHandle<git_odb_object, git_odb_object_free>;
using GitRevwalkPtr = UniqueHandle<git_revwalk, git_revwalk_free>;
using GitRemotePtr = UniqueHandle<git_remote, git_remote_free>;

// libgit2's message for the last failed call on this thread, or "libgit2
// error" when it left none.
std::string last_git_error();

// IOError "<what>: <libgit2's message>", for a libgit2 call that failed.
std::unexpected<Error> git_failure(const std::string& what);

// The commit whose full 40-digit hex id is `hex`. NotFound ("commit HEX not
// in the ledger repository") when `hex` is not such an id or the repository
// has no such commit.
Result<GitCommitPtr> lookup_commit(git_repository* repo, std::string_view hex);

// Whether `repo` holds the commit `oid` (parsed, not merely an object of that id).
bool has_commit(git_repository* repo, const git_oid& oid);

}  // namespace pedigree
