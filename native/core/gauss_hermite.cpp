#include "gauss_hermite.hpp"

#include <Eigen/Core>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lowrank {

namespace {

// Orthonormal Hermite polynomial p_n(x) (with respect to exp(-x^2)) and p_{n-1}(x).
void hermite_pair(int n, double x, double& pn, double& pn1) {
  double p0 = std::pow(M_PI, -0.25), p1 = 0.0;
  for (int j = 1; j <= n; ++j) {
    const double p = x * std::sqrt(2.0 / j) * p0 - std::sqrt(double(j - 1) / j) * p1;
    p1 = p0;
    p0 = p;
  }
  pn = p0;
  pn1 = p1;
}

}  // namespace

GaussHermite gauss_hermite(int n) {
  if (n < 1 || n > 400) throw std::range_error("gaussHermite: n must be an integer in [1, 400]; got " + std::to_string(n));
  GaussHermite out;
  out.nodes.resize(n);
  out.weights.resize(n);
  std::vector<double> roots(size_t(n + 1) / 2);  // the non-negative roots, largest first
  double z = 0.0;
  for (int i = 0; i < int(roots.size()); ++i) {
    // Initial guesses: the largest roots from their asymptotics, the others extrapolated from the previous two.
    if (i == 0) z = std::sqrt(2.0 * n + 1) - 1.85575 * std::pow(2.0 * n + 1, -1.0 / 6.0);
    else if (i == 1) z -= 1.14 * std::pow(double(n), 0.426) / z;
    else if (i == 2) z = 1.86 * z - 0.86 * roots[0];
    else if (i == 3) z = 1.91 * z - 0.91 * roots[1];
    else z = 2.0 * z - roots[i - 2];
    bool done = false;
    double pn = 0, pn1 = 0;
    for (int it = 0; it < 100 && !done; ++it) {
      hermite_pair(n, z, pn, pn1);
      // Newton on the Hermite function p_n(x) exp(-x^2 / 2), whose growth is bounded: Newton on p_n itself
      // overshoots to the neighbouring root for large n (p_n grows like exp(x^2 / 2)).
      const double step = pn / (std::sqrt(2.0 * n) * pn1 - z * pn);
      z -= step;
      done = std::abs(step) <= 1e-15 * std::max(1.0, std::abs(z));
    }
    if (!done) throw std::runtime_error("gaussHermite: Newton's method did not converge for n = " + std::to_string(n));
    hermite_pair(n, z, pn, pn1);
    roots[i] = z;
    const double w = 1.0 / (n * pn1 * pn1);  // 2 / p_n'(x)^2 with p_n' = sqrt(2n) p_{n-1}
    out.nodes[n - 1 - i] = z;
    out.nodes[i] = -z;
    out.weights[n - 1 - i] = w;
    out.weights[i] = w;
  }
  if (n % 2 == 1) out.nodes[n / 2] = 0.0;
  return out;
}

void transfer_moments(const Transfer& transfer, const double* mu, const double* delta, int count, int points,
                      double* mean, double* meanDerivative) {
  const GaussHermite rule = gauss_hermite(points);
  const Eigen::Map<const Eigen::ArrayXd> x(rule.nodes.data(), points), w(rule.weights.data(), points);
  const Eigen::ArrayXd z = x * std::sqrt(2.0);
  const Eigen::ArrayXd weight = w / std::sqrt(M_PI);
  Eigen::ArrayXd pre(points), y(points), d(points);
  for (int i = 0; i < count; ++i) {
    if (!(delta[i] >= 0.0) || !std::isfinite(delta[i]) || !std::isfinite(mu[i]))
      throw std::range_error("transfer moments: every delta must be finite and >= 0 and every mu finite; entry " +
                             std::to_string(i) + " has mu = " + std::to_string(mu[i]) + ", delta = " + std::to_string(delta[i]));
    pre = mu[i] + std::sqrt(delta[i]) * z;
    transfer.apply(pre, y);
    d.setOnes();
    transfer.scale_by_derivative(y, d);
    mean[i] = (weight * y).sum();
    meanDerivative[i] = (weight * d).sum();
  }
}

}  // namespace lowrank
