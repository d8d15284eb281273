// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's triangular matrix-vector product (used by EigenSolver).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include "eigen_decomposition.hpp"

#include "lapack.hpp"
#include "linalg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace lowrank {
namespace {

using Complex = std::complex<double>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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

std::vector<int> eigen_order(const Eigen::VectorXcd& values) {
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
  return order;
}

Eigenpairs sorted_eigenpairs(const Eigen::VectorXcd& values, const Eigen::MatrixXcd* Vr, const Eigen::MatrixXcd* Wl,
                             double rcond) {
  const int count = int(values.size());
  const std::vector<int> order = eigen_order(values);
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

// ---- the dense problem on LAPACK, straight from the row-major buffer ----------------------------------------------

// Eigenvector j of the packed columns: x + i sigma y, with x = P(:, col), y = P(:, col + 1) for a complex pair (y null
// for a real eigenvalue).
struct PackedVector {
  const double* x;
  const double* y;
  double sigma;
};

// The factor that brings x + i sigma y to the convention of fix_phase (unit 2-norm, the first component of (near)
// largest modulus real and positive), the component made real, and that component's modulus after scaling.
struct PhaseFactor {
  Complex factor;
  int reference = 0;
  double referenceModulus = 0;
};

PhaseFactor phase_factor(const PackedVector& v, int n) {
  const auto modulus2 = [&](int k) { return v.x[k] * v.x[k] + (v.y ? v.y[k] * v.y[k] : 0.0); };
  double norm2 = 0, largest2 = 0;
  for (int k = 0; k < n; ++k) {
    const double m2 = modulus2(k);
    norm2 += m2;
    largest2 = std::max(largest2, m2);
  }
  PhaseFactor f;
  f.factor = 1.0;
  if (!(largest2 > 0)) return f;
  const auto modulus = [&](int k) { return v.y ? std::hypot(v.x[k], v.y[k]) : std::abs(v.x[k]); };
  // phase_reference_candidate on the exact moduli, which only components within 1e-5 of the largest squared modulus
  // can pass: those few get hypot, the rest are skipped on the squares
  const double screen = (1.0 - 1e-5) * largest2;
  double largest = 0;
  for (int k = 0; k < n; ++k)
    if (modulus2(k) >= screen) largest = std::max(largest, modulus(k));
  int ref = 0;
  for (int k = 0; k < n; ++k)
    if (modulus2(k) >= screen && phase_reference_candidate(modulus(k), largest)) {
      ref = k;
      break;
    }
  const double norm = std::sqrt(norm2), refModulus = modulus(ref);
  const Complex at(v.x[ref], v.y ? v.sigma * v.y[ref] : 0.0);
  f.factor = std::conj(at) / (refModulus * norm);
  f.reference = ref;
  f.referenceModulus = refModulus / norm;
  return f;
}

// Writes (x + i sigma y) * factor into re, im (n each), its reference component exactly real; returns its 1-norm when
// `l1Norm` (else 0).
double write_scaled(const PackedVector& v, const PhaseFactor& f, int n, double* re, double* im, bool l1Norm) {
  const double fr = f.factor.real(), fi = f.factor.imag();
  double l1 = 0;
  if (v.y) {
    const double s = v.sigma;
    for (int k = 0; k < n; ++k) {
      const double a = v.x[k], b = s * v.y[k];
      re[k] = a * fr - b * fi;
      im[k] = a * fi + b * fr;
    }
    if (l1Norm)
      for (int k = 0; k < n; ++k) l1 += std::sqrt(re[k] * re[k] + im[k] * im[k]);
  } else {
    for (int k = 0; k < n; ++k) {
      re[k] = v.x[k] * fr;
      im[k] = 0.0;
    }
    if (l1Norm)
      for (int k = 0; k < n; ++k) l1 += std::abs(re[k]);
  }
  re[f.reference] = f.referenceModulus;
  im[f.reference] = 0.0;
  return l1;
}

// `work`: the row-major matrix, overwritten.
PlanarEigenpairs eigen_rows_lapack(std::vector<double>& work, int n, bool rightVectors, bool leftVectors, int threads) {
  const size_t nn = size_t(n) * n;
  const bool vectors = rightVectors || leftVectors;
  PlanarEigenpairs out;
  out.n = n;
  std::vector<double> packed(vectors ? nn : 0), wr(n), wi(n);
  // the row-major buffer is A^T column-major; its left vectors, conjugated, are A's right vectors (header)
  const int info = lapack::geev(n, work.data(), wr.data(), wi.data(), vectors ? packed.data() : nullptr, nullptr, threads);
  if (info < 0) throw std::logic_error("eigen: dgeev rejected argument " + std::to_string(-info));
  if (info > 0) throw std::runtime_error("eigen: the QR iteration (LAPACK dgeev) did not converge");
  Eigen::VectorXcd values(n);
  for (int j = 0; j < n; ++j) values(j) = Complex(wr[j], wi[j]);
  const std::vector<int> order = eigen_order(values);
  out.re.resize(n);
  out.im.resize(n);
  for (int i = 0; i < n; ++i) out.re[i] = wr[order[i]], out.im[i] = wi[order[i]];
  if (!vectors) return out;
  // dgeev packs a pair j, j + 1 (positive imaginary part first) as u = P(:, j) +- i P(:, j + 1); A's right vector of
  // lambda_j is conj(u_j) = P(:, j) - i P(:, j + 1), that of lambda_{j+1} = conj(lambda_j) is P(:, j) + i P(:, j + 1).
  std::vector<PackedVector> packing(n);
  for (int j = 0; j < n; ++j) {
    const double* col = packed.data() + size_t(j) * n;
    if (wi[j] == 0.0 || j + 1 == n) {
      packing[j] = {col, nullptr, 0.0};
      continue;
    }
    packing[j] = {col, col + n, -1.0};
    packing[j + 1] = {col, col + n, 1.0};
    ++j;
  }
  std::vector<PhaseFactor> phase(n);
  for (int j = 0; j < n; ++j) {
    if (packing[j].sigma > 0) {  // the second of a pair: the conjugate of the first's
      phase[j] = phase[j - 1];
      phase[j].factor = std::conj(phase[j - 1].factor);
      continue;
    }
    phase[j] = phase_factor(packing[j], n);
  }
  double rightNorm = 0;  // |V|_1 of the scaled right vectors
  std::vector<double> scratchRe(rightVectors ? 0 : n), scratchIm(rightVectors ? 0 : n);
  if (rightVectors) out.rightRe.resize(nn), out.rightIm.resize(nn);
  for (int i = 0; i < n; ++i) {
    const int j = order[i];
    double* re = rightVectors ? out.rightRe.data() + size_t(i) * n : scratchRe.data();
    double* im = rightVectors ? out.rightIm.data() + size_t(i) * n : scratchIm.data();
    rightNorm = std::max(rightNorm, write_scaled(packing[j], phase[j], n, re, im, leftVectors));
  }
  if (!leftVectors) return out;
  // V = P B with B block diagonal ([[1, 1], [-i, i]] for a pair), so V^-1 = B^-1 P^-1 (B^-1 = [[1, i], [1, -i]] / 2),
  // rows divided by the scaling factors. P^-1's rows are the columns of (P^T)^-1, which is inverted in place of A.
  transpose_into(packed.data(), n, n, work.data());
  packed = std::vector<double>();
  out.leftRe.resize(nn);
  out.leftIm.resize(nn);
  if (lapack::inverse(n, work.data(), threads) != 0) {  // singular: a defective matrix
    std::fill(out.leftRe.begin(), out.leftRe.end(), kNaN);
    std::fill(out.leftIm.begin(), out.leftIm.end(), kNaN);
    out.rcond = 0.0;
    return out;
  }
  std::vector<double> columnSums(n, 0.0);  // for |W|_1
  for (int i = 0; i < n; ++i) {
    const int j = order[i];
    const PackedVector& v = packing[j];
    const size_t col = size_t(v.y ? (v.sigma < 0 ? j : j - 1) : j) * n;
    const PackedVector rows{work.data() + col, v.y ? work.data() + col + n : nullptr, -v.sigma};
    const Complex g = (v.y ? 0.5 : 1.0) / phase[j].factor;
    double* re = out.leftRe.data() + size_t(i) * n;
    double* im = out.leftIm.data() + size_t(i) * n;
    const double gr = g.real(), gi = g.imag();
    if (rows.y) {
      for (int k = 0; k < n; ++k) {
        const double x = rows.x[k], y = rows.sigma * rows.y[k];
        re[k] = x * gr - y * gi;
        im[k] = x * gi + y * gr;
        columnSums[k] += std::sqrt(re[k] * re[k] + im[k] * im[k]);
      }
    } else {
      for (int k = 0; k < n; ++k) {
        re[k] = rows.x[k] * gr;
        im[k] = rows.x[k] * gi;
        columnSums[k] += std::sqrt(re[k] * re[k] + im[k] * im[k]);
      }
    }
  }
  const double norms = rightNorm * *std::max_element(columnSums.begin(), columnSums.end());
  out.rcond = std::isfinite(norms) && norms > 0 ? 1.0 / norms : 0.0;
  return out;
}

// Eigen's EigenSolver (no LAPACK).
Eigenpairs eigen_dense_eigen(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
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

void check_dense(int rows, int cols) {
  if (rows != cols || rows < 1) throw std::range_error("eigen: the matrix must be square and not empty");
}

}  // namespace

PlanarEigenpairs eigen_dense_rows(std::vector<double> a, int n, bool rightVectors, bool leftVectors, int threads) {
  check_dense(n, n);
  if (a.size() != size_t(n) * n) throw std::range_error("eigen: the matrix must have n * n values");
  const Eigen::Map<const RowMatrixXd> A(a.data(), n, n);
  if (!A.allFinite()) throw std::range_error("eigen: the matrix contains NaN or Inf");
  if (lapack::available()) return eigen_rows_lapack(a, n, rightVectors, leftVectors, threads);
  const Eigenpairs e = eigen_dense_eigen(A, rightVectors, leftVectors);
  PlanarEigenpairs out;
  out.n = n;
  const auto split = [](const std::vector<Complex>& z, std::vector<double>& re, std::vector<double>& im) {
    re.resize(z.size());
    im.resize(z.size());
    for (size_t i = 0; i < z.size(); ++i) re[i] = z[i].real(), im[i] = z[i].imag();
  };
  split(e.values, out.re, out.im);
  if (rightVectors) split(e.right, out.rightRe, out.rightIm);
  if (leftVectors) split(e.left, out.leftRe, out.leftIm);
  out.rcond = e.rcond;
  return out;
}

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors) {
  check_dense(int(a.rows()), int(a.cols()));
  check_finite(a, "eigen: the matrix");
  if (!lapack::available()) return eigen_dense_eigen(a, rightVectors, leftVectors);
  const int n = int(a.rows());
  std::vector<double> rows(size_t(n) * n);
  Eigen::Map<RowMatrixXd>(rows.data(), n, n) = a;
  const PlanarEigenpairs p = eigen_rows_lapack(rows, n, rightVectors, leftVectors, 0);
  Eigenpairs out;
  out.count = n;
  out.dim = rightVectors || leftVectors ? n : 0;
  out.rcond = leftVectors ? p.rcond : kNaN;
  const auto join = [](const std::vector<double>& re, const std::vector<double>& im, std::vector<Complex>& z) {
    z.resize(re.size());
    for (size_t i = 0; i < re.size(); ++i) z[i] = Complex(re[i], im[i]);
  };
  join(p.re, p.im, out.values);
  join(p.rightRe, p.rightIm, out.right);
  join(p.leftRe, p.leftIm, out.left);
  return out;
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
