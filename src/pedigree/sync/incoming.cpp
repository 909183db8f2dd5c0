#include "pedigree/sync/incoming.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include <git2.h>

#include "pedigree/ledger/layout.hpp"
#include "pedigree/ledger/ledger.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/sync/commit_walk.hpp"
#include "pedigree/sync/object_bounds.hpp"
#include "pedigree/sync/tree_check.hpp"

namespace pedigree::sync {
namespace {

using ledger::GitRepo;

constexpr std::size_t k_max_readme_bytes = 256 * 1024;
constexpr std::size_t k_max_ledger_json_bytes = 64 * 1024;
constexpr std::size_t k_max_offenses = 10'000;
constexpr std::size_t k_batch = 4096;
// The "path" of an offense about a commit object itself.
constexpr const char* k_commit_object =
    "(commit object)";  // blobs held in memory at once while verifying

// An addition to verify once, however many commits or parents show it.
struct Addition {
  std::string path;
  std::string blob;
  std::string first_commit;
  ledger::EntryKind kind = ledger::EntryKind::k_stray;
  bool in_root = false;  // added by a root commit (LEDGER.json allowed)
};

class Checker {
public:
  Checker(GitRepo& repo, const ledger::KeyRing& keys, IncomingCheck& out)
      : m_repo(repo), m_keys(keys), m_out(out) {}

  void offend(const std::string& commit, const std::string& path, std::string reason) {
    if (m_out.offenses.size() < k_max_offenses) {
      m_out.offenses.push_back({commit, path, std::move(reason)});
    }
  }

  // Sorts one change of `commit` into an offense or an addition to verify.
  void classify(const std::string& commit, const GitRepo::Change& c, bool root) {
    const auto& e = c.entry;
    if (c.kind == GitRepo::ChangeKind::k_modified) {
      return offend(commit, e.path, "modifies an existing file");
    }
    if (c.kind == GitRepo::ChangeKind::k_deleted) {
      return offend(commit, e.path, "deletes an existing file");
    }
    if (e.mode == 0120000) return offend(commit, e.path, "adds a symlink");
    if (e.mode != 0100644) {
      return offend(
          commit, e.path,
          "adds a file of mode " + mode_text(e.mode) + " (only regular non-executable files)");
    }
    auto entry = ledger::classify_path(e.path);
    if (entry.kind == ledger::EntryKind::k_stray) {
      return offend(commit, e.path, "adds a file outside the ledger layout");
    }
    if (entry.kind == ledger::EntryKind::k_ledger_json && !root) {
      return offend(commit, e.path, "adds LEDGER.json outside a root commit");
    }
    auto key = e.path + '\0' + e.oid;
    if (m_seen.insert(key).second) {
      m_additions.push_back({e.path, e.oid, commit, entry.kind, root});
    }
  }

  // Verifies key files first (they may sign the events), then everything else.
  Result<void> verify_all() {
    ledger::KeyRing ring = m_keys;
    for (const auto& a : m_additions) {
      if (a.kind != ledger::EntryKind::k_key) continue;
      auto bytes = m_repo.read_blob(a.blob, ledger::k_max_key_file_bytes);
      if (!bytes) {
        offend(a.first_commit, a.path, bytes.error().message());
        continue;
      }
      auto record = ledger::verify_key_file(a.path, *bytes);
      if (!record) {
        offend(a.first_commit, a.path, record.error().message());
        continue;
      }
      ring.add(std::move(*record));
    }
    // Batches are read on this thread (libgit2 handles are not shared) while
    // the batch read before is checked on every core, then reported in order.
    std::vector<const Addition*> batch;
    std::unique_ptr<Checking> checking;
    auto next = [&]() -> Result<void> {
      PD_ASSIGN_OR_RETURN(auto read, read_batch(std::move(batch), ring));
      batch.clear();
      if (checking) report(*checking);
      checking = std::move(read);
      checking->start();
      return {};
    };
    for (const auto& a : m_additions) {
      ++m_out.files_added;
      if (a.kind == ledger::EntryKind::k_key) continue;
      batch.push_back(&a);
      if (batch.size() == k_batch) PD_TRY(next());
    }
    if (!batch.empty()) PD_TRY(next());
    if (checking) report(*checking);
    return {};
  }

private:
  static std::string mode_text(unsigned mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%o", mode);
    return buf;
  }

  // One batch of additions, read, and checked on worker threads (one per
  // core) from start() until it is destroyed or reported.
  struct Checking {
    std::vector<const Addition*> batch;
    const ledger::KeyRing* ring = nullptr;
    std::vector<std::optional<std::string>> bytes;
    std::vector<std::string> problems;  // why each was refused, "" when accepted
    std::vector<std::pair<std::string, std::string>> signed_by;
    std::vector<std::jthread> pool;  // last: joined before the vectors go

    void start() {
      unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
      if (batch.size() < 64) threads = 1;
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([this, t, threads] {
          for (std::size_t i = t; i < batch.size(); i += threads) {
            if (bytes[i]) problems[i] = check_bytes(*batch[i], *bytes[i], *ring, signed_by[i]);
          }
        });
      }
    }
  };

  // Reads the blobs of `batch`; a blob that cannot be used is a problem of
  // its file. Errors are local failures.
  Result<std::unique_ptr<Checking>> read_batch(std::vector<const Addition*> batch,
                                               const ledger::KeyRing& ring) {
    auto c = std::make_unique<Checking>();
    c->ring = &ring;
    c->bytes.resize(batch.size());
    c->problems.resize(batch.size());
    c->signed_by.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      PD_ASSIGN_OR_RETURN(c->bytes[i], read_addition(*batch[i], c->problems[i]));
    }
    c->batch = std::move(batch);
    return c;
  }

