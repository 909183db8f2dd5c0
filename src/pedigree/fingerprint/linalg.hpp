// Internal to fingerprint/: the small dense linear algebra the estimator needs
// (k x k systems with k = number of references, p x p symmetric eigenproblems).
#pragma once

#include <cstddef>
#include <vector>

namespace pedigree::fingerprint::detail {

// A dense row-major matrix.
struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> data;
  Matrix() = default;
  Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c, 0.0) {}
  double& operator()(std::size_t r, std::size_t c) { return data[r * cols + c]; }
  double operator()(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
};

// Eigenvectors of a symmetric matrix (cyclic Jacobi), as columns sorted by
// decreasing eigenvalue. Deterministic: fixed sweep order.
Matrix symmetric_eigenvectors(Matrix a, std::vector<double>* eigenvalues = nullptr);

// Least squares from normal equations: minimizes
// yy - 2 theta.c + theta' G theta subject to theta_i >= 0 for every i with
// nonnegative[i]. Exact (enumerates the active sets; k is small). Collinear
// columns are handled with a tiny ridge. Returns theta; *rss gets the residual.
std::vector<double> bounded_least_squares(const Matrix& gram, const std::vector<double>& c,
                                          double yy, const std::vector<bool>& nonnegative,
                                          double* rss);

}  // namespace pedigree::fingerprint::detail
