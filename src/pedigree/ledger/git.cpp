#include "pedigree/ledger/git.hpp"

#include <algorithm>
#include <mutex>

#include <git2.h>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/ledger/git_head.hpp"
#include "pedigree/util/fault.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::ledger {
namespace {

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, std::size_t{1} << 20);
  });
}

Result<git_oid> parse_oid(const std::string& hex) {
  git_oid oid;
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, hex.c_str()) != 0) {
    return invalid_argument("not a commit id: '" + hex + "'");
  }
  return oid;
}

std::string oid_hex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

Result<GitTreePtr> commit_tree(git_repository* repo, const std::string& commit_hex) {
  PD_TRY(parse_oid(commit_hex));  // InvalidArgument for what is not an id at all
  PD_ASSIGN_OR_RETURN(GitCommitPtr commit, lookup_commit(repo, commit_hex));
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit.get()) != 0) return git_failure("cannot read tree");
  return GitTreePtr(tree);
}

}  // namespace

void GitRepo::RepoDeleter::operator()(git_repository* repo) const {
  git_repository_free(repo);
}

GitRepo::GitRepo(git_repository* repo, std::filesystem::path workdir)
    : m_repo(repo), m_workdir(std::move(workdir)) {}

namespace {

// The plain layout libgit2 can be left to open later: `.git` a directory
// with HEAD and objects/ (anything else is opened at once, so that "not a
// git repository" is reported by open()).
bool looks_like_plain_repository(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto git_dir = dir / ".git";
  return std::filesystem::is_directory(std::filesystem::symlink_status(git_dir, ec)) &&
         std::filesystem::is_regular_file(git_dir / "HEAD", ec) &&
         std::filesystem::is_directory(git_dir / "objects", ec);
}

}  // namespace

Result<GitRepo> GitRepo::open(const std::filesystem::path& dir) {
  GitRepo out(nullptr, dir);
  if (looks_like_plain_repository(dir)) return out;
  PD_TRY(out.handle());
  return out;
}

Result<git_repository*> GitRepo::handle() const {
  if (m_repo) return m_repo.get();
  ensure_libgit2();
  git_repository* repo = nullptr;
  int rc =
      git_repository_open_ext(&repo, m_workdir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  std::unique_ptr<git_repository, RepoDeleter> owned(repo);  // possibly null
  if (rc != 0) return not_found(m_workdir.string() + ": not a git repository");
  if (git_repository_is_bare(repo)) return not_supported(m_workdir.string() + ": bare repository");
  m_repo = std::move(owned);
  return m_repo.get();
}

git_repository* GitRepo::native() const {
  auto repo = handle();
  return repo ? *repo : nullptr;
}

Result<GitRepo> GitRepo::init(const std::filesystem::path& dir) {
  ensure_libgit2();
  git_repository* repo = nullptr;
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_MKPATH;
  opts.initial_head = "main";
  int rc = git_repository_init_ext(&repo, dir.c_str(), &opts);
  GitRepo out(repo, dir);
  if (rc != 0) return git_failure(dir.string() + ": cannot create git repository");
  return out;
}

Result<std::optional<std::string>> GitRepo::head() const {
  if (auto commit = read_head_commit(m_workdir)) return std::optional<std::string>(*commit);
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, repo, "HEAD");
  if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::optional<std::string>();
  if (rc != 0) return git_failure(m_workdir.string() + ": cannot resolve HEAD");
  return std::optional<std::string>(oid_hex(&oid));
}

