#include "pedigree/lineage/ancestry.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace pedigree::lineage {
namespace {

// Budget of edge expansions for path listing, so diamonds many levels deep
// cannot make the listing exponential.
constexpr std::size_t k_max_expansions = 200000;

// NAI share of one artifact, block by block: an interval (conflicting
// recipes), whether NAI is present at all, and whether an undeclared weight
// makes the size unknown.
struct Share {
  BlockValues lo{};
  BlockValues hi{};
  bool present = false;
  bool size_known = true;
};

Share whole_nai() {
  Share s{{}, {}, true, true};
  s.lo.fill(1);
  s.hi.fill(1);
  return s;
}

class Walker {
public:
  Walker(const FactBase& facts, Ancestry& out) : m_facts(facts), m_out(out) {}

  Share share_of(const std::string& node, bool is_target) {
    if (auto it = m_memo.find(node); it != m_memo.end()) return it->second;
    Role role = m_facts.role_of(node);
    if (is_nai_role(role)) {
      (role == Role::k_nai_leak ? m_out.reaches_leak : m_out.reaches_official) = true;
      return m_memo[node] = whole_nai();
    }
    if (role == Role::k_base) return m_memo[node] = Share{};
    // Group trusted edges by the event that stated them: each event is one recipe.
    std::map<std::string, std::vector<const Edge*>> recipes;
    for (const Edge* e : m_facts.parents_of(node)) {
      if (e->from.status == EventStatus::k_trusted)
        recipes[e->from.event_id].push_back(e);
      else if (m_ignored.insert(e).second)
        m_out.ignored_edges.push_back(e);
    }
    if (is_target) m_out.has_trusted_parents = !recipes.empty();
    if (recipes.empty()) {
      if (!is_target) m_out.unknown_roots.push_back(node);
      m_out.complete = false;
      return m_memo[node] = Share{};
    }
    if (recipes.size() > 1) note_conflict(node, recipes);
    m_stack.push_back(node);
    m_on_stack.insert(node);
    Share total;
    bool first = true;
    for (const auto& [event_id, edges] : recipes) {
      Share recipe = recipe_share(edges);
      total.present = total.present || recipe.present;
      total.size_known = total.size_known && recipe.size_known;
      for (std::size_t b = 0; b < k_merge_blocks; ++b) {
        total.lo[b] = first ? recipe.lo[b] : std::min(total.lo[b], recipe.lo[b]);
        total.hi[b] = first ? recipe.hi[b] : std::max(total.hi[b], recipe.hi[b]);
      }
      first = false;
    }
    m_on_stack.erase(node);
    m_stack.pop_back();
    return m_memo[node] = total;
  }

private:
  Share recipe_share(const std::vector<const Edge*>& edges) {
    Share sum;
    for (const Edge* e : edges) {
      if (m_on_stack.contains(e->parent)) {
        record_cycle(e->parent);
        continue;
      }
      if (m_visited.insert(e->parent).second) ++m_out.ancestors;
      Share parent = share_of(e->parent, false);
      if (!parent.present) continue;
      sum.present = true;
      auto w = block_coefficients(*e);
      if (!w || !parent.size_known) {
        sum.size_known = false;
        continue;
      }
      for (std::size_t k = 0; k < k_merge_blocks; ++k) {
        double a = (*w)[k] * parent.lo[k];
        double b = (*w)[k] * parent.hi[k];
        sum.lo[k] += std::min(a, b);
        sum.hi[k] += std::max(a, b);
      }
    }
    return sum;
  }

  void record_cycle(const std::string& back_to) {
    auto start = std::find(m_stack.begin(), m_stack.end(), back_to);
    std::vector<std::string> cycle(start, m_stack.end());
    cycle.push_back(back_to);
    m_out.cycles.push_back(std::move(cycle));
    m_out.complete = false;
  }

  void note_conflict(const std::string& node,
                     const std::map<std::string, std::vector<const Edge*>>& recipes) {
    // Recipes differ when their parents, relations or weights differ.
    using Term = std::tuple<std::string, std::string, std::optional<double>>;
    std::set<std::set<Term>> parent_sets;
    for (const auto& [id, edges] : recipes) {
      std::set<Term> parents;
      for (const Edge* e : edges) parents.insert({e->parent, e->relation, e->weight});
      parent_sets.insert(parents);
    }
    if (parent_sets.size() < 2) return;  // the same recipe stated twice: corroboration
    LineageConflict c{node, {}};
    for (const auto& [id, edges] : recipes) c.event_ids.push_back(id);
    m_out.conflicts.push_back(std::move(c));
  }

  const FactBase& m_facts;
  Ancestry& m_out;
  std::map<std::string, Share> m_memo;
  std::vector<std::string> m_stack;
  std::set<std::string> m_on_stack;
  std::set<std::string> m_visited;
  std::set<const Edge*> m_ignored;
};

// Lists paths from the target to NAI references by depth-first search.
class PathLister {
public:
  PathLister(const FactBase& facts, Ancestry& out) : m_facts(facts), m_out(out) {}

