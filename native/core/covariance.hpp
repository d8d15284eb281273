// Lagged cross-covariances of multivariate time series, in double precision (Eigen matrix products).
#pragma once
#include <vector>

namespace lowrank {

// C(dt) = Cov(x_t, x_{t+dt}) for dt = 0..lags-1 of B trials of T samples of N variables (x: B x T x N, row-major):
// one mean over every sample; lag dt averages the B (T - dt) pairs inside trials; C(0) is symmetrised. Returns
// lags x N x N, row-major (entry (i, j) of C(dt) pairs x_t[i] with x_{t+dt}[j]). The lags are split over `threads`.
template <class S>
std::vector<double> cross_covariances(const S* x, int B, int T, int N, int lags, int threads);

}  // namespace lowrank
