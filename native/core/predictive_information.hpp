// Gaussian predictive information of a projected stationary process (Dynamical Components Analysis, Clark, Livezey &
// Bouchard 2019): PI_T(V^T x) = log det Sigma_T - 1/2 log det Sigma_2T (nats), Sigma_k the block-Toeplitz covariance
// of k consecutive projected samples built from the lagged cross-covariances C(dt) = Cov(x_t, x_{t+dt}), and its
// gradient with respect to V. In double precision, with Eigen.
#pragma once
#include <vector>

namespace lowrank {

struct PredictiveInformation {
  double value = 0;
  std::vector<double> gradient;  // [N, d] row-major; empty unless asked for
};

// `lags`: C(0..2 window - 1), each N x N row-major (entry (i, j) of C(dt) pairs x_t[i] with x_{t+dt}[j]); `v`: the
// projection [N, d] row-major. Throws std::range_error when the covariance of `window` or 2 window consecutive
// projected samples is not positive definite (the message says which and what to do).
PredictiveInformation predictive_information(const double* lags, int N, int window, const double* v, int d, bool gradient);

}  // namespace lowrank
