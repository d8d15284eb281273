// Gauss-Hermite quadrature and the Gaussian averages of a transfer function that mean-field theory needs.
#pragma once
#include <vector>

#include "activation.hpp"

namespace lowrank {

// Nodes x_i (ascending) and weights w_i with sum_i w_i f(x_i) ~ integral f(x) exp(-x^2) dx (physicists' convention),
// exact for polynomials of degree < 2n, 1 <= n <= 400 (beyond, exp(x^2 / 2) at the outer nodes overflows). Found by
// Newton's method on the orthonormal Hermite recurrence.
struct GaussHermite {
  std::vector<double> nodes, weights;
};

GaussHermite gauss_hermite(int n);

// For each (mu_i, delta_i): <phi(mu + sqrt(delta) z)> and <phi'(mu + sqrt(delta) z)> over z ~ N(0, 1), with the
// n-point rule on nodes sqrt(2) x_i and weights w_i / sqrt(pi) (reference lib_rnns). delta must be >= 0.
void transfer_moments(const Transfer& transfer, const double* mu, const double* delta, int count, int points,
                      double* mean, double* meanDerivative);

}  // namespace lowrank
