// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's triangular matrix-vector product (used by EigenSolver).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include "eigen_decomposition.hpp"

#include "lapack.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace lowrank {
namespace {

using Complex = std::complex<double>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_finite(const Eigen::MatrixXd& a, const char* what) {
  if (!a.allFinite()) throw std::range_error(std::string(what) + " contains NaN or Inf");
}

// The phase convention (phase_reference_candidate): scales v in place and returns the factor it was multiplied by.
Complex fix_phase(Eigen::VectorXcd& v) {
  const double largest = v.size() ? v.cwiseAbs().maxCoeff() : 0.0;
  if (!(largest > 0)) return 1.0;
  for (Eigen::Index k = 0; k < v.size(); ++k)
    if (phase_reference_candidate(std::abs(v(k)), largest)) {
      const Complex factor = std::conj(v(k)) / std::abs(v(k));
      v *= factor;
      v(k) = std::abs(v(k));  // exactly real
      return factor;
    }
  return 1.0;
}

// Unit 2-norm columns with fix_phase's phase; returns the factor each column was multiplied by.
Eigen::VectorXcd normalize_columns(Eigen::MatrixXcd& v) {
  Eigen::VectorXcd factors(v.cols());
  for (Eigen::Index i = 0; i < v.cols(); ++i) {
    Eigen::VectorXcd c = v.col(i);
    const double norm = c.norm();
    if (norm > 0) c /= norm;
    factors(i) = fix_phase(c) / (norm > 0 ? norm : 1.0);
    v.col(i) = c;
  }
  return factors;
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

namespace {

// eigen_dense on LAPACK (dgeev, then dgetrf + dgetri for the left vectors): the same conventions as Eigen's path.
Eigenpairs eigen_dense_lapack(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
  const int n = int(a.rows());
  const bool vectors = rightVectors || leftVectors;
  Eigen::MatrixXd work = a, packed(vectors ? n : 0, vectors ? n : 0);
  Eigen::VectorXd wr(n), wi(n);
  const int info = lapack::geev(n, work.data(), wr.data(), wi.data(), vectors ? packed.data() : nullptr);
  if (info < 0) throw std::logic_error("eigen: dgeev rejected argument " + std::to_string(-info));
  if (info > 0) throw std::runtime_error("eigen: the QR iteration (LAPACK dgeev) did not converge");
  Eigen::VectorXcd values(n);
  for (int j = 0; j < n; ++j) values(j) = Complex(wr(j), wi(j));
  if (!vectors) return sorted_eigenpairs(values, nullptr, nullptr, kNaN);
  // dgeev packs a complex pair j, j + 1 (positive imaginary part first) as packed(:, j) +- i packed(:, j + 1).
  Eigen::MatrixXcd V(n, n);
  for (int j = 0; j < n; ++j) {
    if (wi(j) == 0.0 || j + 1 == n) {
      V.col(j) = packed.col(j).cast<Complex>();
      continue;
    }
    V.col(j).real() = packed.col(j);
    V.col(j).imag() = packed.col(j + 1);
    V.col(j + 1) = V.col(j).conjugate();
    ++j;
  }
  const Eigen::VectorXcd factors = normalize_columns(V);
  if (!leftVectors) return sorted_eigenpairs(values, &V, nullptr, kNaN);
  // V = packed B with B block diagonal ([[1, 1], [i, -i]] for a pair), so V^-1 = B^-1 packed^-1, in real arithmetic;
  // then divided by the normalisation factors.
  Eigen::MatrixXd inverse = packed;
  Eigen::MatrixXcd W(n, n);
  if (lapack::inverse(n, inverse.data()) != 0) {
    W.setConstant(Complex(kNaN, kNaN));  // singular: a defective matrix
    return sorted_eigenpairs(values, rightVectors ? &V : nullptr, &W, 0.0);
  }
  for (int j = 0; j < n; ++j) {
    if (wi(j) == 0.0 || j + 1 == n) {
      W.row(j) = inverse.row(j).cast<Complex>();
      continue;
    }
    W.row(j).real() = 0.5 * inverse.row(j);
    W.row(j).imag() = -0.5 * inverse.row(j + 1);
    W.row(j + 1) = W.row(j).conjugate();
    ++j;
  }
  for (int j = 0; j < n; ++j) W.row(j) /= factors(j);
  return sorted_eigenpairs(values, rightVectors ? &V : nullptr, &W, reciprocal_condition(V, W));
}

}  // namespace

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
  if (a.rows() != a.cols() || a.rows() < 1) throw std::range_error("eigen: the matrix must be square and not empty");
  check_finite(a, "eigen: the matrix");
  if (lapack::available()) return eigen_dense_lapack(a, rightVectors, leftVectors);
  const bool vectors = rightVectors || leftVectors;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(a, vectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("eigen: the QR iteration did not converge");
  if (!vectors) return sorted_eigenpairs(solver.eigenvalues(), nullptr, nullptr, kNaN);
  Eigen::MatrixXcd V = solver.eigenvectors();
  normalize_columns(V);
  if (!leftVectors) return sorted_eigenpairs(solver.eigenvalues(), &V, nullptr, kNaN);
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
  if (!vectors) return sorted_eigenpairs(values, nullptr, nullptr, kNaN);
  Eigen::MatrixXcd C = solver.eigenvectors();
  normalize_columns(C);  // fixes the left vectors' phase when a pair merges with the trivial eigenvalue (below)
  Eigen::MatrixXcd right = U.cast<Complex>() * C;
  normalize_columns(right);
  if (!leftVectors) return sorted_eigenpairs(values, &right, nullptr, kNaN);
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
