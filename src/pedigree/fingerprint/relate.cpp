#include "pedigree/fingerprint/relate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "pedigree/fingerprint/linalg.hpp"

namespace pedigree::fingerprint {

namespace {

using detail::Matrix;

inline constexpr std::size_t k_max_models = 500;

// Inner products of every pair of model updates (sketch minus base), per UNet block.
struct BlockGrams {
  std::vector<Matrix> gram;    // by block id, n x n (empty blocks stay 0)
  std::vector<double> params;  // parameters of the common matrices, by block
  std::size_t tensors = 0;
};

// The UNet matrices every fingerprint holds with the base's shape and sketch size.
std::vector<const TensorSketch*> common_matrices(std::span<const RelateModel> models,
                                                 const Fingerprint& base) {
  std::vector<const TensorSketch*> out;
  for (const auto& t : base.tensors) {
    if (t.component != Component::k_unet || !t.matrix || !is_unet_block(t.block)) continue;
    bool everywhere = true;
    for (const auto& m : models) {
      const TensorSketch* s = m.fp->find(t.name);
      if (!s || s->shape != t.shape || s->cells.size() != t.cells.size()) {
        everywhere = false;
        break;
      }
    }
    if (everywhere) out.push_back(&t);
  }
  return out;
}

BlockGrams block_grams(std::span<const RelateModel> models, const Fingerprint& base) {
  const std::size_t n = models.size();
  BlockGrams g;
  g.gram.assign(k_block_te, Matrix(n, n));
  g.params.assign(k_block_te, 0.0);
  std::vector<std::vector<double>> delta(n);
  for (const TensorSketch* t : common_matrices(models, base)) {
    for (std::size_t i = 0; i < n; ++i) {
      const TensorSketch* s = models[i].fp->find(t->name);
      delta[i].resize(t->cells.size());
      for (std::size_t c = 0; c < t->cells.size(); ++c) delta[i][c] = s->cells[c] - t->cells[c];
    }
    Matrix& gram = g.gram[t->block];
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i; j < n; ++j) {
        double acc = 0;
        for (std::size_t c = 0; c < delta[i].size(); ++c) acc += delta[i][c] * delta[j][c];
        gram(i, j) += acc;
        if (j != i) gram(j, i) += acc;
      }
    g.params[t->block] += static_cast<double>(t->numel());
    ++g.tensors;
  }
  return g;
}

double total(const BlockGrams& g, std::size_t i, std::size_t j) {
  double s = 0;
  for (const auto& m : g.gram) s += m(i, j);
  return s;
}

// min theta' G theta - 2 c' theta subject to lower <= theta_i <= upper, by cyclic coordinate
// descent (k is small and G positive semi-definite, so it converges); returns the residual
// sum of squares yy - 2 c' theta + theta' G theta.
double box_least_squares(const Matrix& gram, const std::vector<double>& c, double yy, double lower,
                         double upper, std::vector<double>& theta) {
  const std::size_t k = c.size();
  theta.assign(k, 0.0);
  for (int sweep = 0; sweep < 200; ++sweep) {
    double moved = 0;
    for (std::size_t i = 0; i < k; ++i) {
      if (gram(i, i) <= 0) continue;
      double r = c[i];
      for (std::size_t j = 0; j < k; ++j)
        if (j != i) r -= gram(i, j) * theta[j];
      const double next = std::clamp(r / gram(i, i), lower, upper);
      moved = std::max(moved, std::abs(next - theta[i]));
      theta[i] = next;
    }
    if (moved < 1e-9) break;
  }
  double rss = yy;
  for (std::size_t i = 0; i < k; ++i) {
    rss -= 2 * c[i] * theta[i];
    for (std::size_t j = 0; j < k; ++j) rss += theta[i] * gram(i, j) * theta[j];
  }
  return std::max(0.0, rss);
}

// The block-wise fit of model `t` on `parents`, each share within [0, max_share] in every
// block: a merge takes at most the whole of each parent (add difference, A + x (B - base),
// takes all of A and x of B), so a fit that needs more of a model extrapolates, which is
// what "explaining" a parent by its own child would take. Residual sum of squares over all
// blocks, and each block's coefficients (by block id).
struct Fit {
  double rss = 0;
  std::vector<std::vector<double>> theta;
};

Fit fit(const BlockGrams& g, std::size_t t, const std::vector<std::size_t>& parents,
        double max_share, bool free_sign = false) {
  Fit out;
  out.theta.assign(g.gram.size(), std::vector<double>(parents.size(), 0.0));
  const std::size_t k = parents.size();
  for (std::size_t b = 0; b < g.gram.size(); ++b) {
    const Matrix& m = g.gram[b];
    const double yy = m(t, t);
    if (yy <= 0) continue;
    if (k == 0) {
      out.rss += yy;
      continue;
    }
    Matrix gram(k, k);
    std::vector<double> c(k);
    for (std::size_t a = 0; a < k; ++a) {
      c[a] = m(parents[a], t);
      for (std::size_t e = 0; e < k; ++e) gram(a, e) = m(parents[a], parents[e]);
    }
    out.rss += free_sign ? box_least_squares(gram, c, yy, -1e6, 1e6, out.theta[b])
                         : box_least_squares(gram, c, yy, 0.0, max_share, out.theta[b]);
  }
  return out;
}

// How strongly candidate `j` correlates with what `current` leaves of `t`'s update.
double screen_score(const BlockGrams& g, std::size_t t, std::size_t j,
                    const std::vector<std::size_t>& parents, const Fit& current, bool free_sign) {
  double score = 0;
  for (std::size_t b = 0; b < g.gram.size(); ++b) {
    const Matrix& m = g.gram[b];
    if (m(j, j) <= 0) continue;
    double r = m(t, j);
    for (std::size_t s = 0; s < parents.size(); ++s) r -= current.theta[b][s] * m(parents[s], j);
    if (r > 0 || free_sign) score += r * r / m(j, j);
  }
  return score;
}

// A parent's share over the UNet: its block coefficients weighted by the blocks' parameters.
double overall_share(const BlockGrams& g, const Fit& f, std::size_t k) {
  double sum = 0, params = 0;
  for (std::size_t b = 0; b < g.gram.size(); ++b) {
    if (g.params[b] <= 0) continue;
    sum += g.params[b] * f.theta[b][k];
    params += g.params[b];
  }
  return params > 0 ? sum / params : 0.0;
}

// Greedy forward selection of `t`'s parents among `candidates`, then backward
// pruning (a parent whose removal costs less than min_gain goes: the fewest
// parents that explain the model).
struct Choice {
  std::vector<std::size_t> parents;
  Fit fit;
  double explained = 0;
};

Choice choose_from(const BlockGrams& g, std::size_t t, const std::vector<std::size_t>& candidates,
                   const RelateOptions& options, bool free_sign, std::optional<std::size_t> first) {
  const double yy = total(g, t, t);
  std::vector<std::size_t> parents;
  if (first) parents.push_back(*first);
  Fit current = fit(g, t, parents, options.max_share, free_sign);
  while (parents.size() < options.max_parents) {
    std::vector<std::pair<double, std::size_t>> ranked;
    for (std::size_t j : candidates) {
      if (std::find(parents.begin(), parents.end(), j) != parents.end()) continue;
      const double s = screen_score(g, t, j, parents, current, free_sign);
      if (s > 0) ranked.push_back({s, j});
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (ranked.size() > options.screen) ranked.resize(options.screen);
    std::optional<std::size_t> best;
    Fit best_fit;
    for (const auto& [score, j] : ranked) {
      auto trial = parents;
      trial.push_back(j);
      Fit f = fit(g, t, trial, options.max_share, free_sign);
      if (!best || f.rss < best_fit.rss) {
        best = j;
        best_fit = std::move(f);
      }
    }
    if (!best || current.rss - best_fit.rss < options.min_gain * yy) break;
    parents.push_back(*best);
    current = std::move(best_fit);
  }
  for (bool pruned = true; pruned && parents.size() > 1;) {
    pruned = false;
    for (std::size_t k = 0; k < parents.size(); ++k) {
      auto fewer = parents;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(k));
      Fit f = fit(g, t, fewer, options.max_share, free_sign);
      if (f.rss - current.rss < options.min_gain * yy) {
        parents = std::move(fewer);
        current = std::move(f);
        pruned = true;
        break;
      }
    }
  }
  // Consolidation: two parents that one candidate replaces at no cost (a merge of M and C,
  // M itself a merge of A and B, first found as A, B and C) give way to it.
  for (bool merged = true; merged && parents.size() > 1;) {
    merged = false;
    for (std::size_t a = 0; a < parents.size() && !merged; ++a)
      for (std::size_t b = a + 1; b < parents.size() && !merged; ++b) {
        auto rest = parents;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(b));
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(a));
        // Candidates most aligned with what the two contribute together (from the Grams).
        std::vector<std::pair<double, std::size_t>> aligned;
        for (std::size_t j : candidates) {
          if (std::find(parents.begin(), parents.end(), j) != parents.end()) continue;
          double vj = 0, jj = 0;
          for (std::size_t blk = 0; blk < g.gram.size(); ++blk) {
            const Matrix& m = g.gram[blk];
            vj +=
                current.theta[blk][a] * m(parents[a], j) + current.theta[blk][b] * m(parents[b], j);
            jj += m(j, j);
          }
          if (vj > 0 && jj > 0) aligned.push_back({vj * vj / jj, j});
        }
        std::sort(aligned.begin(), aligned.end(), std::greater<>());
        if (aligned.size() > 3) aligned.resize(3);
        for (const auto& [score, j] : aligned) {
          auto trial = rest;
          trial.push_back(j);
          Fit f = fit(g, t, trial, options.max_share, free_sign);
          if (f.rss - current.rss < options.min_gain * yy) {
            parents = std::move(trial);
            current = std::move(f);
            merged = true;
            break;
          }
        }
      }
  }
  const double explained = yy > 0 ? std::clamp(1.0 - current.rss / yy, 0.0, 1.0) : 0.0;
  return {std::move(parents), std::move(current), explained};
}

