// The linear algebra of the partial-observation experiments (seed 003, Qian et al.): the closed-form MAP / ridge
// estimate of a dynamics matrix from observed trajectories, the discrete Lyapunov equation of a linear network's
// stationary covariance, and the long-time limit of the estimate under partial observation. Double precision.
#pragma once
#include <vector>

namespace lowrank {

// A_hat = alpha (sum_t Delta_t phi(x_{t-1})^T) (ridge I + alpha^2 sum_t phi(x_{t-1}) phi(x_{t-1})^T)^-1 with
// Delta_t = x_t - (1 - alpha) x_{t-1}, summed over every trial of x (row-major [trials, steps, units]) and every
// step t = 1 .. steps - 1; phi is tanh (`tanh`) or the identity. Returns A_hat [units, units], row-major. Throws
// std::range_error when the regularised Gram matrix is singular (ridge 0 and too few steps, or constant data).
std::vector<double> ridge_dynamics(const double* x, int trials, int steps, int units, double alpha, double ridge, bool tanh);

// The solution S of S = F S F^T + Q (F, Q row-major n x n) by the complex Schur form of F (Bartels-Stewart
// for the Stein equation). Throws std::range_error when F has an eigenvalue of modulus >= 1.
std::vector<double> discrete_lyapunov(const double* f, const double* q, int n);

struct StationaryLimit {
  std::vector<double> covariance;  // S [n, n]: the stationary covariance of z_t = F z_{t-1} + alpha xi_t
  std::vector<double> limit;       // (B S)_oo (S_oo)^-1 [d, d] over the observed units o
};

// The linear teacher z_t = (1 - alpha) z_{t-1} + alpha B z_{t-1} + alpha xi_t, xi ~ N(0, noise^2 I): its
// stationary covariance, and the long-time limit of the ridge-free estimate from the units `observed` (d indices)
// observed with white measurement noise of std `measurement`:
// [(B S)_oo - (1 - alpha) / alpha m^2 I] (S_oo + m^2 I)^-1 (m = 0: (B S)_oo (S_oo)^-1).
StationaryLimit stationary_limit(const double* b, int n, double alpha, double noise, double measurement, const int* observed, int d);

// U T U^T for row-major n x n U and T (a teacher's rotation of its canonical form).
std::vector<double> rotate_canonical(const double* u, const double* t, int n);

}  // namespace lowrank