Result<std::string> GitRepo::commit_files(
    const std::vector<std::pair<std::string, std::string>>& files, const std::string& author_name,
    const std::string& author_email, const std::string& message, const CommitSigner* signer) {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, repo) != 0) return git_failure("cannot open index");
  GitIndexPtr index(raw_index);
  if (git_index_read(index.get(), /*force=*/1) != 0) return git_failure("cannot read index");
  for (const auto& [path, bytes] : files) {
    auto full = m_workdir / path;
    std::error_code ec;
    std::filesystem::create_directories(full.parent_path(), ec);
    if (ec) return io_error(full.parent_path().string() + ": cannot create: " + ec.message());
    PD_TRY(write_file_atomic(full, bytes));
    if (git_index_add_bypath(index.get(), path.c_str()) != 0)
      return git_failure("cannot stage " + path);
  }
  if (git_index_write(index.get()) != 0) return git_failure("cannot write index");
  fault_point("commit: git index written");
  git_oid tree_oid;
  if (git_index_write_tree(&tree_oid, index.get()) != 0) return git_failure("cannot write tree");
  PD_ASSIGN_OR_RETURN(auto head_id, head());
  std::vector<std::string> parents;
  if (head_id) parents.push_back(*head_id);
  PD_ASSIGN_OR_RETURN(std::string commit, create_commit(oid_hex(&tree_oid), parents, author_name,
                                                        author_email, message, signer));
  fault_point("commit: commit object written");
  PD_TRY(advance_head(head_id, commit));
  fault_point("commit: branch moved");
  return commit;
}

Result<std::string> GitRepo::create_commit(const std::string& tree_hex,
                                           const std::vector<std::string>& parent_ids,
                                           const std::string& author_name,
                                           const std::string& author_email,
                                           const std::string& message, const CommitSigner* signer) {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(git_oid tree_oid, parse_oid(tree_hex));
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo, &tree_oid) != 0) return git_failure("cannot read tree");
  GitTreePtr tree(raw_tree);
  git_signature* raw_sig = nullptr;
  if (git_signature_now(&raw_sig, author_name.c_str(), author_email.c_str()) != 0) {
    return git_failure("invalid author identity");
  }
  GitSignaturePtr sig(raw_sig);
  std::vector<GitCommitPtr> parents;
  std::vector<const git_commit*> parent_ptrs;
  for (const auto& id : parent_ids) {
    PD_ASSIGN_OR_RETURN(git_oid parent_oid, parse_oid(id));
    git_commit* raw_parent = nullptr;
    if (git_commit_lookup(&raw_parent, repo, &parent_oid) != 0) {
      return git_failure("cannot read parent commit " + id);
    }
    parents.emplace_back(raw_parent);
    parent_ptrs.push_back(raw_parent);
  }
  git_oid commit_oid;
  if (!signer) {
    if (git_commit_create(&commit_oid, repo, nullptr, sig.get(), sig.get(), "UTF-8",
                          message.c_str(), tree.get(), parent_ptrs.size(),
                          parent_ptrs.data()) != 0) {
      return git_failure("cannot create commit");
    }
    return oid_hex(&commit_oid);
  }
  git_buf content = GIT_BUF_INIT;
  if (git_commit_create_buffer(&content, repo, sig.get(), sig.get(), "UTF-8", message.c_str(),
                               tree.get(), parent_ptrs.size(), parent_ptrs.data()) != 0) {
    return git_failure("cannot create commit");
  }
  std::string text(content.ptr, content.size);
  git_buf_dispose(&content);
  PD_ASSIGN_OR_RETURN(std::string signature, (*signer)(text));
  if (git_commit_create_with_signature(&commit_oid, repo, text.c_str(), signature.c_str(),
                                       "gpgsig") != 0) {
    return git_failure("cannot create signed commit");
  }
  return oid_hex(&commit_oid);
}

Result<void> GitRepo::advance_head(const std::optional<std::string>& expected,
                                   const std::string& commit) {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  git_reference* raw_head = nullptr;
  if (git_reference_lookup(&raw_head, repo, "HEAD") != 0) {
    return git_failure("cannot read HEAD");
  }
  GitReferencePtr head_ref(raw_head);
  if (git_reference_type(head_ref.get()) != GIT_REFERENCE_SYMBOLIC) {
    return not_supported(m_workdir.string() + ": HEAD is detached; check out a branch first");
  }
  const std::string branch = git_reference_symbolic_target(head_ref.get());
  PD_ASSIGN_OR_RETURN(git_oid target, parse_oid(commit));
  git_reference* raw_out = nullptr;
  int rc = 0;
  if (expected) {
    PD_ASSIGN_OR_RETURN(git_oid old_oid, parse_oid(*expected));
    rc = git_reference_create_matching(&raw_out, repo, branch.c_str(), &target, 1, &old_oid,
                                       "pedigree");
  } else {
    rc = git_reference_create(&raw_out, repo, branch.c_str(), &target, 0, "pedigree");
  }
  GitReferencePtr out(raw_out);
  if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
    return conflict(branch + " moved while pedigree was writing; nothing was lost, try again");
  }
  if (rc != 0) return git_failure("cannot update " + branch);
  return {};
}

