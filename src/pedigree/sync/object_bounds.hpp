// Bounds on what a remote controls, checked before the work they would cost
// (docs/sync.md, "Limits"). Object sizes come from the object's header
// (git_odb_read_header: the size and type of a loose object from its first
// inflated bytes, of a packed one from the pack entry or its delta header),
// so an object is never inflated whole to learn that it is too large.
#pragma once

#include <cstddef>
#include <string>

#include <git2/oid.h>
#include <git2/types.h>

#include "pedigree/util/error.hpp"

namespace pedigree::sync {

// A commit pedigree writes is under 2 KiB (two parents and an SSH signature).
inline constexpr std::size_t k_max_commit_bytes = 1u << 20;
// pedigree's merges have two parents; git's octopus merges rarely more than a few.
inline constexpr std::size_t k_max_commit_parents = 64;
// Commits one sync or clone verifies (the design's scale: 5M events, at most
// one commit each).
inline constexpr std::size_t k_max_new_commits = 5'000'000;

// Why object `id` cannot be read as a `type` of at most `limit` bytes
// ("is a commit object of N bytes (limit L)", "is missing", "is a blob, not
// a commit"), or "" when it can. IOError only when the object database
// cannot be opened.
Result<std::string> object_refusal(git_repository* repo, const git_oid& id, git_object_t type,
                                   std::size_t limit);

}  // namespace pedigree::sync
