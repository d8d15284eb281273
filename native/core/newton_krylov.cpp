#include "newton_krylov.hpp"

#include <algorithm>
#include <cmath>

namespace lowrank {
namespace {

using Mat = RowMatrix<double>;
using Col = Eigen::ArrayXd;

// The net as the Newton steps need it: W (N x N, rows = postsynaptic units), b, phi and the formulation.
struct DenseNet {
  Mat W, Wt;  // W and W^T: rows times Wt are rows of (W x)^T, rows times W rows of (W^T x)^T
  Eigen::RowVectorXd bias;
  Transfer transfer;
  bool current;

  DenseNet(const ModelSpec& spec, const double* params) : transfer(spec.transfer), current(spec.formulation == Formulation::Current) {
    const int N = spec.size, R = spec.rank;
    const ParamLayout layout(spec);
    using CMap = Eigen::Map<const Mat>;
    if (spec.lowRank()) {
      const CMap m(params + layout.seg[kM].offset, N, R), n(params + layout.seg[kN].offset, N, R);
      W = m * n.transpose() / double(N);
      if (spec.noAutapse) W.diagonal().setZero();
    } else {
      W = CMap(params + layout.seg[kWrec].offset, N, N);
    }
    Wt = W.transpose();
    bias = CMap(params + layout.seg[kB].offset, 1, N);
  }

  // F and the slopes S (phi' at each unit) of every row.
  void field(const Mat& X, const Mat& D, Mat& F, Mat& S) const {
    Mat Y;
    if (current) {
      Y = X.rowwise() + bias;
    } else {
      Y.noalias() = X * Wt;
      Y += D;
    }
    transfer.apply(Y.array(), Y.array());
    S.setOnes(Y.rows(), Y.cols());
    transfer.scale_by_derivative(Y.array(), S.array());
    if (current) {
      F.noalias() = Y * Wt;
      F += D - X;
    } else {
      F = Y - X;
    }
  }

  // Rows of J_r^T v_r for every row r.
  void jacobian_transpose_times(const Mat& S, const Mat& V, Mat& out) const {
    if (current) {
      out.noalias() = V * W;
      out.array() *= S.array();
    } else {
      out.noalias() = S.cwiseProduct(V) * W;
    }
    out -= V;
  }