  // Waits for `c`'s checks and reports them in the batch's order.
  void report(Checking& c) {
    c.pool.clear();  // joins
    for (std::size_t i = 0; i < c.batch.size(); ++i) {
      if (!c.problems[i].empty()) offend(c.batch[i]->first_commit, c.batch[i]->path, c.problems[i]);
      if (!c.signed_by[i].first.empty()) {
        m_out.verified_signatures.push_back(std::move(c.signed_by[i]));
      }
    }
  }

  // The blob of `a`, or nullopt with `problem` saying why it cannot be used.
  Result<std::optional<std::string>> read_addition(const Addition& a, std::string& problem) {
    std::size_t limit = a.kind == ledger::EntryKind::k_event    ? ledger::k_max_event_bytes
                        : a.kind == ledger::EntryKind::k_readme ? k_max_readme_bytes
                                                                : k_max_ledger_json_bytes;
    auto bytes = m_repo.read_blob(a.blob, limit);
    if (!bytes) {
      if (bytes.error().code() == ErrorCode::k_corruption) {
        problem = bytes.error().message();
        return std::nullopt;
      }
      if (bytes.error().code() == ErrorCode::k_not_found) {  // missing, or a tree or commit
        problem = "is a file whose blob " + a.blob + " is missing or not a blob";
        return std::nullopt;
      }
      return std::unexpected(bytes.error().with_context(a.path));
    }
    return std::optional<std::string>(std::move(*bytes));
  }

  // Why the bytes of `a` are refused, or "" (thread-safe: no libgit2); an
  // event's (id, signer) in `signed_by` once its signature verified.
  static std::string check_bytes(const Addition& a, const std::string& bytes,
                                 const ledger::KeyRing& ring,
                                 std::pair<std::string, std::string>& signed_by) {
    if (a.kind == ledger::EntryKind::k_event) {
      auto ev = ledger::verify_event_file(a.path, bytes, ring);
      if (!ev) return ev.error().message();
      signed_by = {std::move(ev->event_id), std::move(ev->signer)};
    } else if (a.kind == ledger::EntryKind::k_ledger_json) {
      auto info = ledger::parse_ledger_json(bytes, a.path);
      if (!info) return info.error().message();
    }
    return "";
  }

  GitRepo& m_repo;
  const ledger::KeyRing& m_keys;
  IncomingCheck& m_out;
  std::set<std::string> m_seen;
  std::vector<Addition> m_additions;
};

}  // namespace

Result<IncomingCheck> verify_incoming(GitRepo& repo, const std::string& tip,
                                      const std::vector<std::string>& known,
                                      const ledger::KeyRing& local_keys) {
  IncomingCheck out;
  // Bounds before work (object_bounds.hpp, commit_walk.hpp): each commit's
  // size from its header and its parent count before libgit2 parses it or any
  // tree is read, and the number of new commits.
  PD_ASSIGN_OR_RETURN(auto walked, walk_new_commits(repo.native(), tip, known, k_max_new_commits));
  if (!walked.refusal.empty()) {
    out.offenses.push_back({walked.refused, k_commit_object, walked.refusal});
    return out;
  }
  const std::vector<std::string>& commits = walked.commits;
  std::map<std::string, std::vector<std::string>> parents_of;
  for (const auto& commit : commits) {
    git_oid oid;
    if (git_oid_fromstr(&oid, commit.c_str()) != 0) return io_error("bad commit id " + commit);
    PD_ASSIGN_OR_RETURN(auto refusal,
                        object_refusal(repo.native(), oid, GIT_OBJECT_COMMIT, k_max_commit_bytes));
    if (!refusal.empty()) {
      out.offenses.push_back({commit, k_commit_object, refusal});
      continue;
    }
    PD_ASSIGN_OR_RETURN(auto parents, repo.parents_of(commit));
    if (parents.size() > k_max_commit_parents) {
      out.offenses.push_back({commit, k_commit_object,
                              "has " + std::to_string(parents.size()) + " parents (limit " +
                                  std::to_string(k_max_commit_parents) + ")"});
      continue;
    }
    parents_of[commit] = std::move(parents);
  }
  if (!out.offenses.empty()) {
    out.commits = commits.size();
    return out;
  }
  // First the shape of every new tree: the diff below trusts it (sorted,
  // unique names, subtrees that are trees, bounded depth).
  NewTreeChecker trees(repo);
  for (const auto& commit : commits) {
    const auto& parents = parents_of[commit];
    PD_ASSIGN_OR_RETURN(auto offenses, trees.check(commit, parents));
    for (auto& o : offenses) {
      if (out.offenses.size() < k_max_offenses) {
        out.offenses.push_back({commit, std::move(o.path), std::move(o.reason)});
      }
    }
  }
  if (!out.offenses.empty()) {
    out.commits = commits.size();
    return out;
  }
  Checker checker(repo, local_keys, out);
  for (const auto& commit : commits) {
    ++out.commits;
    auto parents = std::move(parents_of[commit]);
    if (parents.empty()) parents.emplace_back();  // a root commit: diff with the empty tree
    for (const auto& parent : parents) {
      PD_ASSIGN_OR_RETURN(auto changes, repo.diff(parent, commit));
      for (const auto& c : changes) checker.classify(commit, c, parent.empty());
    }
  }
  PD_TRY(checker.verify_all());
  return out;
}

}  // namespace pedigree::sync
