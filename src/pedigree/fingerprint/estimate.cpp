#include "pedigree/fingerprint/estimate.hpp"

#include <algorithm>
#include <cmath>

#include "pedigree/fingerprint/linalg.hpp"
#include "pedigree/fingerprint/report.hpp"
#include "pedigree/fingerprint/sketcher.hpp"

namespace pedigree::fingerprint {

namespace {

using detail::Matrix;

// Normal equations of one block, split by jackknife group.
struct BlockSystem {
  std::vector<Matrix> gram;
  std::vector<std::vector<double>> c;
  std::vector<double> yy;
  double params = 0;
  std::size_t tensors = 0;

  BlockSystem(std::size_t groups, std::size_t k)
      : gram(groups, Matrix(k, k)), c(groups, std::vector<double>(k, 0.0)), yy(groups, 0.0) {}
};

std::vector<double> difference(const TensorSketch& a, const TensorSketch& b) {
  std::vector<double> d(a.cells.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = a.cells[i] - b.cells[i];
  return d;
}

// Top-`rank` eigenvectors of sum_j N_j N_j' (left) or sum_j N_j' N_j (right).
Matrix nuisance_subspace(const std::vector<std::vector<double>>& nuisance, std::size_t rows,
                         std::size_t cols, bool left, std::size_t rank) {
  const std::size_t n = left ? rows : cols;
  Matrix s(n, n);
  for (const auto& m : nuisance) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double acc = 0;
        if (left) {
          for (std::size_t k = 0; k < cols; ++k) acc += m[i * cols + k] * m[j * cols + k];
        } else {
          for (std::size_t k = 0; k < rows; ++k) acc += m[k * cols + i] * m[k * cols + j];
        }
        s(i, j) += acc;
      }
    }
  }
  Matrix vectors = detail::symmetric_eigenvectors(std::move(s));
  Matrix top(n, rank);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < rank; ++j) top(i, j) = vectors(i, j);
  return top;
}

// m <- (I - U U') m, applied to the rows (left) or the columns (right) of a rows x cols matrix.
void project_out(std::vector<double>& m, std::size_t rows, std::size_t cols, const Matrix& u,
                 bool left) {
  for (std::size_t r = 0; r < u.cols; ++r) {
    if (left) {
      for (std::size_t k = 0; k < cols; ++k) {
        double dot = 0;
        for (std::size_t i = 0; i < rows; ++i) dot += u(i, r) * m[i * cols + k];
        for (std::size_t i = 0; i < rows; ++i) m[i * cols + k] -= u(i, r) * dot;
      }
    } else {
      for (std::size_t i = 0; i < rows; ++i) {
        double dot = 0;
        for (std::size_t k = 0; k < cols; ++k) dot += u(k, r) * m[i * cols + k];
        for (std::size_t k = 0; k < cols; ++k) m[i * cols + k] -= u(k, r) * dot;
      }
    }
  }
}

// v <- v minus its projection on the orthonormal vectors of `basis`.
void project_off_span(std::vector<double>& v, const std::vector<std::vector<double>>& basis) {
  for (const auto& e : basis) {
    double dot = 0;
    for (std::size_t i = 0; i < v.size(); ++i) dot += e[i] * v[i];
    for (std::size_t i = 0; i < v.size(); ++i) v[i] -= dot * e[i];
  }
}

// Gram-Schmidt orthonormal basis of the span of `vectors` (near-dependent ones dropped).
std::vector<std::vector<double>> orthonormal_basis(
    const std::vector<std::vector<double>>& vectors) {
  std::vector<std::vector<double>> basis;
  for (auto v : vectors) {
    double norm0 = 0;
    for (double x : v) norm0 += x * x;
    project_off_span(v, basis);
    double norm = 0;
    for (double x : v) norm += x * x;
    if (norm <= 1e-12 * norm0 || norm == 0) continue;
    for (double& x : v) x /= std::sqrt(norm);
    basis.push_back(std::move(v));
  }
  return basis;
}

// Adds cells to the normal equations: all into group `fixed_group`, or (when it is
// negative) each cell into a group picked by hashing its index.
void accumulate(BlockSystem& sys, const std::vector<double>& y,
                const std::vector<std::vector<double>>& xs, std::uint64_t seed, long fixed_group) {
  const std::size_t k = xs.size(), groups = sys.yy.size();
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t g = fixed_group >= 0 ? static_cast<std::size_t>(fixed_group) % groups
                                           : detail::mix64(seed + i) % groups;
    for (std::size_t a = 0; a < k; ++a) {
      sys.c[g][a] += xs[a][i] * y[i];
      for (std::size_t b = 0; b < k; ++b) sys.gram[g](a, b) += xs[a][i] * xs[b][i];
    }
    sys.yy[g] += y[i] * y[i];
  }
}

