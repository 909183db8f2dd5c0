#include "pedigree/fingerprint/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace pedigree::fingerprint::detail {
namespace {

// Solves the sub-system on the indices in `free`, ridge-regularized, by Gaussian elimination.
std::vector<double> solve_subset(const Matrix& gram, const std::vector<double>& c,
                                 const std::vector<std::size_t>& free) {
  const std::size_t n = free.size();
  Matrix a(n, n + 1);
  double trace = 0;
  for (std::size_t i = 0; i < n; ++i) trace += gram(free[i], free[i]);
  const double ridge = 1e-12 * (trace / std::max<std::size_t>(n, 1)) + 1e-300;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) a(i, j) = gram(free[i], free[j]);
    a(i, i) += ridge;
    a(i, n) = c[free[i]];
  }
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r) {
      if (std::fabs(a(r, col)) > std::fabs(a(pivot, col))) pivot = r;
    }
    for (std::size_t j = 0; j <= n; ++j) std::swap(a(col, j), a(pivot, j));
    const double d = a(col, col);
    if (d == 0) continue;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a(r, col) / d;
      if (f == 0) continue;
      for (std::size_t j = col; j <= n; ++j) a(r, j) -= f * a(col, j);
    }
  }
  std::vector<double> x(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) x[i] = a(i, i) != 0 ? a(i, n) / a(i, i) : 0.0;
  return x;
}

double residual(const Matrix& gram, const std::vector<double>& c, double yy,
                const std::vector<double>& t) {
  double r = yy;
  for (std::size_t i = 0; i < t.size(); ++i) {
    r -= 2 * t[i] * c[i];
    for (std::size_t j = 0; j < t.size(); ++j) r += t[i] * gram(i, j) * t[j];
  }
  return r;
}

}  // namespace

Matrix symmetric_eigenvectors(Matrix a, std::vector<double>* eigenvalues) {
  const std::size_t n = a.rows;
  Matrix v(n, n);
  for (std::size_t i = 0; i < n; ++i) v(i, i) = 1.0;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) off += a(p, q) * a(p, q);
    if (off < 1e-30) break;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        if (a(p, q) == 0) continue;
        const double theta = (a(q, q) - a(p, p)) / (2 * a(p, q));
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double cs = 1 / std::sqrt(t * t + 1), sn = t * cs;
        for (std::size_t k = 0; k < n; ++k) {  // A = A J
          const double akp = a(k, p), akq = a(k, q);
          a(k, p) = cs * akp - sn * akq;
          a(k, q) = sn * akp + cs * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {  // A = J' A
          const double apk = a(p, k), aqk = a(q, k);
          a(p, k) = cs * apk - sn * aqk;
          a(q, k) = sn * apk + cs * aqk;
        }
        for (std::size_t k = 0; k < n; ++k) {
          const double vkp = v(k, p), vkq = v(k, q);
          v(k, p) = cs * vkp - sn * vkq;
          v(k, q) = sn * vkp + cs * vkq;
        }
      }
    }
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return a(x, x) > a(y, y); });
  Matrix sorted(n, n);
  if (eigenvalues) eigenvalues->clear();
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i = 0; i < n; ++i) sorted(i, j) = v(i, order[j]);
    if (eigenvalues) eigenvalues->push_back(a(order[j], order[j]));
  }
  return sorted;
}

std::vector<double> bounded_least_squares(const Matrix& gram, const std::vector<double>& c,
                                          double yy, const std::vector<bool>& nonnegative,
                                          double* rss) {
  const std::size_t k = c.size();
  std::vector<std::size_t> constrained;
  for (std::size_t i = 0; i < k; ++i)
    if (nonnegative[i]) constrained.push_back(i);
  std::vector<double> best(k, 0.0);
  double best_rss = std::numeric_limits<double>::infinity();
  // Every subset of the constrained variables pinned at zero; keep the best feasible one.
  const std::size_t subsets = std::size_t{1} << constrained.size();
  for (std::size_t mask = 0; mask < subsets; ++mask) {
    std::vector<bool> pinned(k, false);
    for (std::size_t b = 0; b < constrained.size(); ++b)
      if (mask & (std::size_t{1} << b)) pinned[constrained[b]] = true;
    std::vector<std::size_t> free;
    for (std::size_t i = 0; i < k; ++i)
      if (!pinned[i]) free.push_back(i);
    auto x = solve_subset(gram, c, free);
    std::vector<double> theta(k, 0.0);
    bool feasible = true;
    for (std::size_t i = 0; i < free.size(); ++i) {
      theta[free[i]] = x[i];
      if (nonnegative[free[i]] && x[i] < 0) feasible = false;
    }
    if (!feasible) continue;
    const double r = residual(gram, c, yy, theta);
    if (r < best_rss) {
      best_rss = r;
      best = theta;
    }
  }
  if (rss) *rss = std::max(0.0, best_rss);
  return best;
}

}  // namespace pedigree::fingerprint::detail
