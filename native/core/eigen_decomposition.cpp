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

void check_finite(const Eigen::MatrixXd& a, const char* what) {
  if (!a.allFinite()) throw std::range_error(std::string(what) + " contains NaN or Inf");
}

// The phase convention (phase_reference_candidate).
void fix_phase(Eigen::VectorXcd& v) {
  const double largest = v.size() ? v.cwiseAbs().maxCoeff() : 0.0;
  if (!(largest > 0)) return;
  for (Eigen::Index k = 0; k < v.size(); ++k)
    if (phase_reference_candidate(std::abs(v(k)), largest)) {
      v *= std::conj(v(k)) / std::abs(v(k));
      v(k) = std::abs(v(k));  // exactly real
      return;
    }
}

// Unit 2-norm columns with fix_phase's phase.
void normalize_columns(Eigen::MatrixXcd& v) {
  for (Eigen::Index i = 0; i < v.cols(); ++i) {
    Eigen::VectorXcd c = v.col(i);
    const double norm = c.norm();
    if (norm > 0) c /= norm;
    fix_phase(c);
    v.col(i) = c;
  }
}

// 1 / (|A|_1 |A^-1|_1), or 0 when that is not finite
double reciprocal_condition(const Eigen::MatrixXcd& a, const Eigen::MatrixXcd& inverse) {
  const double norms = a.cwiseAbs().colwise().sum().maxCoeff() * inverse.cwiseAbs().colwise().sum().maxCoeff();
  return std::isfinite(norms) && norms > 0 ? 1.0 / norms : 0.0;
}

}  // namespace

Eigenpairs sorted_eigenpairs(const Eigen::VectorXcd& values, const Eigen::MatrixXcd* Vr, const Eigen::MatrixXcd* Wl,
                             double rcond) {
  const int count = int(values.size());
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values(a).real() > values(b).real(); });
  // runs of real parts equal to rounding (each within the tolerance of the previous one) by imaginary part
  double largest = 0;
  for (int i = 0; i < count; ++i) largest = std::max(largest, std::abs(values(i)));
  const double tolerance = kOrderTolerance * largest;
  for (int first = 0, last; first < count; first = last) {
    for (last = first + 1; last < count && values(order[last - 1]).real() - values(order[last]).real() <= tolerance;)
      ++last;
    std::stable_sort(order.begin() + first, order.begin() + last,
                     [&](int a, int b) { return values(a).imag() > values(b).imag(); });
  }
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

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
  if (a.rows() != a.cols() || a.rows() < 1) throw std::range_error("eigen: the matrix must be square and not empty");
  check_finite(a, "eigen: the matrix");
  const bool vectors = rightVectors || leftVectors;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(a, vectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("eigen: the QR iteration did not converge");
  if (!vectors) return sorted_eigenpairs(solver.eigenvalues(), nullptr, nullptr, std::numeric_limits<double>::quiet_NaN());
  Eigen::MatrixXcd V = solver.eigenvectors();
  normalize_columns(V);
  if (!leftVectors) return sorted_eigenpairs(solver.eigenvalues(), &V, nullptr, std::numeric_limits<double>::quiet_NaN());
  const Eigen::MatrixXcd W = Eigen::PartialPivLU<Eigen::MatrixXcd>(V).inverse();  // rows: w_i with w_i^T v_j = delta_ij
  return sorted_eigenpairs(solver.eigenvalues(), rightVectors ? &V : nullptr, &W, reciprocal_condition(V, W));
}

Eigenpairs eigen_low_rank(double shift, const Eigen::MatrixXd& U, const Eigen::MatrixXd& V, bool rightVectors,
                          bool leftVectors) {
  if (U.rows() != V.rows() || U.cols() != V.cols() || U.cols() < 1)
    throw std::range_error("eigen: U and V must both be dim x R with R >= 1");
  check_finite(U, "eigen: U");
  check_finite(V, "eigen: V");
  const Eigen::MatrixXd core = V.transpose() * U;
  check_finite(core, "eigen: the reduced matrix V^T U");  // finite U and V can still overflow
  const bool vectors = rightVectors || leftVectors;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(core, vectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("eigen: the QR iteration did not converge");
  const Eigen::VectorXcd values = solver.eigenvalues().array() + shift;
  if (!vectors) return sorted_eigenpairs(values, nullptr, nullptr, std::numeric_limits<double>::quiet_NaN());
  Eigen::MatrixXcd C = solver.eigenvectors();
  normalize_columns(C);  // fixes the left vectors' phase when a pair merges with the trivial eigenvalue (below)
  Eigen::MatrixXcd right = U.cast<Complex>() * C;
  normalize_columns(right);
  if (!leftVectors) return sorted_eigenpairs(values, &right, nullptr, std::numeric_limits<double>::quiet_NaN());
  const Eigen::MatrixXcd Cinv = Eigen::PartialPivLU<Eigen::MatrixXcd>(C).inverse();
  Eigen::MatrixXcd left = Cinv * V.transpose().cast<Complex>();  // rows d_i^T V^T
  for (Eigen::Index i = 0; i < left.rows(); ++i) {
    // w_i^T v_i = mu_i d_i^T c_i / |U c_i|: zero when the pair merges with the trivial eigenvalue (left as is)
    const Complex overlap = left.row(i).transpose().cwiseProduct(right.col(i)).sum();
    if (scales_left_vector(std::abs(overlap), left.row(i).norm())) left.row(i) /= overlap;
  }
  return sorted_eigenpairs(values, rightVectors ? &right : nullptr, &left, reciprocal_condition(C, Cinv));
}

}  // namespace lowrank
