// Reading which commit HEAD names straight from the files of a git working
// tree, without libgit2. Debian's libgit2 1.5 initialises mbedTLS and parses
// the whole system CA bundle in git_libgit2_init (~5 ms per process), which
// `check HASH` would otherwise pay only to learn that its index is current.
//
// Only the plain layout is understood: `.git` a directory, HEAD either a
// commit id (detached) or `ref: refs/heads/<name>`, the branch a loose ref
// file holding a commit id or a line of `packed-refs`. Anything else — a
// `.git` file (linked worktree, submodule), reftable, a ref naming another
// ref, a missing or malformed file, a symlink, an odd ref name, oversized
// files — returns nullopt, and the caller asks libgit2, which knows them all.
// The files are those of git's gitrepository-layout(5); docs/formats/ledger.md
// ("Reading HEAD") lists what is accepted.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pedigree::ledger {

// The 40-hex commit id HEAD resolves to in the repository whose working tree
// is `workdir`, or nullopt when the layout is anything but the plain one
// above (ask libgit2 then). Reads at most a few small files, each bounded in
// size; never follows symlinks; never fails otherwise.
std::optional<std::string> read_head_commit(const std::filesystem::path& workdir);

// The pieces, exposed for tests. Each takes file bytes and returns nullopt on
// anything it does not fully understand.

// HEAD's content: a commit id (detached) or the branch it names.
struct HeadFile {
  std::optional<std::string> commit;  // detached HEAD
  std::string branch;                 // "refs/heads/<name>" when symbolic
};
std::optional<HeadFile> parse_head_file(std::string_view bytes);

// A loose ref file: exactly one commit id and a newline (nullopt for
// `ref: ...`, i.e. a symbolic chain, and anything else).
std::optional<std::string> parse_loose_ref(std::string_view bytes);

// The commit of `refname` in a packed-refs file (nullopt when absent or when
// any line is malformed).
std::optional<std::string> find_packed_ref(std::string_view bytes, std::string_view refname);

// Whether `refname` is a branch name pedigree reads itself: "refs/heads/"
// then '/'-separated components of [A-Za-z0-9._+-], none empty, none starting
// with '.', none ending with ".lock", at most 255 bytes in all.
bool is_plain_branch_name(std::string_view refname);

}  // namespace pedigree::ledger
