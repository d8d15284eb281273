#include "predictive_information.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lowrank {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Block (i, j) of the covariance of k consecutive d-dimensional samples: c[j - i] above the diagonal, c[i - j]^T below.
Eigen::MatrixXd block_toeplitz(const std::vector<Eigen::MatrixXd>& c, int k, int d) {
  Eigen::MatrixXd out(k * d, k * d);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      if (j >= i) out.block(i * d, j * d, d, d) = c[j - i];
      else out.block(i * d, j * d, d, d) = c[i - j].transpose();
    }
  return out;
}

// The Cholesky factor of Sigma_k (its lower triangle read), refused when Sigma_k is not positive definite.
Eigen::LLT<Eigen::MatrixXd> factor(const std::vector<Eigen::MatrixXd>& c, int k, int d) {
  Eigen::LLT<Eigen::MatrixXd> llt(block_toeplitz(c, k, d));
  if (llt.info() != Eigen::Success || !(llt.matrixLLT().diagonal().array() > 0).all())
    throw std::range_error("the covariance of " + std::to_string(k) +
                           " consecutive projected samples is not positive definite; use more data, a smaller window "
                           "or a lower dimension");
  return llt;
}

double log_det(const Eigen::LLT<Eigen::MatrixXd>& llt) { return 2 * llt.matrixLLT().diagonal().array().log().sum(); }

}  // namespace

PredictiveInformation predictive_information(const double* lags, int N, int window, const double* v, int d, bool gradient) {
  const int L = 2 * window;
  const Eigen::Map<const RowMatrix> V(v, N, d);
  // C V, C^T V (N x d) and V^T C V (d x d) for each lag
  std::vector<Eigen::MatrixXd> cv(L), ctv(gradient ? L : 0), c(L);
  for (int l = 0; l < L; ++l) {
    const Eigen::Map<const RowMatrix> C(lags + size_t(l) * N * N, N, N);
    cv[l].noalias() = C * V;
    if (gradient) ctv[l].noalias() = C.transpose() * V;
    c[l].noalias() = V.transpose() * cv[l];
  }
  PredictiveInformation out;
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(gradient ? N : 0, gradient ? d : 0);
  for (const auto& [k, weight] : {std::pair<int, double>{window, 1.0}, {L, -0.5}}) {
    const auto llt = factor(c, k, d);
    out.value += weight * log_det(llt);
    if (!gradient) continue;
    // d log det Sigma_k / dV = 2 sum over blocks (i, j) of B_ij V (Sigma_k^-1)_ji, B_ij = C(j - i) or C(i - j)^T:
    // with S(lag) the sum of the inverse's blocks (i + lag, i), the gradient gains 2 w (C V S + [lag > 0] C^T V S^T).
    const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(k * d, k * d));
    for (int lag = 0; lag < k; ++lag) {
      Eigen::MatrixXd s = Eigen::MatrixXd::Zero(d, d);
      for (int i = 0; i + lag < k; ++i) s += inv.block((i + lag) * d, i * d, d, d);
      g.noalias() += 2 * weight * (cv[lag] * s);
      if (lag > 0) g.noalias() += 2 * weight * (ctv[lag] * s.transpose());
    }
  }
  if (gradient) {
    out.gradient.resize(size_t(N) * d);
    Eigen::Map<RowMatrix>(out.gradient.data(), N, d) = g;
  }
  return out;
}

}  // namespace lowrank