// The best of greedy searches started from each of the `starts` candidates most correlated
// with the model: one greedy search can be trapped by a child that holds most of the model
// (it explains much at first, then brings along what no bounded share can cancel).
Choice choose_parents(const BlockGrams& g, std::size_t t,
                      const std::vector<std::size_t>& candidates, const RelateOptions& options,
                      bool free_sign = false) {
  Choice best = choose_from(g, t, candidates, options, free_sign, std::nullopt);
  std::vector<std::pair<double, std::size_t>> ranked;
  const Fit none = fit(g, t, {}, options.max_share, free_sign);
  for (std::size_t j : candidates) {
    const double s = screen_score(g, t, j, {}, none, free_sign);
    if (s > 0) ranked.push_back({s, j});
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (std::size_t r = 1; r < std::min<std::size_t>(ranked.size(), options.starts); ++r) {
    Choice c = choose_from(g, t, candidates, options, free_sign, ranked[r].second);
    const double margin = options.min_gain * total(g, t, t);
    if (c.fit.rss < best.fit.rss - margin ||
        (c.fit.rss <= best.fit.rss + margin && c.parents.size() < best.parents.size()))
      best = std::move(c);
  }
  return best;
}

// The candidate `t` holds whole (share >= fine_tune_share) that explains most of it, if any.
std::optional<std::size_t> trained_from(const BlockGrams& g, std::size_t t,
                                        const std::vector<std::size_t>& candidates,
                                        const RelateOptions& options) {
  const double yy = total(g, t, t);
  std::optional<std::size_t> best;
  double best_rss = yy * (1 - options.min_gain);
  for (std::size_t j : candidates) {
    Fit f = fit(g, t, {j}, options.max_share);
    if (overall_share(g, f, 0) < options.fine_tune_share || f.rss >= best_rss) continue;
    best = j;
    best_rss = f.rss;
  }
  return best;
}

// "IN00-IN08=0.70 IN09-OUT11=0.30" when a parent's block shares differ by more
// than 0.1, else nullopt.
std::optional<std::string> describe_blocks(const ReferenceEstimate& r) {
  double lo = 1e9, hi = -1e9;
  for (const auto& [name, s] : r.blocks) {
    lo = std::min(lo, s.share);
    hi = std::max(hi, s.share);
  }
  if (r.blocks.empty() || hi - lo <= 0.1) return std::nullopt;
  std::string out, run_start, run_end;
  double run_value = 0;
  auto flush = [&] {
    if (run_start.empty()) return;
    char value[32];
    std::snprintf(value, sizeof value, "=%.2f", run_value);
    if (!out.empty()) out += ' ';
    out += run_start + (run_end != run_start ? "-" + run_end : "") + value;
  };
  for (std::uint8_t b = 0; b < k_block_te; ++b) {
    auto it = r.blocks.find(std::string(block_name(b)));
    if (it == r.blocks.end()) continue;
    const double v = std::round(it->second.share * 100) / 100;
    if (!run_start.empty() && v == run_value) {
      run_end = it->first;
      continue;
    }
    flush();
    run_start = run_end = it->first;
    run_value = v;
  }
  flush();
  return out;
}

}  // namespace

