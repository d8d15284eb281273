// Gaussian mixtures (see mixture.hpp). The formulas follow scikit-learn's GaussianMixture and
// BayesianGaussianMixture (Bishop 2006, ch. 10; Blei & Jordan 2006 for the Dirichlet process) so that the two can be
// compared number for number; the code is this project's own.
#include "mixture.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

#include "thread_pool.hpp"

namespace lowrank {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using ConstData = Eigen::Map<const MatrixXd>;  // x [N, D] row-major seen as D x N (one column per sample)

constexpr double kLog2Pi = 1.8378770664093454835606594728112;
const double kEps10 = 10 * std::numeric_limits<double>::epsilon();

// ---- special functions ------------------------------------------------------------------------------------------

double digamma(double x) {
  double r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * 691.0 / 32760)))));
}

double betaln(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// ---- random numbers: one splitmix64 stream per restart ------------------------------------------------------------

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Stream {
  uint64_t state;
  Stream(uint64_t seed, uint64_t restart) : state(mix64(seed + 0x9e3779b97f4a7c15ULL * (restart + 1)) ^ 0x6a09e667f3bcc909ULL) {}
  uint64_t next() { return mix64(state += 0x9e3779b97f4a7c15ULL); }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int below(int n) { return int(uniform() * n); }
};

// ---- k-means initialisation -----------------------------------------------------------------------------------

// Squared distances of every sample to one point.
VectorXd squared_distances(const MatrixXd& X, const VectorXd& c) { return (X.colwise() - c).colwise().squaredNorm().transpose(); }

// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007 with 2 + log K candidates per centre, as scikit-learn).
MatrixXd kmeans_plus_plus(const MatrixXd& X, int K, Stream& rng) {
  const int N = int(X.cols());
  MatrixXd centers(X.rows(), K);
  centers.col(0) = X.col(rng.below(N));
  VectorXd closest = squared_distances(X, centers.col(0));
  const int trials = 2 + int(std::log(double(K)));
  for (int c = 1; c < K; ++c) {
    std::vector<double> cumulative(N);
    std::partial_sum(closest.data(), closest.data() + N, cumulative.begin());
    const double total = cumulative.back();
    double bestPotential = std::numeric_limits<double>::infinity();
    int best = 0;
    VectorXd bestClosest;
    for (int t = 0; t < trials; ++t) {
      int idx = total > 0 ? int(std::upper_bound(cumulative.begin(), cumulative.end(), rng.uniform() * total) - cumulative.begin())
                          : rng.below(N);
      idx = std::min(idx, N - 1);
      VectorXd d = squared_distances(X, X.col(idx)).cwiseMin(closest);
      const double potential = d.sum();
      if (potential < bestPotential) {
        bestPotential = potential;
        best = idx;
        bestClosest = std::move(d);
      }
    }
    centers.col(c) = X.col(best);
    closest = std::move(bestClosest);
  }
  return centers;
}

// Lloyd's iterations from `centers`; returns the label of each sample. An empty cluster takes the sample farthest
// from its centre. Stops when no label changes, the centres move less than 1e-4 of the mean variance, or after 300.
std::vector<int> lloyd(const MatrixXd& X, MatrixXd centers) {
  const int N = int(X.cols()), K = int(centers.cols()), D = int(X.rows());
  const double tol = 1e-4 * ((X.colwise() - X.rowwise().mean()).rowwise().squaredNorm().sum() / N / D);
  const VectorXd xnorm = X.colwise().squaredNorm().transpose();
  std::vector<int> labels(N, -1);
  VectorXd dist(N);
  auto assign = [&]() {
    const VectorXd cnorm = centers.colwise().squaredNorm().transpose();
    bool changed = false;
    for (int n = 0; n < N; ++n) {
      const double* xn = X.data() + size_t(n) * D;
      int best = 0;
      double bestD = std::numeric_limits<double>::infinity();
      for (int k = 0; k < K; ++k) {
        const double* ck = centers.data() + size_t(k) * D;
        double dot = 0;
        for (int e = 0; e < D; ++e) dot += ck[e] * xn[e];
        const double d = cnorm[k] - 2 * dot;
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      dist[n] = bestD + xnorm[n];
      if (labels[n] != best) changed = true;
      labels[n] = best;
    }
    return changed;
  };
  for (int iter = 0; iter < 300; ++iter) {
    if (!assign()) break;
    MatrixXd sums = MatrixXd::Zero(D, K);
    std::vector<int> counts(K, 0);
    for (int n = 0; n < N; ++n) {
      double* sum = sums.data() + size_t(labels[n]) * D;
      const double* xn = X.data() + size_t(n) * D;
      for (int d = 0; d < D; ++d) sum[d] += xn[d];
      ++counts[labels[n]];
    }
    MatrixXd next(D, K);
    for (int k = 0; k < K; ++k) {
      if (counts[k] > 0) {
        next.col(k) = sums.col(k) / counts[k];
      } else {
        Eigen::Index far;
        dist.maxCoeff(&far);
        next.col(k) = X.col(far);
        dist[far] = -1;
      }
    }
    const double shift = (next - centers).squaredNorm();
    centers = next;
    if (shift <= tol) {
      assign();
      break;
    }
  }
  return labels;
}

// Initial responsibilities [K, N].
MatrixXd initial_responsibilities(const MatrixXd& X, int K, MixtureInit init, Stream& rng) {
  const int N = int(X.cols());
  MatrixXd R = MatrixXd::Zero(K, N);
  if (init == MixtureInit::Random) {
    for (int n = 0; n < N; ++n) {
      for (int k = 0; k < K; ++k) R(k, n) = rng.uniform();
      R.col(n) /= R.col(n).sum();
    }
    return R;
  }
  MatrixXd centers(X.rows(), K);
  if (init == MixtureInit::KMeansPlusPlus) {
    centers = kmeans_plus_plus(X, K, rng);
  } else {  // K distinct random rows (partial Fisher-Yates)
    std::vector<int> idx(N);
    std::iota(idx.begin(), idx.end(), 0);
    for (int k = 0; k < K; ++k) {
      std::swap(idx[k], idx[k + rng.below(N - k)]);
      centers.col(k) = X.col(idx[k]);
    }
  }
  const std::vector<int> labels = lloyd(X, centers);
  for (int n = 0; n < N; ++n) R(labels[n], n) = 1;
  return R;
}

// ---- the fitted state of one restart ----------------------------------------------------------------------------

// The data of a fit, shifted by its mean (the fit is shift-invariant; the means are shifted back on output), and the
// per-sample products whose responsibility-weighted sums give the M-step's statistics in one product:
// A = [x; x_i x_j for i <= j] (full, tied) or [x; x_i^2] (diag, spherical).
struct Fitter {
  MatrixXd X;  // D x N, shifted
  VectorXd shift;
  MatrixXd A;
  const MixtureSettings& s;
  int N, D, K;
  VectorXd priorMean;  // shifted
  MatrixXd priorCov;   // full/tied: D x D; diag: D x 1; spherical: 1 x 1
};

struct State {
  MatrixXd means;                 // D x K
  std::vector<MatrixXd> cov;      // K matrices (one for tied)
  std::vector<MatrixXd> chol;     // their lower Cholesky factors
  VectorXd logDet;                // sum log diag(chol) per matrix
  VectorXd weights, logWeights;   // K
  VectorXd a, b;                  // variational weight concentration (b only for the Dirichlet process)
  VectorXd meanPrecision, dof;    // variational, K
};

[[noreturn]] void singular(double reg) {
  throw std::range_error(
      "fitMixture: a component's covariance is not positive definite (the data in 'x' has a constant column, duplicate "
      "rows or too few distinct rows for a component); increase option 'regCovar' (now " +
      std::to_string(reg) + ") or lower option 'components'");
}

void factorise(State& st, double reg) {
  const size_t M = st.cov.size();
  st.chol.resize(M);
  st.logDet.resize(Eigen::Index(M));
  for (size_t c = 0; c < M; ++c) {
    Eigen::LLT<MatrixXd> llt(st.cov[c]);
    if (llt.info() != Eigen::Success) singular(reg);
    st.chol[c] = llt.matrixL();
    const VectorXd d = st.chol[c].diagonal();
    if (!(d.minCoeff() > 0) || !d.allFinite()) singular(reg);
    st.logDet[Eigen::Index(c)] = d.array().log().sum();
  }
}

// Weighted log probabilities [K, N]: log N(x | mu_k, Sigma_k) + logWeights_k (and the variational corrections). With
// P_k = L_k^{-1} (Sigma_k = L_k L_k^T) stacked into one [K D, D] matrix, every component's whitened residual comes
// from one product P X, minus P_k mu_k.
void weighted_log_prob(const MatrixXd& X, const State& st, bool variational, MatrixXd& W) {
  const int K = int(st.means.cols()), D = int(X.rows()), N = int(X.cols());
  thread_local MatrixXd P, Y;
  thread_local VectorXd b, offset;
  P.resize(K * D, D);
  b.resize(K * D);
  offset.resize(K);
  for (int k = 0; k < K; ++k) {
    const size_t c = st.cov.size() == 1 ? 0 : size_t(k);
    MatrixXd Pk = MatrixXd::Identity(D, D);
    st.chol[c].triangularView<Eigen::Lower>().solveInPlace(Pk);
    P.middleRows(k * D, D) = Pk;
    b.segment(k * D, D) = Pk * st.means.col(k);
    double off = -0.5 * D * kLog2Pi - st.logDet[Eigen::Index(c)] + st.logWeights[k];
    if (variational) {
      double logLambda = D * std::log(2.0);
      for (int i = 0; i < D; ++i) logLambda += digamma(0.5 * (st.dof[k] - i));
      off += -0.5 * D * std::log(st.dof[k]) + 0.5 * (logLambda - D / st.meanPrecision[k]);
    }
    offset[k] = off;
  }
  W.resize(K, N);
  constexpr int kChunk = 256;  // samples per product: the residuals stay in cache
  for (int n0 = 0; n0 < N; n0 += kChunk) {
    const int len = std::min(kChunk, N - n0);
    Y.noalias() = P * X.middleCols(n0, len);
    for (int j = 0; j < len; ++j) {
      const double* y = Y.col(j).data();
      for (int k = 0; k < K; ++k) {
        double q = 0;
        for (int d = 0; d < D; ++d) {
          const double t = y[k * D + d] - b[k * D + d];
          q += t * t;
        }
        W(k, n0 + j) = offset[k] - 0.5 * q;
      }
    }
  }
}

// From weighted log probabilities W [K, N]: responsibilities R, the per-sample log normalisers, and (when `logResp`)
// W turned into log responsibilities in place.
void responsibilities_of(MatrixXd& W, MatrixXd& R, VectorXd& lpn, bool logResp) {
  const Eigen::RowVectorXd mx = W.colwise().maxCoeff();
  R = W;
  R.rowwise() -= mx;
  R.array() = R.array().exp();
  const Eigen::RowVectorXd sum = R.colwise().sum();
  lpn = (mx.array() + sum.array().log()).transpose();
  R.array().rowwise() /= sum.array();
  if (logResp) W.rowwise() -= lpn.transpose();
}

// nk, xk and sk from responsibilities R [K, N] (scikit-learn's _estimate_gaussian_parameters), from the
// responsibility-weighted sums of x and of its products: T = A R^T.
void gaussian_statistics(const Fitter& f, const MatrixXd& R, VectorXd& nk, MatrixXd& xk, std::vector<MatrixXd>& sk) {
  const int K = f.K, D = f.D;
  thread_local MatrixXd T;
  T.noalias() = f.A * R.transpose();
  nk = R.rowwise().sum().array() + kEps10;
  xk = T.topRows(D).array().rowwise() / nk.transpose().array();
  const CovarianceKind kind = f.s.covariance;
  if (kind == CovarianceKind::Full || kind == CovarianceKind::Tied) {
    const bool tied = kind == CovarianceKind::Tied;
    sk.assign(tied ? 1 : size_t(K), MatrixXd::Zero(D, D));
    const VectorXd Tsum = T.rowwise().sum();
    for (int k = 0; k < (tied ? 1 : K); ++k) {
      MatrixXd& S = sk[size_t(k)];
      int row = D;
      for (int i = 0; i < D; ++i)
        for (int j = i; j < D; ++j, ++row) S(i, j) = S(j, i) = tied ? Tsum[row] : T(row, k) / nk[k];
      if (tied) {
        for (int c = 0; c < K; ++c) S.noalias() -= nk[c] * xk.col(c) * xk.col(c).transpose();
        S /= nk.sum();
      } else {
        S.noalias() -= xk.col(k) * xk.col(k).transpose();
      }
      S = 0.5 * (S + S.transpose()).eval();  // exactly symmetric
    }
  } else {
    sk.assign(size_t(K), MatrixXd::Zero(D, D));
    for (int k = 0; k < K; ++k) {
      const VectorXd var = T.middleRows(D, D).col(k) / nk[k] - xk.col(k).cwiseAbs2();
      if (kind == CovarianceKind::Diag) sk[size_t(k)].diagonal() = var;
      else sk[size_t(k)].diagonal().setConstant(var.mean());
    }
  }
  for (auto& m : sk) m.diagonal().array() += f.s.regCovar;
}

void em_m_step(const Fitter& f, const MatrixXd& R, State& st) {
  VectorXd nk;
  MatrixXd xk;
  std::vector<MatrixXd> sk;
  gaussian_statistics(f, R, nk, xk, sk);
  st.weights = nk / nk.sum();
  st.logWeights = st.weights.array().log();
  st.means = xk;
  st.cov = std::move(sk);
  factorise(st, f.s.regCovar);
}

void variational_weights(const MixturePrior& p, State& st) {
  const Eigen::Index K = st.a.size();
  st.logWeights.resize(K);
  st.weights.resize(K);
  if (p.dirichletProcess) {
    double tail = 0, stick = 1;
    for (Eigen::Index k = 0; k < K; ++k) {
      const double dsum = digamma(st.a[k] + st.b[k]);
      st.logWeights[k] = digamma(st.a[k]) - dsum + tail;
      tail += digamma(st.b[k]) - dsum;
      st.weights[k] = st.a[k] / (st.a[k] + st.b[k]) * stick;
      stick *= st.b[k] / (st.a[k] + st.b[k]);
    }
  } else {
    const double dsum = digamma(st.a.sum());
    for (Eigen::Index k = 0; k < K; ++k) st.logWeights[k] = digamma(st.a[k]) - dsum;
    st.weights = st.a;
  }
  st.weights /= st.weights.sum();
}

void variational_m_step(const Fitter& f, const MatrixXd& R, State& st) {
  const MixturePrior& p = f.s.prior;
  const int K = f.K, D = f.D;
  VectorXd nk;
  MatrixXd xk;
  std::vector<MatrixXd> sk;
  gaussian_statistics(f, R, nk, xk, sk);
  if (p.dirichletProcess) {
    st.a = nk.array() + 1.0;
    st.b.resize(K);
    double after = 0;
    for (int k = K - 1; k >= 0; --k) {
      st.b[k] = p.weightConcentration + after;
      after += nk[k];
    }
  } else {
    st.a = nk.array() + p.weightConcentration;
  }
  variational_weights(p, st);
  st.meanPrecision = nk.array() + p.meanPrecision;
  st.means.resize(D, K);
  for (int k = 0; k < K; ++k) st.means.col(k) = (p.meanPrecision * f.priorMean + nk[k] * xk.col(k)) / st.meanPrecision[k];
  const CovarianceKind kind = f.s.covariance;
  if (kind == CovarianceKind::Tied) {
    const double dof = p.degreesOfFreedom + nk.sum() / K;
    st.dof = VectorXd::Constant(K, dof);
    MatrixXd c = f.priorCov + sk[0] * (nk.sum() / K);
    for (int k = 0; k < K; ++k) {
      const VectorXd diff = xk.col(k) - f.priorMean;
      c += (p.meanPrecision / K) * (nk[k] / st.meanPrecision[k]) * diff * diff.transpose();
    }
    st.cov.assign(1, (0.5 / dof) * (c + c.transpose()));
  } else {
    st.dof = nk.array() + p.degreesOfFreedom;
    st.cov.assign(size_t(K), MatrixXd::Zero(D, D));
    for (int k = 0; k < K; ++k) {
      const VectorXd diff = xk.col(k) - f.priorMean;
      const double shrink = nk[k] * p.meanPrecision / st.meanPrecision[k];
      MatrixXd& c = st.cov[size_t(k)];
      if (kind == CovarianceKind::Full) {
        c = f.priorCov + nk[k] * sk[size_t(k)] + shrink * diff * diff.transpose();
      } else if (kind == CovarianceKind::Diag) {
        c.diagonal() = f.priorCov.col(0) + nk[k] * sk[size_t(k)].diagonal() + shrink * diff.cwiseAbs2();
      } else {
        c.diagonal().setConstant(f.priorCov(0, 0) + nk[k] * sk[size_t(k)](0, 0) + shrink * diff.squaredNorm() / D);
      }
      c = (0.5 / st.dof[k]) * (c + c.transpose()).eval();
    }
  }
  factorise(st, f.s.regCovar);
}

// scikit-learn's BayesianGaussianMixture._compute_lower_bound (a total over samples, not a mean).
double variational_lower_bound(const Fitter& f, const MatrixXd& R, const MatrixXd& logResp, const State& st) {
  const int K = f.K, D = f.D;
  auto logWishart = [&](double dof, double logDet) {
    const double ldpc = -logDet - 0.5 * D * std::log(dof);
    double g = 0;
    for (int i = 0; i < D; ++i) g += std::lgamma(0.5 * (dof - i));
    return -(dof * ldpc + dof * D * 0.5 * std::log(2.0) + g);
  };
  double wishart = 0;
  if (f.s.covariance == CovarianceKind::Tied) wishart = K * logWishart(st.dof[0], st.logDet[0]);
  else
    for (int k = 0; k < K; ++k) wishart += logWishart(st.dof[k], st.logDet[k]);
  double normWeight;
  if (f.s.prior.dirichletProcess) {
    normWeight = 0;
    for (int k = 0; k < K; ++k) normWeight -= betaln(st.a[k], st.b[k]);
  } else {
    normWeight = std::lgamma(st.a.sum());
    for (int k = 0; k < K; ++k) normWeight -= std::lgamma(st.a[k]);
  }
  double entropy = 0;
  const double *lr = logResp.data(), *r = R.data();
  for (Eigen::Index i = 0; i < logResp.size(); ++i)
    if (r[i] > 0) entropy -= r[i] * lr[i];
  return entropy - wishart - normWeight - 0.5 * D * st.meanPrecision.array().log().sum();
}

struct RestartResult {
  State state;
  double lowerBound = -std::numeric_limits<double>::infinity();
  int iterations = 0;
  bool converged = false, aborted = false;
};

RestartResult run_restart(const Fitter& f, int restart, const std::atomic<bool>* abort) {
  Stream rng(f.s.seed, uint64_t(restart));
  RestartResult out;
  State& st = out.state;
  const bool vb = f.s.variational;
  {
    const MatrixXd R = initial_responsibilities(f.X, f.K, f.s.init, rng);
    if (vb) variational_m_step(f, R, st);
    else em_m_step(f, R, st);
  }
  double lb = -std::numeric_limits<double>::infinity();
  MatrixXd W, R;
  VectorXd lpn;
  for (int it = 1; it <= f.s.maxIterations; ++it) {
    if (abort && abort->load()) {
      out.aborted = true;
      return out;
    }
    const double prev = lb;
    weighted_log_prob(f.X, st, vb, W);
    responsibilities_of(W, R, lpn, vb);
    const double meanNorm = lpn.mean();
    if (vb) {
      variational_m_step(f, R, st);
      lb = variational_lower_bound(f, R, W, st);
    } else {
      em_m_step(f, R, st);
      lb = meanNorm;
    }
    out.iterations = it;
    if (std::abs(lb - prev) < f.s.tolerance) {
      out.converged = true;
      break;
    }
  }
  out.lowerBound = lb;
  return out;
}

// The number of distinct rows of x (rows compared exactly).
int distinct_rows(const double* x, int N, int D) {
  std::vector<int> idx(N);
  std::iota(idx.begin(), idx.end(), 0);
  auto less = [&](int i, int j) {
    return std::lexicographical_compare(x + size_t(i) * D, x + size_t(i + 1) * D, x + size_t(j) * D, x + size_t(j + 1) * D);
  };
  std::sort(idx.begin(), idx.end(), less);
  int distinct = N > 0 ? 1 : 0;
  for (int i = 1; i < N; ++i) distinct += less(idx[i - 1], idx[i]) ? 1 : 0;
  return distinct;
}

MixtureModel model_from(const State& st, bool variational, const VectorXd& shift, const std::vector<int>& keep) {
  const int D = int(shift.size());
  MixtureModel m;
  m.K = int(keep.size());
  m.D = D;
  m.variational = variational;
  double total = 0;
  for (int k : keep) total += st.weights[k];
  for (int k : keep) {
    m.weights.push_back(st.weights[k] / total);
    for (int d = 0; d < D; ++d) m.means.push_back(st.means(d, k) + shift[d]);
    const MatrixXd& c = st.cov[st.cov.size() == 1 ? 0 : size_t(k)];
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) m.covariances.push_back(c(i, j));
    if (variational) {
      m.logWeights.push_back(st.logWeights[k]);
      m.meanPrecision.push_back(st.meanPrecision[k]);
      m.degreesOfFreedom.push_back(st.dof[k]);
    } else {
      m.logWeights.push_back(std::log(st.weights[k] / total));
    }
  }
  return m;
}

State state_from(const MixtureModel& m) {
  State st;
  const int K = m.K, D = m.D;
  st.means = Eigen::Map<const MatrixXd>(m.means.data(), D, K);
  st.cov.resize(size_t(K));
  for (int k = 0; k < K; ++k) {
    st.cov[size_t(k)] = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        m.covariances.data() + size_t(k) * D * D, D, D);
  }
  st.logWeights = Eigen::Map<const VectorXd>(m.logWeights.data(), K);
  if (m.variational) {
    st.meanPrecision = Eigen::Map<const VectorXd>(m.meanPrecision.data(), K);
    st.dof = Eigen::Map<const VectorXd>(m.degreesOfFreedom.data(), K);
  }
  return st;
}

}  // namespace

