#include "dynamics.hpp"

#include <stdexcept>

namespace lowrank {

template <class S>
VectorField<S>::VectorField(const ModelSpec& spec, const double* params)
    : spec_(spec), current_(spec.formulation == Formulation::Current) {
  validate_spec(spec_);
  const ParamLayout layout(spec_);
  const int N = spec_.size, R = spec_.rank, K = spec_.inputs;
  using CMap = Eigen::Map<const RowMatrix<double>>;
  auto at = [&](int id) { return params + layout.seg[id].offset; };
  if (spec_.lowRank()) {
    m_ = CMap(at(kM), N, R).cast<S>();
    n_ = (CMap(at(kN), N, R) / double(N)).cast<S>();
    if (spec_.noAutapse) {
      selfCoupling_ = (CMap(at(kM), N, R).array() * CMap(at(kN), N, R).array()).rowwise().sum().transpose().cast<S>() /
                      S(N);
      hasSelfCoupling_ = true;
    }
  } else {
    wrec_ = CMap(at(kWrec), N, N).cast<S>();
  }
  RowMatrix<double> win = CMap(at(kWi), K, N);
  for (int k = 0; k < K; ++k) win.row(k) *= params[layout.seg[kSi].offset + k];
  inputWeights_ = win.cast<S>();
  bias_ = CMap(at(kB), 1, N).cast<S>();
  hasBias_ = !bias_.isZero(0);
}

template <class S>
RowMatrix<S> VectorField<S>::drive(const double* inputs, int rows) const {
  const int N = spec_.size, K = spec_.inputs;
  RowMatrix<S> D = RowMatrix<S>::Zero(rows, N);
  if (K > 0) D = Eigen::Map<const RowMatrix<double>>(inputs, rows, K).cast<S>() * inputWeights_;
  if (!current_ && hasBias_) D.rowwise() += bias_;
  return D;
}

template <class S>
void VectorField<S>::times_wt(const RowMatrix<S>& A, RowMatrix<S>& out) const {
  if (!spec_.lowRank()) {
    out.noalias() = A * wrec_.transpose();
    return;
  }
  out.noalias() = (A * n_) * m_.transpose();
  if (hasSelfCoupling_) out.array() -= A.array().rowwise() * selfCoupling_.array();
}

template <class S>
void VectorField<S>::times_w(const RowMatrix<S>& A, RowMatrix<S>& out) const {
  if (!spec_.lowRank()) {
    out.noalias() = A * wrec_;
    return;
  }
  out.noalias() = (A * m_) * n_.transpose();
  if (hasSelfCoupling_) out.array() -= A.array().rowwise() * selfCoupling_.array();
}

template <class S>
void VectorField<S>::activity(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& Y, RowMatrix<S>* dY) const {
  if (current_) {
    Y = X;
    if (hasBias_) Y.rowwise() += bias_;
  } else {
    times_wt(X, Y);
    Y += D;
  }
  spec_.transfer.apply(Y.array(), Y.array());
  if (dY) {
    dY->setOnes(Y.rows(), Y.cols());
    spec_.transfer.scale_by_derivative(Y.array(), dY->array());
  }
}

template <class S>
void VectorField<S>::velocity(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& F) const {
  RowMatrix<S> Y;
  activity(X, D, Y, nullptr);
  if (current_) {
    times_wt(Y, F);
    F += D - X;
  } else {
    F = Y - X;
  }
}

template <class S>
void VectorField<S>::velocity_and_gradient(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& F,
                                           RowMatrix<S>& G) const {
  RowMatrix<S> Y, dY;
  activity(X, D, Y, &dY);
  if (current_) {
    // J = -I + W diag(phi'), so J^T F = -F + phi' * (W^T F)
    times_wt(Y, F);
    F += D - X;
    times_w(F, G);
    G = G.cwiseProduct(dY) - F;
  } else {
    // J = -I + diag(f') W, so J^T F = -F + W^T (f' * F)
    F = Y - X;
    times_w(dY.cwiseProduct(F), G);
    G -= F;
  }
}

template <class S>
Eigen::VectorXd VectorField<S>::slopes(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const {
  const int N = spec_.size;
  if (x.size() != N || d.size() != N) throw std::range_error("the state and the drive must have one value per unit");
  RowMatrix<S> X = x.transpose().cast<S>(), D = d.transpose().cast<S>(), Y, dY;
  activity(X, D, Y, &dY);
  return dY.row(0).transpose().template cast<double>();
}

template <class S>
Eigen::MatrixXd VectorField<S>::jacobian(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const {
  const Eigen::VectorXd s = slopes(x, d);
  Eigen::MatrixXd W;
  if (spec_.lowRank()) {
    W = m_.template cast<double>() * n_.template cast<double>().transpose();
    if (hasSelfCoupling_) W.diagonal() -= selfCoupling_.transpose().template cast<double>();
  } else {
    W = wrec_.template cast<double>();
  }
  Eigen::MatrixXd J = current_ ? Eigen::MatrixXd(W * s.asDiagonal()) : Eigen::MatrixXd(s.asDiagonal() * W);
  J.diagonal().array() -= 1.0;
  return J;
}

template <class S>
StructuredJacobian VectorField<S>::structured_jacobian(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const {
  if (!spec_.lowRank()) throw std::invalid_argument("a structured Jacobian needs a low-rank net");
  const Eigen::VectorXd s = slopes(x, d);
  StructuredJacobian j;
  const Eigen::MatrixXd m = m_.template cast<double>(), n = n_.template cast<double>();
  j.diagonal = Eigen::VectorXd::Constant(spec_.size, -1.0);
  if (hasSelfCoupling_) j.diagonal.array() -= s.array() * selfCoupling_.transpose().template cast<double>().array();
  if (current_) {
    // -I + (M - diag(c)) diag(phi')
    j.U = m;
    j.V = s.asDiagonal() * n;
  } else {
    // -I + diag(f') (M - diag(c))
    j.U = s.asDiagonal() * m;
    j.V = n;
  }
  return j;
}

template class VectorField<float>;
template class VectorField<double>;

}  // namespace lowrank