Result<std::string> GitRepo::tree_of(const std::string& commit) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(GitTreePtr tree, commit_tree(repo, commit));
  return oid_hex(git_tree_id(tree.get()));
}

Result<std::vector<std::string>> GitRepo::parents_of(const std::string& commit_hex) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_TRY(parse_oid(commit_hex));  // InvalidArgument for what is not an id at all
  PD_ASSIGN_OR_RETURN(GitCommitPtr commit, lookup_commit(repo, commit_hex));
  std::vector<std::string> out;
  for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i) {
    out.push_back(oid_hex(git_commit_parent_id(commit.get(), i)));
  }
  return out;
}

Result<std::vector<GitRepo::TreeEntry>> GitRepo::list_tree(const std::string& commit) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(GitTreePtr tree, commit_tree(repo, commit));
  std::vector<TreeEntry> out;
  auto cb = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
    auto* list = static_cast<std::vector<TreeEntry>*>(payload);
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) return 0;
    TreeEntry e;
    e.path = std::string(root) + git_tree_entry_name(entry);
    e.mode = static_cast<unsigned>(git_tree_entry_filemode(entry));
    e.oid = oid_hex(git_tree_entry_id(entry));
    list->push_back(std::move(e));
    return 0;
  };
  if (git_tree_walk(tree.get(), GIT_TREEWALK_PRE, cb, &out) != 0) return git_failure("tree walk");
  return out;
}

Result<bool> GitRepo::has_file(const std::string& commit, const std::string& path) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(GitTreePtr tree, commit_tree(repo, commit));
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, tree.get(), path.c_str()) != 0) return false;
  const bool blob = git_tree_entry_type(raw) == GIT_OBJECT_BLOB;
  git_tree_entry_free(raw);
  return blob;
}

Result<std::string> GitRepo::read_blob(const std::string& oid_text, std::size_t max_bytes) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(git_oid oid, parse_oid(oid_text));
  // The size from the object's header first: a small compressed object can
  // inflate to gigabytes, and git_blob_lookup inflates it whole.
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) != 0) return git_failure("cannot open objects");
  GitOdbPtr odb(raw_odb);
  std::size_t header_size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&header_size, &type, odb.get(), &oid) != 0 || type != GIT_OBJECT_BLOB) {
    return not_found("blob " + oid_text);
  }
  if (header_size > max_bytes) {
    return corruption("oversized file (" + std::to_string(header_size) + " bytes, limit " +
                      std::to_string(max_bytes) + ")");
  }
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo, &oid) != 0) return not_found("blob " + oid_text);
  GitBlobPtr blob(raw);
  auto size = static_cast<std::uint64_t>(git_blob_rawsize(blob.get()));
  if (size > max_bytes) {
    return corruption("oversized file (" + std::to_string(size) + " bytes, limit " +
                      std::to_string(max_bytes) + ")");
  }
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), size);
}

namespace {

// Every non-tree entry under `tree` (recursively), reported as `kind`.
Result<void> list_all(git_repository* repo, const git_tree* tree, const std::string& prefix,
                      GitRepo::ChangeKind kind, std::vector<GitRepo::Change>& out);

Result<GitTreePtr> subtree(git_repository* repo, const git_tree_entry* entry) {
  git_tree* raw = nullptr;
  if (git_tree_lookup(&raw, repo, git_tree_entry_id(entry)) != 0) {
    return git_failure(std::string("cannot read tree ") + git_tree_entry_name(entry));
  }
  return GitTreePtr(raw);
}

// One side of a difference: a whole subtree or a single entry.
Result<void> emit(git_repository* repo, const git_tree_entry* entry, const std::string& prefix,
                  GitRepo::ChangeKind kind, std::vector<GitRepo::Change>& out) {
  std::string path = prefix + git_tree_entry_name(entry);
  if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
    PD_ASSIGN_OR_RETURN(GitTreePtr t, subtree(repo, entry));
    return list_all(repo, t.get(), path + "/", kind, out);
  }
  GitRepo::Change c;
  c.kind = kind;
  c.entry.path = std::move(path);
  c.entry.mode = static_cast<unsigned>(git_tree_entry_filemode(entry));
  c.entry.oid = oid_hex(git_tree_entry_id(entry));
  out.push_back(std::move(c));
  return {};
}