int mixture_parameter_count(CovarianceKind kind, int K, int D) {
  double cov = 0;
  switch (kind) {
    case CovarianceKind::Full: cov = K * D * (D + 1) / 2.0; break;
    case CovarianceKind::Diag: cov = double(K) * D; break;
    case CovarianceKind::Tied: cov = D * (D + 1) / 2.0; break;
    case CovarianceKind::Spherical: cov = K; break;
  }
  return int(cov + double(D) * K + K - 1);
}

void mixture_score(const MixtureModel& m, const double* x, int N, double* logResp, double* logProbNorm) {
  State st = state_from(m);
  for (auto& c : st.cov) {
    Eigen::LLT<MatrixXd> llt(c);
    if (llt.info() != Eigen::Success) throw std::range_error("mixture: a covariance of the model is not positive definite");
  }
  factorise(st, 0);
  const MatrixXd X = ConstData(x, m.D, N);
  MatrixXd W, R;
  VectorXd lpn;
  weighted_log_prob(X, st, m.variational, W);
  responsibilities_of(W, R, lpn, true);
  if (logResp) std::copy(W.data(), W.data() + W.size(), logResp);  // K x N column-major = [N, K] row-major
  if (logProbNorm) std::copy(lpn.data(), lpn.data() + N, logProbNorm);
}

