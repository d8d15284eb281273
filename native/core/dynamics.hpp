// The autonomous vector field of a model at a constant input, and its Jacobian (DESIGN.md §2, noise off):
//   current: F(x) = -x + W phi(x + b) + W_in^T u
//   rate:    F(r) = -r + f(W r + W_in^T u + b)
// with W = m n^T / N for low-rank nets (minus its diagonal under no-autapse; the N x N matrix is never formed) or
// wrec. One noise-free step of the model is x -> x + alpha F(x). Batches are row-major, one state per row.
#pragma once
#include <Eigen/Dense>
#include "model.hpp"

namespace lowrank {

template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// J = diag(diagonal) + U V^T, the Jacobian of a low-rank net (U, V: N x R).
struct StructuredJacobian {
  Eigen::VectorXd diagonal;
  Eigen::MatrixXd U, V;
  // True when diagonal is -1 everywhere (no autapse correction): J = -I + U V^T.
  bool identityShift() const { return (diagonal.array() == -1.0).all(); }
};

template <class S>
class VectorField {
 public:
  // params: the model's parameters in layout order (ParamLayout), in double precision.
  VectorField(const ModelSpec& spec, const double* params);

  const ModelSpec& spec() const { return spec_; }
  int size() const { return spec_.size; }

  // The constant part of each row's drive: W_in^T u (current) or W_in^T u + b (rate); inputs: rows x K.
  RowMatrix<S> drive(const double* inputs, int rows) const;

  // F for every row of X (rows x N) with the matching rows of the drive.
  void velocity(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& F) const;
  // F and G = J^T F, the gradient of q = |F|^2 / 2, for every row.
  void velocity_and_gradient(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& F, RowMatrix<S>& G) const;

  // The dense N x N Jacobian dF/dx at one state (drive row d), from this field's parameters (use S = double).
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const;
  // Low-rank nets only: the Jacobian as diagonal + U V^T, in O(N R).
  StructuredJacobian structured_jacobian(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const;

 private:
  // rows of A times W^T, and rows of A times W
  void times_wt(const RowMatrix<S>& A, RowMatrix<S>& out) const;
  void times_w(const RowMatrix<S>& A, RowMatrix<S>& out) const;
  // phi(X + b) (current) or f(X W^T + D) (rate) into Y, and the slopes f'(.) into dY
  void activity(const RowMatrix<S>& X, const RowMatrix<S>& D, RowMatrix<S>& Y, RowMatrix<S>* dY) const;
  Eigen::VectorXd slopes(const Eigen::VectorXd& x, const Eigen::VectorXd& d) const;

  ModelSpec spec_;
  bool current_;
  RowMatrix<S> m_, n_;          // N x R (n already divided by N)
  RowMatrix<S> wrec_;           // N x N, full-rank only
  RowMatrix<S> inputWeights_;   // K x N: diag(si) wi
  Eigen::Matrix<S, 1, Eigen::Dynamic> bias_, selfCoupling_;  // b; low-rank no-autapse: sum_r m_ir n_ir / N
  bool hasBias_ = false, hasSelfCoupling_ = false;
};

}  // namespace lowrank
