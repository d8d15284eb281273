#include "latent_fixed_points.hpp"

#include <cmath>
#include <random>
#include <stdexcept>

namespace lowrank {

namespace {

// phi in place. tanh through exp, which Eigen vectorises in double (its tanh is scalar there): 1 - 2 / (e^2x + 1),
// within a few units of 1e-16 of tanh in absolute terms, and exactly +-1 where e^2x overflows or underflows.
void apply_transfer(const Transfer& t, Eigen::ArrayXd& y) {
  if (t.kind == Activation::Tanh) y = 1.0 - 2.0 / ((2.0 * y).exp() + 1.0);
  else t.apply(y, y);
}

}  // namespace

bool latent_reduction_exact(const ModelSpec& spec) { return spec.lowRank() && !spec.noAutapse; }

LatentSystem::LatentSystem(const ModelSpec& spec, const double* params, const Eigen::VectorXd& drive)
    : current_(spec.formulation == Formulation::Current), transfer_(spec.transfer), drive_(drive) {
  if (!latent_reduction_exact(spec))
    throw std::invalid_argument("the latent fixed-point search needs a low-rank net without no-autapse");
  const int N = spec.size, R = spec.rank;
  if (drive.size() != N) throw std::range_error("the drive must have one value per unit");
  const ParamLayout layout(spec);
  using CMap = Eigen::Map<const RowMatrix<double>>;
  m_ = CMap(params + layout.seg[kM].offset, N, R);
  nScaled_ = CMap(params + layout.seg[kN].offset, N, R) / double(N);
  const Eigen::Map<const Eigen::VectorXd> bias(params + layout.seg[kB].offset, N);
  // the drive of the rate formulation already holds b (VectorField::drive)
  offset_ = current_ ? Eigen::VectorXd(drive_ + bias) : drive_;
  gram_.compute(m_.transpose() * m_);
}

void LatentSystem::residual(const Eigen::VectorXd& kappa, Eigen::VectorXd& g, Eigen::MatrixXd* jacobian) const {
  Eigen::ArrayXd y = (m_ * kappa + offset_).array();
  apply_transfer(transfer_, y);
  g.noalias() = nScaled_.transpose() * y.matrix();
  g -= kappa;
  if (!jacobian) return;
  Eigen::ArrayXd slope = Eigen::ArrayXd::Ones(y.size());
  transfer_.scale_by_derivative(y, slope);
  jacobian->noalias() = nScaled_.transpose() * (slope.matrix().asDiagonal() * m_);
  jacobian->diagonal().array() -= 1.0;
}

Eigen::VectorXd LatentSystem::project(const Eigen::VectorXd& state) const {
  if (current_) return gram_.solve(m_.transpose() * (state - drive_));
  return nScaled_.transpose() * state;
}

Eigen::VectorXd LatentSystem::lift(const Eigen::VectorXd& kappa) const {
  if (current_) return m_ * kappa + drive_;
  Eigen::ArrayXd y = (m_ * kappa + offset_).array();
  transfer_.apply(y, y);
  return y.matrix();
}

bool LatentSystem::bounds(Eigen::VectorXd& lo, Eigen::VectorXd& hi) const {
  if (transfer_.kind != Activation::Tanh) return false;
  hi = nScaled_.cwiseAbs().colwise().sum().transpose();
  lo = -hi;
  return true;
}

LatentRoot latent_newton(const LatentSystem& system, const Eigen::VectorXd& start, int maxIterations) {
  LatentRoot out;
  out.kappa = start;
  Eigen::VectorXd g, gt;
  Eigen::MatrixXd J;
  system.residual(out.kappa, g, &J);
  double norm2 = g.squaredNorm();
  double damping = 1e-12;
  bool converged = false;  // the last step was below rounding
  while (!converged && out.iterations < maxIterations && std::isfinite(norm2) && norm2 > 0.0) {
    const Eigen::MatrixXd JtJ = J.transpose() * J;
    const Eigen::VectorXd rhs = -(J.transpose() * g);
    const double scale = std::max(JtJ.diagonal().maxCoeff(), 1e-300);
    // within a few hundred roundings of a root, one rejected step means the rounding floor: stop there rather than
    // raising the damping through every decade
    const bool nearFloor = std::sqrt(norm2) <= 1e-13 * (1.0 + out.kappa.norm());
    bool accepted = false;
    Eigen::VectorXd trial;
    for (int tries = 0; damping <= 1e8 && !(nearFloor && tries > 0); damping *= 10.0, ++tries) {
      Eigen::MatrixXd A = JtJ;
      A.diagonal().array() += damping * scale;
      const Eigen::VectorXd delta = A.ldlt().solve(rhs);
      if (!delta.allFinite()) continue;
      trial = out.kappa + delta;
      system.residual(trial, gt, nullptr);
      const double t2 = gt.squaredNorm();
      if (t2 < norm2) {
        accepted = true;
        converged = delta.norm() <= 1e-15 * (1.0 + out.kappa.norm());
        out.kappa = trial;
        norm2 = t2;
        damping = std::max(damping * 0.1, 1e-16);
        ++out.iterations;
        break;
      }
    }
    if (!accepted) break;
    system.residual(out.kappa, g, &J);
  }
  out.residual = std::sqrt(norm2);
  return out;
}

Eigen::MatrixXd spread_starts(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, int count, uint64_t seed) {
  const int R = int(lo.size());
  if (count <= 0 || R == 0) return Eigen::MatrixXd(R, 0);
  const int g = int(std::floor(std::pow(double(count), 1.0 / R) + 1e-9));
  if (g >= 3) {
    long total = 1;
    for (int r = 0; r < R; ++r) total *= g;
    Eigen::MatrixXd out(R, total);
    for (long s = 0; s < total; ++s) {
      long rest = s;
      for (int r = 0; r < R; ++r) {
        const int k = int(rest % g);
        rest /= g;
        out(r, s) = lo(r) + (hi(r) - lo(r)) * (k + 0.5) / g;
      }
    }
    return out;
  }
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd out(R, count);
  for (int s = 0; s < count; ++s)
    for (int r = 0; r < R; ++r) out(r, s) = lo(r) + (hi(r) - lo(r)) * double(rng() >> 11) * 0x1.0p-53;
  return out;
}

}  // namespace lowrank