// Adds one tensor's cells to its block's system; false when a fingerprint lacks it.
bool add_tensor(const TensorSketch& t, const Fingerprint& base, std::span<const Reference> refs,
                const EstimateOptions& options, BlockSystem& sys, long fixed_group) {
  const TensorSketch* b = base.find(t.name);
  if (!b || b->cells.size() != t.cells.size() || b->shape != t.shape) return false;
  std::vector<std::vector<double>> xs, nuisance;
  for (const auto& ref : refs) {
    const TensorSketch* r = ref.fp->find(t.name);
    if (!r || r->cells.size() != t.cells.size() || r->shape != t.shape) return false;
    xs.push_back(difference(*r, *b));
    if (ref.nuisance) nuisance.push_back(xs.back());
  }
  std::vector<double> y = difference(t, *b);
  const std::vector<std::vector<double>> nuisance_only = nuisance;
  if (options.subspace_from_all) {
    nuisance = xs;
    nuisance.push_back(y);
  }
  for (auto& m : nuisance) {  // each model counts alike in the subspace estimate
    double norm = 0;
    for (double v : m) norm += v * v;
    if (norm > 0)
      for (double& v : m) v /= std::sqrt(norm);
  }
  const std::size_t rank =
      std::min<std::size_t>(options.projection_rank, std::min(t.rows, t.cols) / 2);
  if (t.matrix && !nuisance.empty() && rank > 0) {
    const Matrix u = nuisance_subspace(nuisance, t.rows, t.cols, true, rank);
    const Matrix v = nuisance_subspace(nuisance, t.rows, t.cols, false, rank);
    for (auto* m : {&y}) {
      project_out(*m, t.rows, t.cols, u, true);
      project_out(*m, t.rows, t.cols, v, false);
    }
    for (auto& x : xs) {
      project_out(x, t.rows, t.cols, u, true);
      project_out(x, t.rows, t.cols, v, false);
    }
  }
  if (!t.matrix && !nuisance_only.empty()) {
    // Vectors have no rank structure: remove the span of the nuisance updates themselves.
    const auto basis = orthonormal_basis(nuisance_only);
    project_off_span(y, basis);
    for (auto& x : xs) project_off_span(x, basis);
  }
  accumulate(sys, y, xs, detail::name_seed(t.name), fixed_group);
  sys.params += static_cast<double>(t.numel());
  ++sys.tensors;
  return true;
}

struct BlockFit {
  std::vector<double> theta;                   // bounded fit
  std::vector<std::vector<double>> replicate;  // its leave-one-group-out fits
  std::vector<double> free;                    // every share free-signed (unbiased under "absent")
  std::vector<std::vector<double>> free_replicate;
  double r2 = 1;
  double params = 0;
};

BlockFit solve_block(const BlockSystem& sys, const std::vector<bool>& nonnegative) {
  const std::size_t k = nonnegative.size(), groups = sys.yy.size();
  Matrix gram(k, k);
  std::vector<double> c(k, 0.0);
  double yy = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    for (std::size_t i = 0; i < k * k; ++i) gram.data[i] += sys.gram[g].data[i];
    for (std::size_t i = 0; i < k; ++i) c[i] += sys.c[g][i];
    yy += sys.yy[g];
  }
  BlockFit fit;
  fit.params = sys.params;
  double rss = 0;
  const std::vector<bool> none(k, false);
  fit.theta = detail::bounded_least_squares(gram, c, yy, nonnegative, &rss);
  fit.free = detail::bounded_least_squares(gram, c, yy, none, nullptr);
  fit.r2 = yy > 0 ? std::clamp(1.0 - rss / yy, 0.0, 1.0) : 1.0;
  for (std::size_t g = 0; g < groups; ++g) {
    Matrix gg = gram;
    std::vector<double> cc = c;
    for (std::size_t i = 0; i < k * k; ++i) gg.data[i] -= sys.gram[g].data[i];
    for (std::size_t i = 0; i < k; ++i) cc[i] -= sys.c[g][i];
    fit.replicate.push_back(
        detail::bounded_least_squares(gg, cc, yy - sys.yy[g], nonnegative, nullptr));
    fit.free_replicate.push_back(
        detail::bounded_least_squares(gg, cc, yy - sys.yy[g], none, nullptr));
  }
  return fit;
}

ShareEstimate jackknife(double full, const std::vector<double>& replicates) {
  const double n = static_cast<double>(replicates.size());
  double mean = 0;
  for (double r : replicates) mean += r / n;
  double ss = 0;
  for (double r : replicates) ss += (r - mean) * (r - mean);
  return {full, std::sqrt(ss * (n - 1) / n)};
}

}  // namespace

