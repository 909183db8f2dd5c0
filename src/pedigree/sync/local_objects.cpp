#include "pedigree/sync/local_objects.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <zlib.h>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/sync/pack_file.hpp"

namespace pedigree::sync {
namespace {

std::string hex_of(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

// From this many objects on, a copy is written as one pack rather than loose files.
constexpr std::size_t k_pack_threshold = 256;

struct OidHash {
  std::size_t operator()(const git_oid& oid) const {
    std::size_t h;
    std::memcpy(&h, oid.id, sizeof h);
    return h;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b); }
};

// Lists, in a safe writing order, the objects reachable from new commits
// that the ledger's own store lacks.
class ImportPlan {
public:
  ImportPlan(git_repository* repo, git_odb* own) : m_repo(repo), m_own(own) {}

  Result<void> add_commit(const git_oid& id) {
    if (is_present(id)) return {};
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, m_repo, &id) != 0) {
      return io_error("cannot read commit " + hex_of(id) + ": " + last_git_error());
    }
    GitCommitPtr commit(raw);
    PD_TRY(add_tree(*git_commit_tree_id(commit.get())));
    return queue(id);
  }

  const std::vector<git_oid>& order() const { return m_order; }

private:
  // A tree the store holds is complete: objects are always written after
  // everything they point to.
  Result<void> add_tree(const git_oid& id) {
    if (is_present(id)) return {};
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, m_repo, &id) != 0) {
      return io_error("cannot read tree " + hex_of(id) + ": " + last_git_error());
    }
    GitTreePtr tree(raw);
    for (std::size_t i = 0, n = git_tree_entrycount(tree.get()); i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree.get(), i);
      const git_oid& child = *git_tree_entry_id(e);
      switch (git_tree_entry_type(e)) {
        case GIT_OBJECT_TREE: PD_TRY(add_tree(child)); break;
        case GIT_OBJECT_BLOB:
          if (!is_present(child)) PD_TRY(queue(child));
          break;
        default: break;  // a submodule's commit is not an object of this repository
      }
    }
    return queue(id);
  }

  bool is_present(const git_oid& id) {
    if (m_present.contains(id)) return true;
    if (!git_odb_exists_ext(m_own, &id, GIT_ODB_LOOKUP_NO_REFRESH)) return false;
    m_present.insert(id);
    return true;
  }

  Result<void> queue(const git_oid& id) {
    m_present.insert(id);
    m_order.push_back(id);
    return {};
  }

  git_repository* m_repo;
  git_odb* m_own;
  std::unordered_set<git_oid, OidHash, OidEqual> m_present;
  std::vector<git_oid> m_order;
};

}  // namespace

