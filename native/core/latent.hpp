// The exact latent dynamics of a low-rank net (current formulation) in an R-dimensional coordinate kappa.
//
// With the state embedded as x = m (a o kappa) + x_perp (a: a per-axis scale, o: element-wise product) and the
// constant input current I = m c + x_perp, the network's vector field F(x) = -x + m n^T phi(x + b) / N + I lies in the
// span of m: F(x) = m w with w = -(a o kappa) + n^T phi(x + b) / N + c. The latent velocity is kappa' = w / a and its
// Jacobian is -I_R + diag(1/a) (n^T diag(phi') m / N) diag(a), similar to the reduced R x R matrix.
#pragma once
#include <complex>
#include <vector>

#include "activation.hpp"

namespace lowrank {

struct LatentField {
  int size = 0, rank = 0;
  std::vector<double> m, n;  // size x rank, row-major
  std::vector<double> offset;  // size: x_perp + b, the pre-activation at kappa = 0
  std::vector<double> scale;   // rank: a
  std::vector<double> shift;   // rank: c
  Transfer transfer;
};

void validate_latent_field(const LatentField& f);

// Velocities (points x rank) and, when `jacobians` is not null, Jacobians (points x rank x rank, row-major) at
// `points` kappa values (points x rank, row-major).
void latent_velocity(const LatentField& f, const double* kappa, int points, double* velocity, double* jacobians);

struct NewtonOptions {
  double tolerance = 1e-10;  // on max_r |kappa'_r|
  int maxIterations = 100;
};

struct LatentRoots {
  std::vector<double> points;      // starts x rank: where each start ended
  std::vector<double> speed;       // starts: max_r |kappa'_r| there
  std::vector<int> iterations;     // starts
  std::vector<unsigned char> converged;
  std::vector<double> jacobians;   // starts x rank x rank
  std::vector<double> eigenRe, eigenIm;  // starts x rank: eigenvalues of the Jacobian
};

// Damped Newton from each start (backtracking on |kappa'|; least-squares steps where the Jacobian is singular).
LatentRoots latent_roots(const LatentField& f, const double* starts, int count, const NewtonOptions& opts);

}  // namespace lowrank
