#include "pedigree/sync/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/ledger/git_index_file.hpp"
#include "pedigree/ledger/recovery.hpp"
#include "pedigree/util/fault.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::sync {
namespace {

// Largest file written into the working tree (events and keys are far smaller).
constexpr std::size_t k_max_checkout_bytes = 64u << 20;

std::filesystem::path journal_path(const ledger::Ledger& ledger) {
  return ledger::sync_journal_path(ledger.dir());
}

// Stages `added` (files just written, with their stat data) through
// libgit2, when the git index is in a form add_to_git_index leaves to it: the
// ids are known, so unlike git_index_add_bypath nothing is re-read, re-hashed
// or looked up in .gitattributes.
Result<void> stage_with_libgit2(git_repository* repo,
                                const std::vector<ledger::GitIndexAddition>& added) {
  git_index* raw = nullptr;
  if (git_repository_index(&raw, repo) != 0) return git_failure("cannot open index");
  GitIndexPtr index(raw);
  // Not forced: git_repository_index has just read the file, and reads it
  // again only if it changed on disk since (a forced read parses all of it again).
  if (git_index_read(index.get(), /*force=*/0) != 0) return git_failure("cannot read index");
  for (const auto& a : added) {
    git_index_entry e{};
    e.ctime.seconds = static_cast<int32_t>(a.ctime_s);
    e.ctime.nanoseconds = a.ctime_ns;
    e.mtime.seconds = static_cast<int32_t>(a.mtime_s);
    e.mtime.nanoseconds = a.mtime_ns;
    e.dev = a.dev;
    e.ino = a.ino;
    e.mode = GIT_FILEMODE_BLOB;
    e.uid = a.uid;
    e.gid = a.gid;
    e.file_size = a.size;
    e.path = a.path.c_str();
    std::memcpy(e.id.id, a.id.data(), a.id.size());
    if (git_index_add(index.get(), &e) != 0) return git_failure("cannot stage " + a.path);
  }
  if (git_index_write(index.get()) != 0) return git_failure("cannot write index");
  return {};
}

// Creates `dir` and its missing parents (most already exist: one mkdir each).
Result<void> make_dirs(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST) return {};
  if (errno == ENOENT && dir.has_parent_path() && dir.parent_path() != dir) {
    PD_TRY(make_dirs(dir.parent_path()));
    if (::mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST) return {};
  }
  return io_error(dir.string() + ": cannot create: " + std::strerror(errno));
}

Result<void> write_new_file(const std::filesystem::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path.string() + ": cannot write: " + std::strerror(errno));
  int err = write_fully(fd, bytes.data(), bytes.size());
  if (::close(fd) != 0 && !err) err = errno;
  if (err) return io_error(path.string() + ": cannot write: " + std::strerror(err));
  return {};
}

// Brings the working tree and git index from `old_head` to `new_head` by
// writing only the files the new commit adds (the common case, in time
// proportional to the change); anything else falls back to a full checkout.
// Files are written without fsync: until the branch moves, the journal makes
// the next sync redo this step with a full checkout. The index gets the new
// entries spliced in (ledger/git_index_file.hpp), or through libgit2.
Result<void> apply_additions(ledger::GitRepo& repo, const std::string& old_head,
                             const std::string& new_head) {
  PD_ASSIGN_OR_RETURN(auto changes, repo.diff(old_head, new_head));
  bool only_additions = std::all_of(changes.begin(), changes.end(), [](const auto& c) {
    return c.kind == ledger::GitRepo::ChangeKind::k_added && c.entry.mode == 0100644;
  });
  if (!only_additions) return ledger::check_out_commit(repo, new_head);
  std::vector<ledger::GitIndexAddition> added(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& entry = changes[i].entry;
    PD_ASSIGN_OR_RETURN(std::string bytes, repo.read_blob(entry.oid, k_max_checkout_bytes));
    auto full = repo.workdir() / entry.path;
    PD_TRY(make_dirs(full.parent_path()));
    PD_TRY(write_new_file(full, bytes));
    fault_point("sync: file written into the working tree");
    added[i].path = entry.path;
    git_oid oid;
    if (git_oid_fromstr(&oid, entry.oid.c_str()) != 0) return git_failure("bad id " + entry.oid);
    std::memcpy(added[i].id.data(), oid.id, added[i].id.size());
    PD_TRY(ledger::stat_for_index(full, added[i]));
  }
  PD_ASSIGN_OR_RETURN(bool spliced,
                      ledger::add_to_git_index(git_repository_path(repo.native()), added));
  if (!spliced) PD_TRY(stage_with_libgit2(repo.native(), added));
  return {};
}

