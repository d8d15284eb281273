#include "partial_observation.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace lowrank {

namespace {
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMat = Eigen::MatrixXcd;
}  // namespace

std::vector<double> ridge_dynamics(const double* x, int trials, int steps, int units, double alpha, double ridge, bool tanh) {
  if (trials < 1 || steps < 2 || units < 1) throw std::range_error("ridge: need at least one trial of two steps of one unit");
  const int d = units;
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(d, d);   // sum phi(x_{t-1}) phi(x_{t-1})^T
  Eigen::MatrixXd cross = Eigen::MatrixXd::Zero(d, d);  // sum Delta_t phi(x_{t-1})^T
  RowMat phi(steps - 1, d);
  for (int b = 0; b < trials; ++b) {
    const Eigen::Map<const RowMat> X(x + size_t(b) * steps * d, steps, d);
    phi = X.topRows(steps - 1);
    if (tanh) phi = phi.array().tanh().matrix();
    gram.selfadjointView<Eigen::Lower>().rankUpdate(phi.transpose());
    cross.noalias() += (X.bottomRows(steps - 1) - (1 - alpha) * X.topRows(steps - 1)).transpose() * phi;
  }
  Eigen::MatrixXd h = gram.selfadjointView<Eigen::Lower>();
  h *= alpha * alpha;
  h.diagonal().array() += ridge;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
  const double rcond = ldlt.info() == Eigen::Success ? ldlt.rcond() : 0.0;
  if (!(rcond > 1e-13) || !ldlt.isPositive())
    throw std::range_error("ridge: the regularised Gram matrix ridge I + alpha^2 sum phi phi^T is singular (reciprocal condition " +
                           std::to_string(rcond) + "): use more time steps than observed units, or a ridge > 0");
  // A = alpha M H^-1, H symmetric: A^T = H^-1 (alpha M^T).
  const Eigen::MatrixXd at = ldlt.solve(alpha * cross.transpose());
  std::vector<double> out(size_t(d) * d);
  Eigen::Map<RowMat>(out.data(), d, d) = at.transpose();
  return out;
}

namespace {

// S = F S F^T + Q for Eigen matrices, F stable.
Eigen::MatrixXd stein(const Eigen::MatrixXd& F, const Eigen::MatrixXd& Q) {
  const int n = int(F.rows());
  Eigen::ComplexSchur<Eigen::MatrixXd> schur(F, true);
  if (schur.info() != Eigen::Success) throw std::runtime_error("lyapunov: the complex Schur iteration did not converge");
  const CMat& T = schur.matrixT();
  const CMat& U = schur.matrixU();
  double radius = 0;
  for (int i = 0; i < n; ++i) radius = std::max(radius, std::abs(T(i, i)));
  if (!(radius < 1))
    throw std::range_error("lyapunov: the dynamics are unstable (spectral radius " + std::to_string(radius) +
                           " >= 1), so there is no stationary covariance");
  const CMat C = U.adjoint() * Q.cast<std::complex<double>>() * U;
  CMat X = CMat::Zero(n, n);
  CMat M(n, n);
  for (int j = n - 1; j >= 0; --j) {
    // Column j of X = T X T^H + C: (I - conj(T_jj) T) X_j = C_j + T sum_{l > j} X_l conj(T_jl).
    Eigen::VectorXcd rhs = C.col(j);
    const int rest = n - 1 - j;
    if (rest > 0) rhs += T * (X.rightCols(rest) * T.row(j).tail(rest).adjoint());
    M = -std::conj(T(j, j)) * T;
    M.diagonal().array() += 1.0;
    X.col(j) = M.triangularView<Eigen::Upper>().solve(rhs);
  }
  const Eigen::MatrixXd S = (U * X * U.adjoint()).real();
  return 0.5 * (S + S.transpose());
}

}  // namespace

std::vector<double> discrete_lyapunov(const double* f, const double* q, int n) {
  if (n < 1) throw std::range_error("lyapunov: n must be positive");
  const Eigen::Map<const RowMat> F(f, n, n), Q(q, n, n);
  const Eigen::MatrixXd S = stein(F, Q);
  std::vector<double> out(size_t(n) * n);
  Eigen::Map<RowMat>(out.data(), n, n) = S;
  return out;
}

StationaryLimit stationary_limit(const double* b, int n, double alpha, double noise, double measurement, const int* observed, int d) {
  if (n < 1 || d < 1 || d > n) throw std::range_error("stationary limit: need 1 <= observed units <= n");
  const Eigen::Map<const RowMat> B(b, n, n);
  Eigen::MatrixXd F = alpha * Eigen::MatrixXd(B);
  F.diagonal().array() += 1 - alpha;
  const Eigen::MatrixXd Q = Eigen::MatrixXd::Identity(n, n) * (alpha * alpha * noise * noise);
  const Eigen::MatrixXd S = stein(F, Q);
  const Eigen::MatrixXd BS = Eigen::MatrixXd(B) * S;
  Eigen::MatrixXd bsoo(d, d), soo(d, d);
  for (int i = 0; i < d; ++i) {
    if (observed[i] < 0 || observed[i] >= n) throw std::range_error("stationary limit: an observed index is out of range");
    for (int j = 0; j < d; ++j) {
      bsoo(i, j) = BS(observed[i], observed[j]);
      soo(i, j) = S(observed[i], observed[j]);
    }
  }
  // Measurement noise m_t: E[x x^T] gains m^2 I, and E[Delta_t x_{t-1}^T] loses (1 - alpha) m^2 I.
  const double m2 = measurement * measurement;
  soo.diagonal().array() += m2;
  bsoo.diagonal().array() -= (1 - alpha) / alpha * m2;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(soo);
  if (ldlt.info() != Eigen::Success || !(ldlt.rcond() > 1e-13))
    throw std::range_error("stationary limit: the observed covariance is singular (is the noise 0?)");
  // limit = BS_oo S_oo^-1: limit^T = S_oo^-1 BS_oo^T.
  const Eigen::MatrixXd limitT = ldlt.solve(bsoo.transpose());
  StationaryLimit out;
  out.covariance.resize(size_t(n) * n);
  Eigen::Map<RowMat>(out.covariance.data(), n, n) = S;
  out.limit.resize(size_t(d) * d);
  Eigen::Map<RowMat>(out.limit.data(), d, d) = limitT.transpose();
  return out;
}

std::vector<double> rotate_canonical(const double* u, const double* t, int n) {
  if (n < 1) throw std::range_error("rotate: n must be positive");
  const Eigen::Map<const RowMat> U(u, n, n), T(t, n, n);
  std::vector<double> out(size_t(n) * n);
  Eigen::Map<RowMat>(out.data(), n, n).noalias() = U * T * U.transpose();
  return out;
}

}  // namespace lowrank