std::optional<std::filesystem::path> local_remote_dir(const std::string& url) {
  std::string path;
  if (url.starts_with("file://")) {
    path = url.substr(7);
    if (path.starts_with("localhost/")) path = path.substr(9);
    if (!path.starts_with('/') || path.find('%') != std::string::npos) return std::nullopt;
  } else if (url.find("://") == std::string::npos) {
    path = url;
  } else {
    return std::nullopt;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return std::nullopt;
  return std::filesystem::path(path);
}

Result<std::unique_ptr<BorrowedObjects>> BorrowedObjects::borrow(
    ledger::GitRepo& repo, const std::filesystem::path& remote_objects) {
  git_odb* own = nullptr;
  if (git_repository_odb(&own, repo.native()) != 0) {
    return io_error("cannot open the ledger's objects: " + last_git_error());
  }
  git_buf own_path = GIT_BUF_INIT;
  git_odb* mixed = nullptr;
  git_odb* sink = nullptr;
  git_odb_backend* loose = nullptr;
  // Copied objects are mostly trees of binary ids, which compress little:
  // zlib's fastest level costs a fraction of the default's for about the
  // same size (git reads any level).
  bool ok =
      git_repository_item_path(&own_path, repo.native(), GIT_REPOSITORY_ITEM_OBJECTS) == 0 &&
      git_odb_open(&mixed, own_path.ptr) == 0 &&
      git_odb_add_disk_alternate(mixed, remote_objects.c_str()) == 0 && git_odb_new(&sink) == 0 &&
      git_odb_backend_loose(&loose, own_path.ptr, Z_BEST_SPEED, 0, 0, 0) == 0 &&
      git_odb_add_backend(sink, loose, 1) == 0 && git_repository_set_odb(repo.native(), mixed) == 0;
  if (!ok && loose && sink && git_odb_num_backends(sink) == 0) loose->free(loose);
  std::filesystem::path objects_dir = own_path.ptr ? own_path.ptr : "";
  git_buf_dispose(&own_path);
  if (!ok) {
    std::string why = last_git_error();
    git_odb_free(sink);
    git_odb_free(mixed);
    git_odb_free(own);
    return io_error("cannot read the objects of " + remote_objects.string() + ": " + why);
  }
  return std::unique_ptr<BorrowedObjects>(
      new BorrowedObjects(repo, std::move(objects_dir), own, mixed, sink));
}

BorrowedObjects::BorrowedObjects(ledger::GitRepo& repo, std::filesystem::path objects_dir,
                                 git_odb* own, git_odb* mixed, git_odb* sink)
    : m_repo(repo),
      m_objects_dir(std::move(objects_dir)),
      m_own(own),
      m_mixed(mixed),
      m_sink(sink) {}

BorrowedObjects::~BorrowedObjects() {
  git_repository_set_odb(m_repo.native(), m_own);
  git_odb_free(m_sink);
  git_odb_free(m_mixed);
  git_odb_free(m_own);
}

Result<std::size_t> BorrowedObjects::import(const std::string& tip,
                                            const std::vector<std::string>& known) {
  git_revwalk* raw = nullptr;
  if (git_revwalk_new(&raw, m_repo.native()) != 0) return io_error("cannot walk history");
  GitRevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  git_oid oid;
  if (git_oid_fromstr(&oid, tip.c_str()) != 0 || git_revwalk_push(walk.get(), &oid) != 0) {
    return io_error("cannot walk history from " + tip + ": " + last_git_error());
  }
  for (const auto& k : known) {
    git_oid hide;
    if (git_oid_fromstr(&hide, k.c_str()) == 0 && git_odb_exists(m_own, &hide)) {
      if (git_revwalk_hide(walk.get(), &hide) != 0) return io_error("cannot walk history");
    }
  }
  ImportPlan plan(m_repo.native(), m_own);
  while (git_revwalk_next(&oid, walk.get()) == 0) PD_TRY(plan.add_commit(oid));
  // Few objects: loose files; many: one pack (a file per object costs more).
  std::optional<PackFileWriter> pack;
  if (plan.order().size() >= k_pack_threshold) {
    pack.emplace(m_objects_dir, static_cast<std::uint32_t>(plan.order().size()));
  }
  for (const git_oid& id : plan.order()) {
    git_odb_object* raw_object = nullptr;
    if (git_odb_read(&raw_object, m_mixed, &id) != 0) {
      return corruption("object " + hex_of(id) + " of the remote: " + last_git_error());
    }
    GitOdbObjectPtr object(raw_object);
    const auto* data = static_cast<const unsigned char*>(git_odb_object_data(object.get()));
    std::size_t size = git_odb_object_size(object.get());
    git_object_t type = git_odb_object_type(object.get());
    if (pack) {
      ObjectId raw_id;
      std::memcpy(raw_id.data(), id.id, raw_id.size());
      PD_TRY(pack->add(raw_id, static_cast<ObjectType>(type), {data, size}));
      continue;
    }
    git_oid written;
    if (git_odb_write(&written, m_sink, data, size, type) != 0) {
      return io_error("cannot store object " + hex_of(id) + ": " + last_git_error());
    }
    if (!git_oid_equal(&written, &id)) {
      return corruption("object " + hex_of(id) + " of the remote hashes to " + hex_of(written));
    }
  }
  if (pack) {
    PD_TRY(pack->finish());
    // Make libgit2 see the new pack, and check that it finds every object in it.
    if (git_odb_refresh(m_own) != 0)
      return io_error("cannot read the copied pack: " + last_git_error());
    for (const git_oid& id : plan.order()) {
      if (!git_odb_exists(m_own, &id)) {
        return corruption("object " + hex_of(id) + " of the remote is not in the copied pack");
      }
    }
  }
  return plan.order().size();
}

}  // namespace pedigree::sync