// The union of HEAD and `tip` as a tree id; Conflict listing the paths that differ.
Result<std::string> union_tree(git_repository* repo, const std::string& head,
                               const std::string& tip) {
  PD_ASSIGN_OR_RETURN(GitCommitPtr ours, lookup_commit(repo, head));
  PD_ASSIGN_OR_RETURN(GitCommitPtr theirs, lookup_commit(repo, tip));
  git_index* raw = nullptr;
  git_merge_options opts = GIT_MERGE_OPTIONS_INIT;
  opts.flags = static_cast<git_merge_flag_t>(0);  // collect conflicts to report them
  if (git_merge_commits(&raw, repo, ours.get(), theirs.get(), &opts) != 0) {
    return git_failure("cannot merge " + tip);
  }
  GitIndexPtr index(raw);
  if (git_index_has_conflicts(index.get())) {
    std::string paths;
    git_index_conflict_iterator* it = nullptr;
    if (git_index_conflict_iterator_new(&it, index.get()) == 0) {
      const git_index_entry *anc, *our, *their;
      int shown = 0;
      while (git_index_conflict_next(&anc, &our, &their, it) == 0 && shown++ < 20) {
        const git_index_entry* e = our ? our : their;
        paths += std::string(paths.empty() ? "" : ", ") + (e ? e->path : "?");
      }
      git_index_conflict_iterator_free(it);
    }
    return conflict("the remote's files differ from the ledger's at the same path (" + paths +
                    "): an unrelated ledger or local tampering; nothing was merged");
  }
  git_oid tree;
  if (git_index_write_tree_to(&tree, index.get(), repo) != 0) {
    return git_failure("cannot write merged tree");
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &tree);
  return std::string(hex);
}

Result<void> write_journal(const ledger::Ledger& ledger, const std::string& old_head,
                           const std::string& new_head) {
  nlohmann::json doc = {{"old_head", old_head}, {"new_head", new_head}};
  return write_file_atomic(journal_path(ledger), doc.dump() + "\n");
}

// Journal written, tree checked out, branch moved, journal removed (see header).
Result<void> advance(ledger::Ledger& ledger, const std::string& old_head,
                     const std::string& new_head) {
  PD_TRY(write_journal(ledger, old_head, new_head));
  PD_TRY(apply_additions(ledger.repo(), old_head, new_head));
  fault_point("sync: working tree and git index written");
  PD_TRY(ledger.repo().advance_head(old_head, new_head));
  fault_point("sync: branch moved");
  std::error_code ec;
  std::filesystem::remove(journal_path(ledger), ec);
  return {};
}

}  // namespace

Result<MergeResult> merge_verified(ledger::Ledger& ledger, const std::string& tip,
                                   const MergeAuthor& author, const std::string& message) {
  auto& repo = ledger.repo();
  PD_ASSIGN_OR_RETURN(auto head, repo.head());
  if (!head) return not_found(ledger.dir().string() + ": ledger has no commits");
  MergeResult result;
  PD_ASSIGN_OR_RETURN(bool have_it, repo.is_ancestor(tip, *head));
  if (have_it) {
    result.head = *head;
    return result;
  }
  PD_ASSIGN_OR_RETURN(bool fast_forward, repo.is_ancestor(*head, tip));
  std::string target = tip;
  result.kind = MergeKind::k_fast_forward;
  if (!fast_forward) {
    PD_ASSIGN_OR_RETURN(std::string tree, union_tree(repo.native(), *head, tip));
    std::optional<ledger::CommitSigner> signer;
    if (author.key) signer = ledger::ssh_commit_signer(*author.key);
    PD_ASSIGN_OR_RETURN(target, repo.create_commit(tree, {*head, tip}, author.name, author.email,
                                                   message, signer ? &*signer : nullptr));
    result.kind = MergeKind::k_merge_commit;
  }
  PD_TRY(advance(ledger, *head, target));
  result.head = target;
  return result;
}

Result<bool> complete_interrupted(ledger::Ledger& ledger) {
  PD_ASSIGN_OR_RETURN(auto recovered, ledger::recover(ledger.repo()));
  return recovered.sync_completed;
}

Result<void> check_out_first(ledger::GitRepo& repo, const std::string& tip) {
  PD_TRY(repo.advance_head(std::nullopt, tip));
  // Into an empty working tree every file of `tip` is an addition: written as
  // sync writes new files (one open, write, close and stat each; a mkdir per
  // new directory) and staged in one write of the git index. libgit2's
  // checkout compared each path with the working tree and its attributes first.
  return apply_additions(repo, "", tip);
}

}  // namespace pedigree::sync
