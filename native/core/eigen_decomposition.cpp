// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's triangular matrix-vector product (used by EigenSolver).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include "eigen_decomposition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace lowrank {
namespace {

using Complex = std::complex<double>;

// Sorts the pairs and stores them: values, right vectors (columns of Vr) and left vectors (rows of Wl).
Eigenpairs collect(const Eigen::VectorXcd& values, const Eigen::MatrixXcd* Vr, const Eigen::MatrixXcd* Wl, double rcond) {
  const int count = int(values.size());
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (values(a).real() != values(b).real()) return values(a).real() > values(b).real();
    return values(a).imag() > values(b).imag();
  });
  Eigenpairs out;
  out.count = count;
  out.dim = Vr ? int(Vr->rows()) : Wl ? int(Wl->cols()) : 0;
  out.rcond = rcond;
  for (int i : order) out.values.push_back(values(i));
  if (Vr) {
    out.right.reserve(size_t(count) * out.dim);
    for (int i : order)
      for (int k = 0; k < out.dim; ++k) out.right.push_back((*Vr)(k, i));
  }
  if (Wl) {
    out.left.reserve(size_t(count) * out.dim);
    for (int i : order)
      for (int k = 0; k < out.dim; ++k) out.left.push_back((*Wl)(i, k));
  }
  return out;
}

void check_finite(const Eigen::MatrixXd& a, const char* what) {
  if (!a.allFinite()) throw std::range_error(std::string(what) + " contains NaN or Inf");
}

}  // namespace

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
  if (a.rows() != a.cols() || a.rows() < 1) throw std::range_error("eigen: the matrix must be square and not empty");
  check_finite(a, "eigen: the matrix");
  const bool vectors = rightVectors || leftVectors;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(a, vectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("eigen: the QR iteration did not converge");
  if (!vectors) return collect(solver.eigenvalues(), nullptr, nullptr, std::numeric_limits<double>::quiet_NaN());
  const Eigen::MatrixXcd V = solver.eigenvectors();  // unit-norm columns
  if (!leftVectors) return collect(solver.eigenvalues(), &V, nullptr, std::numeric_limits<double>::quiet_NaN());
  Eigen::PartialPivLU<Eigen::MatrixXcd> lu(V);
  const Eigen::MatrixXcd W = lu.inverse();  // rows: w_i with w_i^T v_j = delta_ij
  return collect(solver.eigenvalues(), rightVectors ? &V : nullptr, &W, lu.rcond());
}

Eigenpairs eigen_low_rank(double shift, const Eigen::MatrixXd& U, const Eigen::MatrixXd& V, bool rightVectors,
                          bool leftVectors) {
  if (U.rows() != V.rows() || U.cols() != V.cols() || U.cols() < 1)
    throw std::range_error("eigen: U and V must both be dim x R with R >= 1");
  check_finite(U, "eigen: U");
  check_finite(V, "eigen: V");
  const Eigen::MatrixXd core = V.transpose() * U;
  const bool vectors = rightVectors || leftVectors;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(core, vectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("eigen: the QR iteration did not converge");
  const Eigen::VectorXcd values = solver.eigenvalues().array() + shift;
  if (!vectors) return collect(values, nullptr, nullptr, std::numeric_limits<double>::quiet_NaN());
  const Eigen::MatrixXcd C = solver.eigenvectors();
  Eigen::MatrixXcd right = U.cast<Complex>() * C;
  for (Eigen::Index i = 0; i < right.cols(); ++i) {
    const double norm = right.col(i).norm();
    if (norm > 0) right.col(i) /= norm;
  }
  if (!leftVectors) return collect(values, &right, nullptr, std::numeric_limits<double>::quiet_NaN());
  Eigen::PartialPivLU<Eigen::MatrixXcd> lu(C);
  Eigen::MatrixXcd left = lu.inverse() * V.transpose().cast<Complex>();  // rows d_i^T V^T
  for (Eigen::Index i = 0; i < left.rows(); ++i) {
    // w_i^T v_i = mu_i d_i^T c_i / |U c_i|: zero when the pair merges with the trivial eigenvalue (left as is)
    const Complex overlap = left.row(i).transpose().cwiseProduct(right.col(i)).sum();
    if (std::abs(overlap) > 1e-14 * left.row(i).norm()) left.row(i) /= overlap;
  }
  return collect(values, rightVectors ? &right : nullptr, &left, lu.rcond());
}

}  // namespace lowrank
