#include "pedigree/ledger/recovery.hpp"

#include <signal.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <git2.h>
#include <nlohmann/json.hpp>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/util/fault.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::ledger {
namespace {

constexpr std::size_t k_max_journal_bytes = 1 << 20;

// Lock files libgit2 leaves when its process is killed mid-write. The caller
// holds the pedigree lock, so no pedigree process owns them; one younger than
// k_git_lock_grace may belong to a plain git command, so it is waited for.
constexpr auto k_git_lock_grace = std::chrono::seconds(2);

void clear_stale_git_locks(const std::filesystem::path& workdir) {
  const auto git = workdir / ".git";
  std::vector<std::filesystem::path> locks = {git / "index.lock", git / "HEAD.lock"};
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(git / "refs", ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().extension() == ".lock") locks.push_back(it->path());
  }
  for (const auto& lock : locks) {
    auto deadline = std::chrono::steady_clock::now() + k_git_lock_grace;
    while (std::filesystem::exists(lock, ec)) {
      auto written = std::filesystem::last_write_time(lock, ec);
      bool old = !ec && std::filesystem::file_time_type::clock::now() - written > k_git_lock_grace;
      if (old || std::chrono::steady_clock::now() >= deadline) {
        std::filesystem::remove(lock, ec);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// Removes `paths` from the working tree and the git index.
Result<void> roll_back_files(GitRepo& repo, const std::vector<std::string>& paths) {
  PD_ASSIGN_OR_RETURN(git_repository * native, repo.handle());
  git_index* raw = nullptr;
  if (git_repository_index(&raw, native) != 0) return git_failure("cannot open index");
  GitIndexPtr index(raw);
  if (git_index_read(index.get(), /*force=*/1) != 0) return git_failure("cannot read index");
  bool staged = false;
  for (const auto& path : paths) {
    std::error_code ec;
    std::filesystem::remove(repo.workdir() / path, ec);
    if (git_index_get_bypath(index.get(), path.c_str(), 0)) {
      if (git_index_remove_bypath(index.get(), path.c_str()) != 0) {
        return git_failure("cannot unstage " + path);
      }
      staged = true;
    }
  }
  if (staged && git_index_write(index.get()) != 0) return git_failure("cannot write index");
  return {};
}

Result<nlohmann::json> read_journal(const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(std::string text, read_file(path, k_max_journal_bytes));
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) doc = nlohmann::json::object();  // torn: treated as empty
  return doc;
}

// The attest journal: roll back unless the commit happened.
Result<Recovery> recover_attest(GitRepo& repo, const std::filesystem::path& path) {
  Recovery out;
  PD_ASSIGN_OR_RETURN(auto doc, read_journal(path));
  std::vector<std::string> paths;
  if (auto p = doc.find("paths"); p != doc.end() && p->is_array()) {
    for (const auto& item : *p) {
      if (item.is_string()) paths.push_back(item.get<std::string>());
    }
  }
  PD_ASSIGN_OR_RETURN(auto head, repo.head());
  std::vector<std::string> missing;
  for (const auto& rel : paths) {
    if (rel.empty() || rel.front() == '/' || rel.find("..") != std::string::npos) continue;
    remove_temporaries_of(repo.workdir() / rel);
    PD_ASSIGN_OR_RETURN(bool committed, commit_has_file(repo, head, rel));
    if (!committed) missing.push_back(rel);
  }
  if (missing.empty()) {
    out.attest_completed = true;
  } else {
    PD_TRY(roll_back_files(repo, missing));
    out.attest_rolled_back = true;
  }
  fault_point("recover: attest undone");
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return out;
}

// The sync journal: finish the merge, or check HEAD out again.
Result<void> recover_sync(GitRepo& repo, const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(auto doc, read_journal(path));
  PD_ASSIGN_OR_RETURN(git_repository * native, repo.handle());
  PD_ASSIGN_OR_RETURN(auto head, repo.head());
  const std::string new_head = doc.value("new_head", "");
  if (doc.value("old_head", "") == head.value_or("") && lookup_commit(native, new_head)) {
    // Check out before moving the branch: checkout compares against HEAD, so
    // with HEAD still at old_head it writes and stages every addition
    // (whether or not the killed run had written its files or index); moved
    // first, HEAD would already equal the target and nothing be staged.
    PD_TRY(check_out_commit(repo, new_head));
    fault_point("recover: sync checked out");
    PD_TRY(repo.advance_head(head, new_head));
  } else if (head) {
    // The branch moved since (an attest committed): the working tree and
    // index must match HEAD again.
    PD_TRY(check_out_commit(repo, *head));
  }
  fault_point("recover: sync finished");
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return {};
}

}  // namespace

void remove_temporaries_of(const std::filesystem::path& full) {
  const std::string prefix = full.filename().string() + ".tmp-";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(full.parent_path(), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().starts_with(prefix)) {
      std::filesystem::remove(it->path(), ec);
    }
  }
}

std::filesystem::path attest_journal_path(const std::filesystem::path& dir) {
  return dir / ".git" / "pedigree" / "attest-journal.json";
}

std::filesystem::path sync_journal_path(const std::filesystem::path& dir) {
  return dir / ".git" / "pedigree" / "sync-journal.json";
}

bool has_journal(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(attest_journal_path(dir), ec) ||
         std::filesystem::exists(sync_journal_path(dir), ec);
}

Result<void> write_attest_journal(const std::filesystem::path& dir,
                                  const std::optional<std::string>& old_head,
                                  const std::vector<std::string>& paths) {
  nlohmann::json doc = {{"old_head", old_head.value_or("")}, {"paths", paths}};
  return write_file_atomic(attest_journal_path(dir), doc.dump() + "\n");
}

void remove_attest_journal(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove(attest_journal_path(dir), ec);
}

Result<Recovery> recover(GitRepo& repo) {
  clear_stale_git_locks(repo.workdir());
  Recovery out;
  std::error_code ec;
  const auto sync_journal = sync_journal_path(repo.workdir());
  if (std::filesystem::exists(sync_journal, ec)) {
    PD_TRY(recover_sync(repo, sync_journal));
    out.sync_completed = true;
  }
  const auto attest_journal = attest_journal_path(repo.workdir());
  if (std::filesystem::exists(attest_journal, ec)) {
    PD_ASSIGN_OR_RETURN(Recovery attest, recover_attest(repo, attest_journal));
    out.attest_rolled_back = attest.attest_rolled_back;
    out.attest_completed = attest.attest_completed;
  }
  return out;
}

Result<bool> commit_has_file(GitRepo& repo, const std::optional<std::string>& commit,
                             const std::string& path) {
  if (!commit) return false;
  PD_ASSIGN_OR_RETURN(git_repository * native, repo.handle());
  PD_ASSIGN_OR_RETURN(GitCommitPtr c, lookup_commit(native, *commit));
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, c.get()) != 0) return git_failure("cannot read tree");
  GitTreePtr tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str());
  GitTreeEntryPtr entry(raw_entry);
  if (rc == GIT_ENOTFOUND) return false;
  if (rc != 0) return git_failure("cannot read tree of " + *commit);
  return git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB;
}

