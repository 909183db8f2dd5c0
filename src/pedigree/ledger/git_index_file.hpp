// Adding new files to a repository's git index (.git/index) by splicing the
// file, without loading it. libgit2 parses every entry of the index into
// memory (a hash map and an allocation per entry), checks it, and writes it
// all back: for a ledger of 100,000 files that dominated the time of a sync
// that adds a few. Here the file's bytes are copied around the new entries,
// which are inserted at their sorted places. Format: gitformat-index(5).
//
// Only the common case is handled; anything else is left to libgit2 (the
// function returns false without writing): index version 4 (prefix-
// compressed paths), a mandatory extension (split index, sparse index),
// conflict entries (stages 1-3), an added path already present, a file
// where an added path needs a directory or the reverse, a checksum that does
// not match. Optional extensions are dropped, as libgit2 drops those it does
// not know, except the cache of tree ids (TREE), whose nodes on the way to an
// added path are invalidated exactly as git_index_add does, so the next
// commit rebuilds only those trees.
//
// The new index is written to .git/index.lock and renamed over .git/index
// (git's own protocol): a concurrent git command that holds the lock makes
// this fail with IOError, and a process killed midway leaves the old index
// and a stale index.lock (which sync removes when it recovers).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pedigree/util/error.hpp"

namespace pedigree::ledger {

// A regular file (mode 100644) just written into the working tree, with the
// stat data git compares to decide that it is unchanged.
struct GitIndexAddition {
  std::string path;                  // repository-relative, '/'-separated
  std::array<unsigned char, 20> id;  // its blob id
  std::uint32_t ctime_s = 0, ctime_ns = 0, mtime_s = 0, mtime_ns = 0;
  std::uint32_t dev = 0, ino = 0, uid = 0, gid = 0, size = 0;
};

// Fills the stat fields of `addition` from the file at `full_path`.
// IOError when it cannot be stat'ed.
Result<void> stat_for_index(const std::filesystem::path& full_path, GitIndexAddition& addition);

// Inserts `additions` into the git index of the repository whose git
// directory is `git_dir` (an absent index is read as an empty one). True when done; false when the
// index is in a form left to libgit2 (see above; nothing written). IOError when the index cannot be
// read or written.
Result<bool> add_to_git_index(const std::filesystem::path& git_dir,
                              std::vector<GitIndexAddition> additions);

}  // namespace pedigree::ledger