MixtureFit fit_mixture(const double* x, int N, int D, const MixtureSettings& s, const std::atomic<bool>* abort,
                       const std::function<void(int)>& onRestart) {
  const int K = s.components;
  if (N < 2) throw std::range_error("fitMixture: argument 'x' must have at least 2 rows; got " + std::to_string(N));
  if (D < 1) throw std::range_error("fitMixture: argument 'x' must have at least 1 column");
  if (K < 1 || K > N)
    throw std::range_error("fitMixture: option 'components' must be an integer in [1, " + std::to_string(N) +
                           "] (the number of rows); got " + std::to_string(K));
  for (size_t i = 0; i < size_t(N) * D; ++i)
    if (!std::isfinite(x[i])) throw std::range_error("fitMixture: argument 'x' must be finite; got a NaN or infinite value at row " +
                                                     std::to_string(i / D) + ", column " + std::to_string(i % D));
  const int distinct = distinct_rows(x, N, D);
  if (distinct < K)
    throw std::range_error("fitMixture: argument 'x' has only " + std::to_string(distinct) +
                           " distinct rows, fewer than option 'components' (" + std::to_string(K) + ")");
  Fitter f{MatrixXd(), VectorXd(), MatrixXd(), s, N, D, K, VectorXd(), MatrixXd()};
  f.shift = ConstData(x, D, N).rowwise().mean();
  f.X = ConstData(x, D, N).colwise() - f.shift;
  const MatrixXd& X = f.X;
  const bool products = s.covariance == CovarianceKind::Full || s.covariance == CovarianceKind::Tied;
  f.A.resize(D + (products ? D * (D + 1) / 2 : D), N);
  f.A.topRows(D) = X;
  if (products) {
    int row = D;
    for (int i = 0; i < D; ++i)
      for (int j = i; j < D; ++j, ++row) f.A.row(row) = X.row(i).cwiseProduct(X.row(j));
  } else {
    f.A.bottomRows(D) = X.cwiseAbs2();
  }
  if (s.variational) {
    f.priorMean = s.prior.mean.empty() ? VectorXd::Zero(D) : VectorXd(Eigen::Map<const VectorXd>(s.prior.mean.data(), D) - f.shift);
    if (s.prior.covariance.empty()) {
      const MatrixXd cov = X * X.transpose() / (N - 1);
      if (s.covariance == CovarianceKind::Full || s.covariance == CovarianceKind::Tied) f.priorCov = cov;
      else if (s.covariance == CovarianceKind::Diag) f.priorCov = cov.diagonal();
      else f.priorCov = MatrixXd::Constant(1, 1, cov.diagonal().mean());
    } else if (s.covariance == CovarianceKind::Full || s.covariance == CovarianceKind::Tied) {
      f.priorCov = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(s.prior.covariance.data(), D, D);
    } else if (s.covariance == CovarianceKind::Diag) {
      f.priorCov = Eigen::Map<const VectorXd>(s.prior.covariance.data(), D);
    } else {
      f.priorCov = MatrixXd::Constant(1, 1, s.prior.covariance[0]);
    }
  }

  const int R = std::max(1, s.restarts);
  std::vector<RestartResult> results(static_cast<size_t>(R));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(R));
  std::atomic<int> next{0};
  std::mutex progressMu;
  int done = 0;
  const int workers = std::max(1, std::min(s.threads, R));
  ThreadPool pool(workers);
  pool.run(workers, [&](int) {
    for (int r; (r = next.fetch_add(1)) < R;) {
      try {
        results[size_t(r)] = run_restart(f, r, abort);
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
      }
      if (onRestart) {
        std::lock_guard<std::mutex> lock(progressMu);
        onRestart(++done);
      }
    }
  });
  MixtureFit out;
  out.requested = K;
  for (int r = 0; r < R; ++r)
    if (results[size_t(r)].aborted) {
      out.aborted = true;
      return out;
    }
  for (int r = 0; r < R; ++r)
    if (errors[size_t(r)]) std::rethrow_exception(errors[size_t(r)]);
  int best = 0;
  for (int r = 1; r < R; ++r)
    if (results[size_t(r)].lowerBound > results[size_t(best)].lowerBound) best = r;
  const RestartResult& b = results[size_t(best)];

  // Final E-step (as scikit-learn's fit_predict), then drop the components no sample belongs to.
  MatrixXd W;
  weighted_log_prob(X, b.state, s.variational, W);
  std::vector<int> raw(static_cast<size_t>(N)), counts(static_cast<size_t>(K), 0);
  for (int n = 0; n < N; ++n) {
    Eigen::Index k;
    W.col(n).maxCoeff(&k);
    raw[size_t(n)] = int(k);
    ++counts[size_t(k)];
  }
  std::vector<int> keep, relabel(static_cast<size_t>(K), -1);
  for (int k = 0; k < K; ++k)
    if (counts[size_t(k)] > 0) {
      relabel[size_t(k)] = int(keep.size());
      keep.push_back(k);
    }
  out.model = model_from(b.state, s.variational, f.shift, keep);
  out.labels.resize(size_t(N));
  for (int n = 0; n < N; ++n) out.labels[size_t(n)] = relabel[size_t(raw[size_t(n)])];

  std::vector<double> lpn(static_cast<size_t>(N));
  mixture_score(out.model, x, N, nullptr, lpn.data());
  out.logLikelihood = std::accumulate(lpn.begin(), lpn.end(), 0.0) / N;
  if (s.variational) {
    MixtureModel plain = out.model;
    plain.variational = false;
    for (int k = 0; k < plain.K; ++k) plain.logWeights[size_t(k)] = std::log(plain.weights[size_t(k)]);
    mixture_score(plain, x, N, nullptr, lpn.data());
    out.plugInLogLikelihood = std::accumulate(lpn.begin(), lpn.end(), 0.0) / N;
  } else {
    out.plugInLogLikelihood = out.logLikelihood;
  }
  const int p = mixture_parameter_count(s.covariance, out.model.K, D);
  out.bic = -2 * out.plugInLogLikelihood * N + p * std::log(double(N));
  out.aic = -2 * out.plugInLogLikelihood * N + 2.0 * p;
  out.lowerBound = b.lowerBound;
  out.converged = b.converged;
  out.iterations = b.iterations;
  out.bestRestart = best;
  return out;
}

}  // namespace lowrank