  // Rows of J_r v_r for every row r (slopes S).
  void jacobian_times(const Mat& S, const Mat& V, Mat& out) const {
    if (current) {
      out.noalias() = S.cwiseProduct(V) * Wt;
    } else {
      out.noalias() = V * Wt;
      out.array() *= S.array();
    }
    out -= V;
  }
};

// GMRES on J_r delta_r = B_r for every row at once, each to its own relative tolerance tol_r, at most maxIter
// iterations; rows that have converged keep their solution while the others go on.
Mat gmres_rows(const DenseNet& net, const Mat& S, const Mat& B, const Col& tol, int maxIter) {
  const int rows = int(B.rows()), N = int(B.cols());
  const int m = std::max(1, std::min(maxIter, N));
  const Col beta = B.rowwise().norm().array();
  std::vector<Mat> V;
  V.reserve(m + 1);
  V.push_back(B);
  for (int r = 0; r < rows; ++r)
    if (beta(r) > 0) V[0].row(r) /= beta(r);
  // per row: the Hessenberg columns (rotated), the rotations and the rotated right-hand side
  std::vector<Eigen::MatrixXd> H(rows, Eigen::MatrixXd::Zero(m + 1, m));
  Eigen::MatrixXd cs = Eigen::MatrixXd::Zero(rows, m), sn = cs, g = Eigen::MatrixXd::Zero(rows, m + 1);
  g.col(0) = beta.matrix();
  std::vector<int> used(rows, 0);
  std::vector<char> done(rows, 0);
  for (int r = 0; r < rows; ++r) done[r] = !(beta(r) > 0);
  Mat w;
  for (int k = 0; k < m; ++k) {
    if (std::all_of(done.begin(), done.end(), [](char d) { return d != 0; })) break;
    net.jacobian_times(S, V[k], w);
    Eigen::MatrixXd h(rows, k + 2);
    for (int i = 0; i <= k; ++i) {  // modified Gram-Schmidt, row by row
      h.col(i) = (V[i].array() * w.array()).rowwise().sum().matrix();
      w -= h.col(i).asDiagonal() * V[i];
    }
    h.col(k + 1) = w.rowwise().norm();
    V.push_back(w);
    for (int r = 0; r < rows; ++r) {
      if (done[r]) {
        V[k + 1].row(r).setZero();  // keeps the finished rows' products at zero
        continue;
      }
      if (h(r, k + 1) > 0) V[k + 1].row(r) /= h(r, k + 1);
      Eigen::MatrixXd& Hr = H[r];
      for (int i = 0; i <= k + 1; ++i) Hr(i, k) = h(r, i);
      for (int i = 0; i < k; ++i) {
        const double a = Hr(i, k), b = Hr(i + 1, k);
        Hr(i, k) = cs(r, i) * a + sn(r, i) * b;
        Hr(i + 1, k) = -sn(r, i) * a + cs(r, i) * b;
      }
      const double a = Hr(k, k), b = Hr(k + 1, k), rho = std::hypot(a, b);
      cs(r, k) = rho > 0 ? a / rho : 1.0;
      sn(r, k) = rho > 0 ? b / rho : 0.0;
      Hr(k, k) = rho;
      Hr(k + 1, k) = 0.0;
      g(r, k + 1) = -sn(r, k) * g(r, k);
      g(r, k) = cs(r, k) * g(r, k);
      used[r] = k + 1;
      if (std::abs(g(r, k + 1)) <= tol(r) * beta(r) || !(h(r, k + 1) > 0)) done[r] = 1;
    }
  }
  Mat X = Mat::Zero(rows, N);
  for (int r = 0; r < rows; ++r) {
    const int k = used[r];
    if (k == 0) continue;
    const Eigen::VectorXd y = H[r].topLeftCorner(k, k).triangularView<Eigen::Upper>().solve(g.row(r).head(k).transpose());
    for (int i = 0; i < k; ++i) X.row(r) += y(i) * V[i].row(r);
  }
  return X;
}

// Levenberg-Marquardt steps: CGLS on min |J_r delta + F_r|^2 + lambda_r |delta|^2 for every row at once, to a
// relative tolerance of 1e-3 on the normal equations' residual, at most maxIter iterations.
Mat cgls_rows(const DenseNet& net, const Mat& S, const Mat& F, const Col& lambda, int maxIter) {
  const int rows = int(F.rows());
  Mat x = Mat::Zero(rows, F.cols()), r = -F, s, p, q;
  net.jacobian_transpose_times(S, r, s);
  p = s;
  Col gamma = s.rowwise().squaredNorm().array();
  const Col stop = 1e-6 * gamma;
  for (int k = 0; k < maxIter; ++k) {
    if ((gamma <= stop).all()) break;
    net.jacobian_times(S, p, q);
    const Col denom = q.rowwise().squaredNorm().array() + lambda * p.rowwise().squaredNorm().array();
    const Col alpha = (denom > 0 && gamma > stop).select(gamma / denom, 0.0);
    x += alpha.matrix().asDiagonal() * p;
    r -= alpha.matrix().asDiagonal() * q;
    net.jacobian_transpose_times(S, r, s);
    s -= lambda.matrix().asDiagonal() * x;
    const Col next = s.rowwise().squaredNorm().array();
    const Col beta = (gamma > 0).select(next / gamma, 0.0);
    p = s + beta.matrix().asDiagonal() * p;
    gamma = (gamma > stop).select(next, gamma);
  }
  return x;
}

template <class M>
M select_rows(const M& a, const std::vector<int>& keep) {
  M out(Eigen::Index(keep.size()), a.cols());
  for (size_t k = 0; k < keep.size(); ++k) out.row(Eigen::Index(k)) = a.row(keep[k]);
  return out;
}

}  // namespace

void newton_krylov_block(const ModelSpec& spec, const double* params, RowMatrix<double>& X, const RowMatrix<double>& D,
                         const NewtonKrylovOptions& o, double* q, int* steps, const std::atomic<bool>* abort) {
  const DenseNet net(spec, params);
  const int count = int(X.rows());
  // per row (global index): forcing term, steps in a row with little progress, Levenberg-Marquardt damping (0 while
  // in Newton mode), finished
  std::vector<double> eta(count, 1e-2), lambda(count, 0.0);
  std::vector<int> slow(count, 0), rows(count);
  std::vector<char> finished(count, 0);
  for (int r = 0; r < count; ++r) rows[r] = r, steps[r] = 0;
  Mat x = X, d = D, F, S;
  net.field(x, d, F, S);
  for (int r = 0; r < count; ++r) q[r] = 0.5 * F.row(r).squaredNorm();
  auto record = [&](int r, double qNew, double qOld) {
    slow[r] = qNew > 0.81 * qOld ? slow[r] + 1 : 0;  // |F| cut by less than 10 %
    q[r] = qNew;
    ++steps[r];
  };
  while (!rows.empty() && !(abort && abort->load(std::memory_order_relaxed))) {
    std::vector<int> keep;  // local indices of the rows that go on
    for (int j = 0; j < int(rows.size()); ++j) {
      const int r = rows[j];
      if (lambda[r] == 0.0 && slow[r] >= o.patience) lambda[r] = 1e-3, slow[r] = 0;  // Newton stalls: damp it
      const bool hopeless = lambda[r] > 0.0 && slow[r] >= o.patience && q[r] > o.giveUpQ;
      if (q[r] > o.tolQ && std::isfinite(q[r]) && !hopeless && !finished[r] && steps[r] < o.maxSteps) keep.push_back(j);
      else X.row(r) = x.row(j);
    }
    if (keep.empty()) return;
    if (keep.size() < rows.size()) {
      x = select_rows(x, keep), d = select_rows(d, keep), F = select_rows(F, keep), S = select_rows(S, keep);
      std::vector<int> kept;
      for (int j : keep) kept.push_back(rows[j]);
      rows = kept;
    }
    const int A = int(rows.size());
    std::vector<int> newton, damped;  // local indices by mode
    for (int j = 0; j < A; ++j) (lambda[rows[j]] == 0.0 ? newton : damped).push_back(j);
    Mat delta(A, x.cols());
    if (!newton.empty()) {
      Col tol(newton.size());
      for (size_t k = 0; k < newton.size(); ++k) tol(k) = eta[rows[newton[k]]];
      const Mat part = gmres_rows(net, select_rows(S, newton), -select_rows(F, newton), tol, o.krylov);
      for (size_t k = 0; k < newton.size(); ++k) delta.row(newton[k]) = part.row(k);
    }
    if (!damped.empty()) {
      Col lam(damped.size());
      for (size_t k = 0; k < damped.size(); ++k) lam(k) = lambda[rows[damped[k]]];
      const Mat Sd = select_rows(S, damped), Fd = select_rows(F, damped);
      const Mat part = cgls_rows(net, Sd, Fd, lam, std::min(o.krylov, 50));
      for (size_t k = 0; k < damped.size(); ++k) delta.row(damped[k]) = part.row(k);
    }
    // Newton rows backtrack on q (Armijo), each with its own step length; damped rows try their step once
    Col t = Col::Ones(A);
    std::vector<char> pending(A, 1);
    Mat xt, Ft, St;
    for (int halving = 0; halving < 40; ++halving) {
      xt = x + t.matrix().asDiagonal() * delta;
      net.field(xt, d, Ft, St);
      bool again = false;
      for (int j = 0; j < A; ++j) {
        if (!pending[j]) continue;
        const int r = rows[j];
        const double qt = 0.5 * Ft.row(j).squaredNorm();
        const bool damp = lambda[r] > 0.0;
        if (qt <= (1.0 - (damp ? 0.0 : 1e-4 * t(j))) * q[r] && qt < q[r]) {
          pending[j] = 0;
          x.row(j) = xt.row(j), F.row(j) = Ft.row(j), S.row(j) = St.row(j);
          if (damp) lambda[r] = std::max(lambda[r] * 0.3, 1e-12);
          else eta[r] = std::clamp(0.9 * qt / q[r], 1e-10, 0.1);
          record(r, qt, q[r]);
        } else if (damp) {
          pending[j] = 0;
          lambda[r] *= 10.0;
          if (lambda[r] > 1e8) finished[r] = 1;  // no damping decreases q: a local minimum (a slow point)
          else ++slow[r];
        } else {
          t(j) *= 0.5;
          again = true;
        }
      }
      if (!again) break;
    }
    for (int j = 0; j < A; ++j)
      if (pending[j]) lambda[rows[j]] = 1e-3;  // Newton found no step length: damped steps from here
  }
  for (int j = 0; j < int(rows.size()); ++j) X.row(rows[j]) = x.row(j);
}

}  // namespace lowrank