Result<KeyRing> committed_keys(GitRepo& repo, const std::optional<std::string>& commit) {
  KeyRing ring;
  if (!commit) return ring;
  PD_ASSIGN_OR_RETURN(git_repository * native, repo.handle());
  PD_ASSIGN_OR_RETURN(GitCommitPtr c, lookup_commit(native, *commit));
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, c.get()) != 0) return git_failure("cannot read tree");
  GitTreePtr root(raw_tree);
  const git_tree_entry* keys_entry = git_tree_entry_byname(root.get(), "keys");
  if (!keys_entry || git_tree_entry_type(keys_entry) != GIT_OBJECT_TREE) return ring;
  git_tree* raw_keys = nullptr;
  if (git_tree_lookup(&raw_keys, native, git_tree_entry_id(keys_entry)) != 0) {
    return git_failure("cannot read keys/ of " + *commit);
  }
  GitTreePtr keys(raw_keys);
  char hex[GIT_OID_HEXSZ + 1];
  for (std::size_t i = 0; i < git_tree_entrycount(keys.get()); ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(keys.get(), i);
    if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) continue;
    git_oid_tostr(hex, sizeof hex, git_tree_entry_id(e));
    auto bytes = repo.read_blob(hex, k_max_key_file_bytes);
    if (!bytes) continue;
    auto record = verify_key_file(std::string("keys/") + git_tree_entry_name(e), *bytes);
    if (record) ring.add(std::move(*record));
  }
  return ring;
}

Result<std::filesystem::path> make_staging_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  auto target = std::filesystem::absolute(dir, ec);
  if (ec) return io_error(dir.string() + ": " + ec.message());
  if (!target.has_filename()) target = target.parent_path();
  const auto parent = target.parent_path();
  std::string prefix = ".";  // built in steps: g++ 12 warns falsely on "." + string
  prefix += target.filename().string();
  prefix += ".pedigree-new-";
  for (auto it = std::filesystem::directory_iterator(parent, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid <= 0 || !end || *end != '\0') continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;  // still running
    std::error_code rm;
    std::filesystem::remove_all(it->path(), rm);
  }
  auto staging = parent / (prefix + std::to_string(::getpid()));
  std::filesystem::remove_all(staging, ec);
  std::filesystem::create_directories(staging, ec);
  if (ec) return io_error(staging.string() + ": cannot create: " + ec.message());
  return staging;
}

Result<void> publish_staging_dir(const std::filesystem::path& staging,
                                 const std::filesystem::path& dir) {
  fault_point("new ledger: built, not yet in place");
  if (::rename(staging.c_str(), dir.c_str()) != 0) {
    int err = errno;
    std::error_code ec;
    std::filesystem::remove_all(staging, ec);
    return io_error(dir.string() +
                    ": cannot move the new ledger into place: " + std::strerror(err));
  }
  return {};
}

Result<void> check_out_commit(GitRepo& repo, const std::string& commit_hex) {
  PD_ASSIGN_OR_RETURN(git_repository * native, repo.handle());
  PD_ASSIGN_OR_RETURN(GitCommitPtr commit, lookup_commit(native, commit_hex));
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_tree(native, reinterpret_cast<const git_object*>(commit.get()), &opts) != 0) {
    return git_failure("cannot check out " + commit_hex);
  }
  return {};
}

}  // namespace pedigree::ledger
