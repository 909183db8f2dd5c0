// The new commits of a remote's branch, listed without letting libgit2 parse
// one before its size is known (docs/sync.md, "Limits"). libgit2's revision
// walk parses every commit it reaches; here each commit's size and type come
// from its object header (object_bounds.hpp) first, and a commit over
// k_max_commit_bytes or with more than k_max_commit_parents parents stops
// the walk with a refusal naming it, before anything else reads it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <git2/types.h>

#include "pedigree/util/error.hpp"

namespace pedigree::sync {

struct NewCommits {
  // Reachable from the tip and not from any known commit, parents before
  // children. Empty when `refusal` is set.
  std::vector<std::string> commits;
  // The commit the walk refused ("" when none) and why: "is a commit object
  // of N bytes (limit L)", "is missing", "has N parents (limit 64)", or that
  // the walk found more than the limit of new commits (then `refused` is the tip).
  std::string refused, refusal;
};

// Walks from `tip` down to the commits of `known` (ids that are not commits
// of `repo` are ignored) as git does: newest commit first, until every
// commit still queued is an ancestor of a known one. At most `limit` new
// commits; one more is a refusal. IOError when the object database fails.
Result<NewCommits> walk_new_commits(git_repository* repo, const std::string& tip,
                                    const std::vector<std::string>& known, std::size_t limit);

}  // namespace pedigree::sync
