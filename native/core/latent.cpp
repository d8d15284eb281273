#include "latent.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <string>

#include "linalg.hpp"

namespace lowrank {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void validate_latent_field(const LatentField& f) {
  if (f.size < 1 || f.rank < 1) throw std::range_error("latent field: size and rank must be positive");
  const size_t nr = size_t(f.size) * f.rank;
  if (f.m.size() != nr || f.n.size() != nr) throw std::range_error("latent field: m and n must have size x rank values");
  if (f.offset.size() != size_t(f.size)) throw std::range_error("latent field: offset must have size values");
  if (f.scale.size() != size_t(f.rank) || f.shift.size() != size_t(f.rank))
    throw std::range_error("latent field: scale and shift must have rank values");
  for (double a : f.scale)
    if (!(a != 0.0 && std::isfinite(a))) throw std::range_error("latent field: every scale must be finite and non-zero");
}

namespace {

struct Evaluator {
  const LatentField& f;
  Eigen::Map<const RowMat> m, n;
  Eigen::Map<const Eigen::VectorXd> offset, a, c;
  Eigen::VectorXd pre, y, d;
  RowMat weighted;

  explicit Evaluator(const LatentField& field)
      : f(field), m(field.m.data(), field.size, field.rank), n(field.n.data(), field.size, field.rank),
        offset(field.offset.data(), field.size), a(field.scale.data(), field.rank), c(field.shift.data(), field.rank) {}

  // Velocity at kappa into v; the Jacobian into jac when asked.
  void operator()(const Eigen::Ref<const Eigen::VectorXd>& kappa, Eigen::Ref<Eigen::VectorXd> v, Eigen::MatrixXd* jac) {
    const double invN = 1.0 / f.size;
    const Eigen::VectorXd ak = a.cwiseProduct(kappa);
    pre.noalias() = m * ak;
    pre += offset;
    y.resize(f.size);
    f.transfer.apply(pre.array(), y.array());
    v = ((n.transpose() * y) * invN - ak + c).cwiseQuotient(a);
    if (!jac) return;
    d.setOnes(f.size);
    f.transfer.scale_by_derivative(y.array(), d.array());
    weighted = m;
    weighted.array().colwise() *= d.array();
    Eigen::MatrixXd reduced = (n.transpose() * weighted) * invN;  // n^T diag(phi') m / N
    *jac = a.cwiseInverse().asDiagonal() * reduced * a.asDiagonal();
    jac->diagonal().array() -= 1.0;
  }
};

}  // namespace

void latent_velocity(const LatentField& f, const double* kappa, int points, double* velocity, double* jacobians) {
  validate_latent_field(f);
  const int R = f.rank;
  Evaluator eval(f);
  Eigen::MatrixXd jac;
  for (int p = 0; p < points; ++p) {
    Eigen::Map<const Eigen::VectorXd> k(kappa + size_t(p) * R, R);
    Eigen::Map<Eigen::VectorXd> v(velocity + size_t(p) * R, R);
    eval(k, v, jacobians ? &jac : nullptr);
    if (jacobians) Eigen::Map<RowMat>(jacobians + size_t(p) * R * R, R, R) = jac;
  }
}

LatentRoots latent_roots(const LatentField& f, const double* starts, int count, const NewtonOptions& opts) {
  validate_latent_field(f);
  if (!(opts.tolerance > 0)) throw std::range_error("tolerance must be positive");
  if (opts.maxIterations < 0) throw std::range_error("maxIterations must be >= 0");
  const int R = f.rank;
  Evaluator eval(f);
  LatentRoots out;
  out.points.assign(starts, starts + size_t(count) * R);
  out.speed.resize(count);
  out.iterations.resize(count);
  out.converged.resize(count);
  out.jacobians.resize(size_t(count) * R * R);
  out.eigenRe.resize(size_t(count) * R);
  out.eigenIm.resize(size_t(count) * R);
  Eigen::VectorXd v(R), trial(R), vTrial(R);
  Eigen::MatrixXd jac;
  for (int p = 0; p < count; ++p) {
    Eigen::Map<Eigen::VectorXd> k(out.points.data() + size_t(p) * R, R);
    eval(k, v, &jac);
    int it = 0;
    while (v.lpNorm<Eigen::Infinity>() > opts.tolerance && it < opts.maxIterations) {
      const Eigen::VectorXd step = jac.colPivHouseholderQr().solve(-v);
      const double norm = v.norm();
      double t = 1.0;
      bool accepted = false;
      for (int halving = 0; halving < 40 && step.allFinite(); ++halving, t *= 0.5) {
        trial = k + t * step;
        eval(trial, vTrial, nullptr);
        if (vTrial.norm() < (1.0 - 1e-4 * t) * norm) {
          accepted = true;
          break;
        }
      }
      ++it;
      if (!accepted) break;
      k = trial;
      eval(k, v, &jac);
    }
    out.iterations[p] = it;
    out.speed[p] = v.lpNorm<Eigen::Infinity>();
    out.converged[p] = out.speed[p] <= opts.tolerance ? 1 : 0;
    Eigen::Map<RowMat>(out.jacobians.data() + size_t(p) * R * R, R, R) = jac;
    const auto eig = schur_eigenvalues(jac);
    for (int r = 0; r < R; ++r) {
      out.eigenRe[size_t(p) * R + r] = eig[r].real();
      out.eigenIm[size_t(p) * R + r] = eig[r].imag();
    }
  }
  return out;
}

}  // namespace lowrank
