#include "pedigree/ledger/git_handles.hpp"

namespace pedigree {

std::string last_git_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "libgit2 error";
}

std::unexpected<Error> git_failure(const std::string& what) {
  return io_error(what + ": " + last_git_error());
}

Result<GitCommitPtr> lookup_commit(git_repository* repo, std::string_view hex) {
  const std::string id(hex);
  git_oid oid;
  git_commit* raw = nullptr;
  if (id.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, id.c_str()) != 0 ||
      git_commit_lookup(&raw, repo, &oid) != 0) {
    return not_found("commit " + id + " not in the ledger repository");
  }
  return GitCommitPtr(raw);
}

bool has_commit(git_repository* repo, const git_oid& oid) {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &oid) != 0) return false;
  git_commit_free(raw);
  return true;
}

}  // namespace pedigree