Result<void> list_all(git_repository* repo, const git_tree* tree, const std::string& prefix,
                      GitRepo::ChangeKind kind, std::vector<GitRepo::Change>& out) {
  for (std::size_t i = 0; i < git_tree_entrycount(tree); ++i) {
    PD_TRY(emit(repo, git_tree_entry_byindex(tree, i), prefix, kind, out));
  }
  return {};
}

// Compares two trees, descending only into subtrees whose ids differ, so the
// cost follows the number of changed paths, not the size of the ledger.
Result<void> diff_trees(git_repository* repo, const git_tree* old_tree, const git_tree* new_tree,
                        const std::string& prefix, std::vector<GitRepo::Change>& out) {
  using Kind = GitRepo::ChangeKind;
  if (!old_tree) return list_all(repo, new_tree, prefix, Kind::k_added, out);
  for (std::size_t i = 0; i < git_tree_entrycount(new_tree); ++i) {
    const git_tree_entry* n = git_tree_entry_byindex(new_tree, i);
    const git_tree_entry* o = git_tree_entry_byname(old_tree, git_tree_entry_name(n));
    if (!o) {
      PD_TRY(emit(repo, n, prefix, Kind::k_added, out));
      continue;
    }
    if (git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(n)) &&
        git_tree_entry_filemode(o) == git_tree_entry_filemode(n)) {
      continue;
    }
    bool old_is_tree = git_tree_entry_type(o) == GIT_OBJECT_TREE;
    bool new_is_tree = git_tree_entry_type(n) == GIT_OBJECT_TREE;
    if (old_is_tree && new_is_tree) {
      PD_ASSIGN_OR_RETURN(GitTreePtr ot, subtree(repo, o));
      PD_ASSIGN_OR_RETURN(GitTreePtr nt, subtree(repo, n));
      PD_TRY(diff_trees(repo, ot.get(), nt.get(), prefix + git_tree_entry_name(n) + "/", out));
    } else if (!old_is_tree && !new_is_tree) {
      PD_TRY(emit(repo, n, prefix, Kind::k_modified, out));
    } else {  // a file replaced by a directory or the reverse
      PD_TRY(emit(repo, o, prefix, Kind::k_deleted, out));
      PD_TRY(emit(repo, n, prefix, Kind::k_added, out));
    }
  }
  for (std::size_t i = 0; i < git_tree_entrycount(old_tree); ++i) {
    const git_tree_entry* o = git_tree_entry_byindex(old_tree, i);
    if (!git_tree_entry_byname(new_tree, git_tree_entry_name(o))) {
      PD_TRY(emit(repo, o, prefix, Kind::k_deleted, out));
    }
  }
  return {};
}

}  // namespace

Result<std::vector<GitRepo::Change>> GitRepo::diff(const std::string& from,
                                                   const std::string& to) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  GitTreePtr old_tree;  // null: the empty tree
  if (!from.empty()) {
    PD_ASSIGN_OR_RETURN(old_tree, commit_tree(repo, from));
  }
  PD_ASSIGN_OR_RETURN(GitTreePtr new_tree, commit_tree(repo, to));
  std::vector<Change> out;
  PD_TRY(diff_trees(repo, old_tree.get(), new_tree.get(), "", out));
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.entry.path < b.entry.path; });
  return out;
}

Result<bool> GitRepo::is_ancestor(const std::string& ancestor,
                                  const std::string& descendant) const {
  PD_ASSIGN_OR_RETURN(git_repository * repo, handle());
  PD_ASSIGN_OR_RETURN(git_oid a, parse_oid(ancestor));
  PD_ASSIGN_OR_RETURN(git_oid d, parse_oid(descendant));
  if (git_oid_equal(&a, &d)) return true;
  if (!has_commit(repo, a)) return false;
  int rc = git_graph_descendant_of(repo, &d, &a);
  if (rc < 0) return git_failure("cannot compare history");
  return rc == 1;
}

}  // namespace pedigree::ledger