Result<Estimate> estimate(const Fingerprint& target, const Fingerprint& base,
                          std::span<const Reference> refs, const EstimateOptions& options) {
  if (refs.empty() || refs.size() > 16)
    return invalid_argument("estimate needs 1 to 16 references");
  // Only the UNet sketches enter the fit, so only their sizes must agree.
  const SketchSize unet = target.params.of(Component::k_unet);
  auto mismatch = [&](const std::string& what, const Fingerprint& fp) {
    const SketchSize other = fp.params.of(Component::k_unet);
    return invalid_argument(
        what + " was sketched with UNet size " + std::to_string(other.matrix_side) + "/" +
        std::to_string(other.flat_buckets) + " (spec v" + std::to_string(fp.spec_version) +
        "), the target with " + std::to_string(unet.matrix_side) + "/" +
        std::to_string(unet.flat_buckets) +
        ": fingerprint both with the same pedigree version (`pedigree fingerprint FILE`)");
  };
  for (const auto& r : refs) {
    if (!r.fp) return invalid_argument("reference '" + r.name + "' has no fingerprint");
    if (!(r.fp->params.of(Component::k_unet) == unet))
      return mismatch("reference '" + r.name + "'", *r.fp);
  }
  if (!(base.params.of(Component::k_unet) == unet)) return mismatch("the base", base);
  const unsigned groups = std::max(2u, options.jackknife_groups);
  const std::size_t k = refs.size();
  std::vector<bool> nonnegative;
  for (const auto& r : refs)
    nonnegative.push_back(r.sign == ShareSign::k_nonnegative && !r.nuisance);

  // Jackknife units: whole tensors when a block has enough of them (cells of one projected
  // matrix are correlated), else hashed cells.
  auto enters_fit = [&](const TensorSketch& t) {
    return t.component == Component::k_unet && (t.matrix || options.fit_vectors);
  };
  std::vector<unsigned> per_block(k_block_te, 0);
  for (const auto& t : target.tensors) {
    if (enters_fit(t)) ++per_block[t.block];
  }
  std::vector<BlockSystem> systems;
  for (std::uint8_t b = 0; b < k_block_te; ++b) {
    const bool by_tensor = per_block[b] >= options.min_tensor_groups;
    systems.emplace_back(by_tensor ? std::min(groups, per_block[b]) : groups, k);
  }
  Estimate out;
  std::vector<unsigned> ordinal(k_block_te, 0);
  // Parameters a block holds outside the fit (its vectors) still weigh the block.
  std::vector<double> params_outside(k_block_te, 0.0);
  for (const auto& t : target.tensors) {
    if (t.component != Component::k_unet) continue;
    if (!enters_fit(t)) {
      params_outside[t.block] += static_cast<double>(t.numel());
      continue;
    }
    const long group = per_block[t.block] >= options.min_tensor_groups ? ordinal[t.block]++ : -1;
    if (add_tensor(t, base, refs, options, systems[t.block], group)) ++out.tensors_used;
  }
  for (std::uint8_t b = 0; b < k_block_te; ++b)
    if (systems[b].tensors > 0) systems[b].params += params_outside[b];
  if (out.tensors_used == 0) {
    return invalid_argument("no UNet tensor is common to the target, base and references");
  }
  for (const auto& r : refs) out.shares.push_back({r.name, r.nuisance, {}, {}, {}, false, true});
  std::vector<double> overall(k, 0.0), overall_var(k, 0.0);
  double total_params = 0;
  std::vector<BlockFit> fits(k_block_te);
  for (std::uint8_t b = 0; b < k_block_te; ++b) {
    if (systems[b].tensors == 0) continue;
    fits[b] = solve_block(systems[b], nonnegative);
    total_params += fits[b].params;
  }
  for (std::uint8_t b = 0; b < k_block_te; ++b) {
    if (systems[b].tensors == 0) continue;
    const BlockFit& fit = fits[b];
    const double w = fit.params / total_params;
    out.r2[std::string(block_name(b))] = fit.r2;
    out.block_groups[std::string(block_name(b))] = static_cast<unsigned>(fit.replicate.size());
    for (std::size_t i = 0; i < k; ++i) {
      std::vector<double> reps, free_reps;
      for (const auto& r : fit.replicate) reps.push_back(r[i]);
      for (const auto& r : fit.free_replicate) free_reps.push_back(r[i]);
      out.shares[i].blocks[std::string(block_name(b))] = jackknife(fit.theta[i], reps);
      const ShareEstimate free = jackknife(fit.free[i], free_reps);
      out.shares[i].blocks_free[std::string(block_name(b))] = free;
      overall[i] += w * free.share;
      overall_var[i] += w * w * free.stderr * free.stderr;
    }
  }
  for (std::size_t i = 0; i < k; ++i)
    out.shares[i].overall = {overall[i], std::sqrt(overall_var[i])};
  detail::describe(target, base, refs, options, out);
  return out;
}

}  // namespace pedigree::fingerprint
