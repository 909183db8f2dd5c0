#include "pedigree/sync/object_bounds.hpp"
#include "pedigree/ledger/git_handles.hpp"

#include <git2.h>

namespace pedigree::sync {

Result<std::string> object_refusal(git_repository* repo, const git_oid& id, git_object_t type,
                                   std::size_t limit) {
  git_odb* raw = nullptr;
  if (git_repository_odb(&raw, repo) != 0) return io_error("cannot open the object database");
  GitOdbPtr odb(raw);
  std::size_t size = 0;
  git_object_t actual = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &actual, odb.get(), &id) != 0) return std::string("is missing");
  if (actual != type) {
    return std::string("is a ") + git_object_type2string(actual) + ", not a " +
           git_object_type2string(type);
  }
  if (size > limit) {
    return std::string("is a ") + git_object_type2string(type) + " object of " +
           std::to_string(size) + " bytes (limit " + std::to_string(limit) + ")";
  }
  return std::string();
}

}  // namespace pedigree::sync
