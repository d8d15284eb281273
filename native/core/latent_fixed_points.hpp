// The fixed points of a low-rank net at a constant input, found in its R-dimensional latent space.
//
// With W = m n^T / N (no autapse correction) and a constant drive, F(x) = 0 forces the state onto an R-dimensional
// set parametrised by kappa = n^T phi(.) / N, the recurrent input's coordinates along m:
//   current: F(x) = -x + m n^T phi(x + b) / N + W_in^T u = 0  <=>  x = m kappa + W_in^T u,
//   rate:    F(r) = -r + phi(m n^T r / N + W_in^T u + b) = 0  <=>  r = phi(m kappa + W_in^T u + b),
// and in both cases kappa solves the R equations G(kappa) = -kappa + n^T phi(m kappa + e) / N = 0, with the offset
// e = W_in^T u + b. Every fixed point of the N-dimensional flow is the lift of a root of G, and every root lifts to
// one; slow points (minima of |F| with F != 0) are not on this set in general.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "dynamics.hpp"

namespace lowrank {

// True when the reduction above is exact: a low-rank net without no-autapse (under no-autapse the diagonal term
// -diag(m_i . n_i / N) phi(x) takes the fixed points off the plane).
bool latent_reduction_exact(const ModelSpec& spec);

// G, its Jacobian, and the maps between states and kappa, at one constant drive.
class LatentSystem {
 public:
  // drive: the field's drive row (VectorField::drive: W_in^T u, plus b for the rate formulation).
  LatentSystem(const ModelSpec& spec, const double* params, const Eigen::VectorXd& drive);

  int rank() const { return int(m_.cols()); }
  // g = G(kappa); jacobian (R x R) = -I + n^T diag(phi'(m kappa + e)) m / N when not null.
  void residual(const Eigen::VectorXd& kappa, Eigen::VectorXd& g, Eigen::MatrixXd* jacobian) const;
  // The kappa a state stands for: the least-squares coordinates of x - W_in^T u on m (current), or n^T r / N (rate,
  // the recurrent input the rates r deliver). Exact at fixed points.
  Eigen::VectorXd project(const Eigen::VectorXd& state) const;
  // The state of a kappa: m kappa + W_in^T u (current) or phi(m kappa + e) (rate).
  Eigen::VectorXd lift(const Eigen::VectorXd& kappa) const;
  // When phi is bounded (tanh), the box every root lies in: |kappa_r| <= sum_i |n_ir| / N. False otherwise.
  bool bounds(Eigen::VectorXd& lo, Eigen::VectorXd& hi) const;

 private:
  bool current_;
  Transfer transfer_;
  Eigen::MatrixXd m_, nScaled_;  // N x R; n / N
  Eigen::VectorXd drive_, offset_;
  Eigen::LDLT<Eigen::MatrixXd> gram_;  // of m^T m, for the projection
};

struct LatentRoot {
  Eigen::VectorXd kappa;
  double residual = 0.0;  // |G(kappa)|_2 where it ended
  int iterations = 0;     // accepted steps
};

// Levenberg-Marquardt on |G|^2 / 2 from `start` (damping relative to the largest diagonal of J^T J, 1e-12 at first:
// Newton's method wherever J is well conditioned, steps that stay bounded where it is singular, e.g. on a ring of
// fixed points). Stops at a root to rounding, when no damping up to 1e8 decreases |G| (a local minimum of |G|, or
// the rounding floor), or after maxIterations accepted steps.
LatentRoot latent_newton(const LatentSystem& system, const Eigen::VectorXd& start, int maxIterations);

// `count` starts spread over the box [lo, hi]: a grid of g^R points (g = floor(count^(1/R)), cell centres) when
// g >= 3, else uniform random points (seeded). R x count values, column per start.
Eigen::MatrixXd spread_starts(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, int count, uint64_t seed);

}  // namespace lowrank