Result<Relation> relate(std::span<const RelateModel> models, const Fingerprint& base,
                        const RelateOptions& options) {
  if (models.size() > k_max_models)
    return invalid_argument("relate takes at most " + std::to_string(k_max_models) +
                            " models, got " + std::to_string(models.size()));
  const SketchSize unet = base.params.of(Component::k_unet);
  for (const auto& m : models) {
    if (!m.fp) return invalid_argument("'" + m.id + "' has no fingerprint");
    if (!(m.fp->params.of(Component::k_unet) == unet))
      return invalid_argument("'" + m.id +
                              "' was sketched with another UNet sketch size than the base: "
                              "fingerprint every file with the same pedigree version");
  }
  const BlockGrams g = block_grams(models, base);
  if (g.tensors == 0)
    return invalid_argument("no UNet matrix is common to the base and every model");
  const std::size_t n = models.size();
  Relation out;
  out.tensors_used = g.tensors;
  out.nodes.resize(n);
  std::vector<double> norms2;
  for (std::size_t i = 0; i < n; ++i) {
    out.nodes[i].update_norm = std::sqrt(std::max(0.0, total(g, i, i)));
    if (!models[i].candidate_only) norms2.push_back(total(g, i, i));
  }
  std::sort(norms2.begin(), norms2.end());
  const double median2 = norms2.empty() ? 0.0 : norms2[norms2.size() / 2];
  for (std::size_t i = 0; i < n; ++i)
    out.nodes[i].base = total(g, i, i) <= options.base_like * median2;

  // Same weights (a copy, or another dtype or format of one model): one stands for all, a
  // known reference before a file.
  for (std::size_t i = 0; i < n; ++i) {
    if (out.nodes[i].base) continue;
    for (std::size_t j = i + 1; j < n; ++j) {
      if (out.nodes[j].same_as || out.nodes[j].base || out.nodes[i].same_as) continue;
      const double ii = total(g, i, i), jj = total(g, j, j);
      const double dist2 = ii + jj - 2 * total(g, i, j);
      if (dist2 > options.same_weights * std::min(ii, jj)) continue;
      if (models[j].candidate_only && !models[i].candidate_only) {
        out.nodes[i].same_as = j;
        break;
      }
      out.nodes[j].same_as = i;
    }
  }
  std::vector<std::size_t> representatives;
  for (std::size_t i = 0; i < n; ++i)
    if (!out.nodes[i].base && !out.nodes[i].same_as) representatives.push_back(i);

  EstimateOptions flat;
  flat.projection_rank = 0;
  // Linear algebra alone cannot tell a merge from the parent it mostly holds (each explains
  // the other, the parent only through a capped extrapolation), so the tree is built in order
  // of how well everything else explains each model: roots (fine-tunes, which nothing
  // explains) first, exact merges last, and a model takes its parents only among models
  // placed before it. The result is a DAG by construction.
  std::vector<std::pair<double, std::size_t>> order;
  for (std::size_t t : representatives) {
    std::vector<std::size_t> others;
    for (std::size_t j : representatives)
      if (j != t) others.push_back(j);
    double key = -1e9;  // known references are roots
    if (!models[t].candidate_only) {
      // A parent is explained by its children only through extrapolation: with free signs
      // (undoing the merge) it is explained far better than within the bounds a merge obeys.
      const double bounded = choose_parents(g, t, others, options).explained;
      const double free = choose_parents(g, t, others, options, true).explained;
      key = bounded - options.extrapolation_weight * std::max(0.0, free - bounded);
    }
    order.push_back({key, t});
  }
  std::sort(order.begin(), order.end());
  // Roots first (known references, then what nothing explains within the bounds); then, one
  // at a time, the model its predecessors explain with the fewest parents (a merge of merges
  // comes after the merges it is made of, so it names them rather than their parents).
  std::vector<std::size_t> placed, remaining;
  for (const auto& [key, t] : order)
    (key < options.explained_floor ? placed : remaining).push_back(t);
  // Among roots, shorter updates first: a model trained further from another holds that
  // update plus its own, so its update is the longer one.
  std::stable_sort(placed.begin(), placed.end(), [&](std::size_t a, std::size_t b) {
    if (models[a].candidate_only != models[b].candidate_only) return models[a].candidate_only;
    return out.nodes[a].update_norm < out.nodes[b].update_norm;
  });
  while (!remaining.empty()) {
    std::optional<std::size_t> next;
    std::pair<std::size_t, double> next_rank{0, 0};
    for (std::size_t r = 0; r < remaining.size(); ++r) {
      const Choice c = choose_parents(g, remaining[r], placed, options);
      if (c.explained < options.explained_floor) continue;
      const std::pair<std::size_t, double> rank{c.parents.size(), -c.explained};
      if (!next || rank < next_rank) {
        next = r;
        next_rank = rank;
      }
    }
    if (!next) {  // nothing left is a merge of what is placed: keep the first-pass order
      placed.insert(placed.end(), remaining.begin(), remaining.end());
      break;
    }
    placed.push_back(remaining[*next]);
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(*next));
  }
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const std::size_t t = placed[i];
    const std::vector<std::size_t> candidates(placed.begin(),
                                              placed.begin() + static_cast<std::ptrdiff_t>(i));
    if (models[t].candidate_only) continue;
    Choice choice = choose_parents(g, t, candidates, options);
    out.nodes[t].explained = choice.explained;
    // Explained: a merge of its parents. Otherwise a parent it holds whole (share ~1) with
    // an update of its own on top is what it was trained from.
    RelateKind kind = RelateKind::k_merge;
    std::vector<std::size_t> parents;
    if (choice.explained >= options.explained_floor) {
      parents = choice.parents;
    } else {
      kind = RelateKind::k_fine_tune;
      if (auto p = trained_from(g, t, candidates, options)) parents.push_back(*p);
    }
    if (parents.empty()) continue;
    std::vector<Reference> refs;
    for (std::size_t p : parents) refs.push_back({models[p].id, models[p].fp});
    auto est = estimate(*models[t].fp, base, refs, flat);
    if (!est) return std::unexpected(est.error());
    for (std::size_t k = 0; k < parents.size(); ++k) {
      const ReferenceEstimate& r = est->shares[k];
      if (r.overall.share < options.min_share || r.overall.share < options.z * r.overall.stderr)
        continue;
      out.edges.push_back({t, parents[k], kind, r.overall, describe_blocks(r), r.size_reliable});
    }
  }
  return out;
}

}  // namespace pedigree::fingerprint
