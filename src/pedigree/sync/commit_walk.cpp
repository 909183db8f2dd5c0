#include "pedigree/sync/commit_walk.hpp"

#include <array>
#include <cstring>
#include <queue>
#include <tuple>
#include <unordered_map>

#include <git2.h>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/sync/object_bounds.hpp"

namespace pedigree::sync {
namespace {

// Raw ids: a walk may hold millions of commits (the limit is 5,000,000).
using Oid = std::array<unsigned char, GIT_OID_RAWSZ>;

struct OidHash {
  std::size_t operator()(const Oid& id) const {
    std::size_t h;
    std::memcpy(&h, id.data(), sizeof h);
    return h;
  }
};

Oid raw_of(const git_oid& oid) {
  Oid id;
  std::memcpy(id.data(), oid.id, id.size());
  return id;
}

std::string hex_of(const Oid& id) {
  git_oid oid;
  std::memcpy(oid.id, id.data(), id.size());
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

struct Node {
  std::vector<Oid> parents;
  std::int64_t time = 0;
  std::size_t order = 0;  // discovery order: ties of time, deterministic
  bool hidden = false;    // an ancestor of a known commit
  bool queued = false;
};

class Walk {
public:
  Walk(git_repository* repo, std::size_t limit) : m_repo(repo), m_limit(limit) {}

  // Reads commit `id` (header first, then parsed) and queues it. Returns a
  // refusal, or "" once queued (or already seen).
  Result<std::string> visit(const Oid& id, bool hidden) {
    auto seen = m_nodes.find(id);
    if (seen != m_nodes.end()) {
      if (hidden && !seen->second.hidden) hide(id);
      return std::string();
    }
    git_oid oid;
    std::memcpy(oid.id, id.data(), id.size());
    PD_ASSIGN_OR_RETURN(auto refusal,
                        object_refusal(m_repo, oid, GIT_OBJECT_COMMIT, k_max_commit_bytes));
    if (!refusal.empty()) return refusal;
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, m_repo, &oid) != 0) return std::string("cannot be parsed");
    GitCommitPtr commit(raw);
    const unsigned count = git_commit_parentcount(commit.get());
    if (count > k_max_commit_parents) {
      return "has " + std::to_string(count) + " parents (limit " +
             std::to_string(k_max_commit_parents) + ")";
    }
    Node node;
    for (unsigned i = 0; i < count; ++i)
      node.parents.push_back(raw_of(*git_commit_parent_id(commit.get(), i)));
    node.time = git_commit_time(commit.get());
    node.order = m_nodes.size();
    node.hidden = hidden;
    node.queued = true;
    if (!hidden) ++m_interesting_queued;
    m_queue.push({node.time, -static_cast<std::int64_t>(node.order), id});
    m_nodes.emplace(id, std::move(node));
    return std::string();
  }

  // Newest first, as long as a queued commit may still be new.
  Result<void> run(NewCommits& out) {
    while (m_interesting_queued > 0) {
      auto [time, order, id] = m_queue.top();
      m_queue.pop();
      Node& node = m_nodes.at(id);
      node.queued = false;
      if (!node.hidden) {
        --m_interesting_queued;
        if (++m_new > m_limit) {
          out.refusal =
              "brings more than " + std::to_string(m_limit) + " new commits (limit of one sync)";
          return {};
        }
      }
      const bool hidden = node.hidden;
      const std::vector<Oid> parents = node.parents;  // visit() may rehash m_nodes
      for (const auto& parent : parents) {
        PD_ASSIGN_OR_RETURN(auto refusal, visit(parent, hidden));
        if (!refusal.empty()) {
          out.refused = hex_of(parent);
          out.refusal = std::move(refusal);
          return {};
        }
      }
    }
    return {};
  }

  // The commits never hidden, parents before children (oldest first among
  // those ready).
  std::vector<std::string> ordered() const {
    std::unordered_map<Oid, std::size_t, OidHash> waiting;  // new parents not yet listed
    std::unordered_map<Oid, std::vector<Oid>, OidHash> children;
    using Ready = std::tuple<std::int64_t, std::size_t, Oid>;
    std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
    for (const auto& [id, node] : m_nodes) {
      if (node.hidden) continue;
      std::size_t n = 0;
      for (const auto& p : node.parents) {
        auto it = m_nodes.find(p);
        if (it != m_nodes.end() && !it->second.hidden) {
          ++n;
          children[p].push_back(id);
        }
      }
      waiting[id] = n;
      if (n == 0) ready.push({node.time, node.order, id});
    }
    std::vector<std::string> out;
    while (!ready.empty()) {
      Oid id = std::get<2>(ready.top());
      ready.pop();
      out.push_back(hex_of(id));
      for (const auto& child : children[id]) {
        if (--waiting[child] == 0) {
          const Node& c = m_nodes.at(child);
          ready.push({c.time, c.order, child});
        }
      }
    }
    return out;
  }

private:
  // Marks `id` and every ancestor seen so far hidden (a known commit reached it).
  void hide(const Oid& id) {
    std::vector<Oid> stack{id};
    while (!stack.empty()) {
      auto it = m_nodes.find(stack.back());
      stack.pop_back();
      if (it == m_nodes.end() || it->second.hidden) continue;
      it->second.hidden = true;
      if (it->second.queued) --m_interesting_queued;
      for (const auto& p : it->second.parents) stack.push_back(p);
    }
  }

  using Queued = std::tuple<std::int64_t, std::int64_t, Oid>;  // newest, then first seen
  git_repository* m_repo;
  std::size_t m_limit;
  std::unordered_map<Oid, Node, OidHash> m_nodes;
  std::priority_queue<Queued> m_queue;
  std::size_t m_interesting_queued = 0;
  std::size_t m_new = 0;
};

}  // namespace

Result<NewCommits> walk_new_commits(git_repository* repo, const std::string& tip,
                                    const std::vector<std::string>& known, std::size_t limit) {
  NewCommits out;
  Walk walk(repo, limit);
  // Known commits first: the ledger's own, already checked when they arrived.
  for (const auto& k : known) {
    git_oid oid;
    git_odb* raw = nullptr;
    if (git_oid_fromstr(&oid, k.c_str()) != 0 || git_repository_odb(&raw, repo) != 0) continue;
    GitOdbPtr odb(raw);
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &oid) != 0 || type != GIT_OBJECT_COMMIT)
      continue;
    PD_ASSIGN_OR_RETURN(auto refusal, walk.visit(raw_of(oid), true));
    if (!refusal.empty()) return io_error("known commit " + k + " " + refusal);
  }
  git_oid tip_oid;
  if (git_oid_fromstr(&tip_oid, tip.c_str()) != 0) return invalid_argument("bad commit id " + tip);
  PD_ASSIGN_OR_RETURN(auto refusal, walk.visit(raw_of(tip_oid), false));
  if (!refusal.empty()) {
    out.refused = tip;
    out.refusal = std::move(refusal);
    return out;
  }
  PD_TRY(walk.run(out));
  if (!out.refusal.empty()) {
    if (out.refused.empty()) out.refused = tip;
    return out;
  }
  out.commits = walk.ordered();
  return out;
}

}  // namespace pedigree::sync