  void run(const std::string& target) {
    m_path.push_back({target, m_facts.display_name(target), "", std::nullopt, std::nullopt,
                      EventStatus::k_trusted, ""});
    m_on_path.insert(target);
    expand(target, false);
  }

private:
  void expand(const std::string& node, bool used_ignored) {
    Role role = m_facts.role_of(node);
    if (is_nai_role(role) && m_path.size() > 1) {
      emit(role, used_ignored);
      return;
    }
    if (role != Role::k_none && m_path.size() > 1) return;  // base references end a path
    for (const Edge* e : m_facts.parents_of(node)) {
      if (++m_expansions > k_max_expansions) {
        m_out.paths_truncated = true;
        return;
      }
      if (m_on_path.contains(e->parent)) continue;  // cycles are reported by Walker
      bool ignored = e->from.status != EventStatus::k_trusted;
      m_path.push_back({e->parent, m_facts.display_name(e->parent), e->relation,
                        effective_weight(*e), block_coefficients(*e), e->from.status,
                        e->from.event_id});
      m_on_path.insert(e->parent);
      expand(e->parent, used_ignored || ignored);
      m_on_path.erase(e->parent);
      m_path.pop_back();
    }
  }

  void emit(Role role, bool used_ignored) {
    NaiPath p{m_path, product(), role};
    // A negative product is a subtracted term (an add-difference's "- NAI"),
    // not a path to NAI; an undeclared weight leaves the sign open, so the
    // path stays a path (fail closed).
    bool subtracted = !used_ignored && p.product && *p.product < 0;
    auto& list =
        used_ignored ? m_out.ignored_paths : (subtracted ? m_out.subtracted_paths : m_out.paths);
    if (list.size() >= k_max_paths) {
      m_out.paths_truncated = true;
      return;
    }
    list.push_back(std::move(p));
  }

  // Block by block product of the coefficients on the current path.
  std::optional<double> product() const {
    BlockValues per_block;
    per_block.fill(1);
    for (std::size_t i = 1; i < m_path.size(); ++i) {
      if (!m_path[i].blocks) return std::nullopt;
      for (std::size_t b = 0; b < k_merge_blocks; ++b) per_block[b] *= (*m_path[i].blocks)[b];
    }
    return parameter_weighted(per_block);
  }

  const FactBase& m_facts;
  Ancestry& m_out;
  std::vector<PathStep> m_path;
  std::set<std::string> m_on_path;
  std::size_t m_expansions = 0;
};

}  // namespace

// Derived from the SD1 UNet layout (tools/sd1_layout.py, the CompVis v1
// configuration): parameters of the tensors each block's key prefix selects.
const std::array<double, k_merge_blocks> k_sd1_unet_block_params = {
    2062724,  11840,    4801280,  4801280,  921920,   15746560, 17384960, 3687040,  59345920,
    65899520, 14746880, 31138560, 31138560, 97038080, 49164800, 49164800, 63911680, 83925760,
    83925760, 90479360, 25989760, 21892480, 23530880, 6953280,  5928640,  5928640};

double parameter_weighted(const BlockValues& per_block) {
  double sum = 0, total = 0;
  for (std::size_t b = 0; b < k_merge_blocks; ++b) {
    sum += per_block[b] * k_sd1_unet_block_params[b];
    total += k_sd1_unet_block_params[b];
  }
  return sum / total;
}

std::optional<BlockValues> block_coefficients(const Edge& edge) {
  BlockValues out;
  if (!edge.weight && edge.block_weights.size() == k_merge_blocks) {
    std::copy(edge.block_weights.begin(), edge.block_weights.end(), out.begin());
    return out;
  }
  auto w = effective_weight(edge);
  if (!w) return std::nullopt;
  out.fill(*w);
  return out;
}

std::optional<double> effective_weight(const Edge& edge) {
  if (edge.weight) return edge.weight;
  if (edge.block_weights.size() == k_merge_blocks) {
    BlockValues blocks;
    std::copy(edge.block_weights.begin(), edge.block_weights.end(), blocks.begin());
    return parameter_weighted(blocks);
  }
  if (edge.relation == "finetune" || edge.relation == "conversion" ||
      edge.relation == "same-weights" || edge.relation == "lora-bake")
    return 1.0;
  return std::nullopt;
}

Ancestry trace_ancestry(const FactBase& facts, const std::string& target) {
  Ancestry out;
  Walker walker(facts, out);
  Share share = walker.share_of(target, true);
  if (share.present && share.size_known) {
    out.share_low = parameter_weighted(share.lo);
    out.share_high = parameter_weighted(share.hi);
  } else if (!share.present) {
    out.share_low = 0.0;
    out.share_high = 0.0;
  }
  PathLister lister(facts, out);
  lister.run(target);
  return out;
}

}  // namespace pedigree::lineage
