#include "fixed_points.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>

#include "memory_guard.hpp"
#include "thread_pool.hpp"

namespace lowrank {
namespace {

// Candidates per first-phase block and per polishing wave: fixed, so that results do not depend on the thread count.
constexpr int kBlock = 64;
constexpr int kWave = 16;

// body(i) for every i in [0, count), spread over the pool's threads; rethrows the first exception.
template <class F>
void parallel_for(ThreadPool& pool, int count, F&& body) {
  if (count <= 0) return;
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  pool.run(std::min(pool.size(), count), [&](int) {
    try {
      for (;;) {
        const int i = next.fetch_add(1);
        if (i >= count) break;
        body(i);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
      next.store(count);
    }
  });
  if (failure) std::rethrow_exception(failure);
}

// Progress reports from any thread, serialised and at most one every 100 ms (plus the last of each phase).
class Reporter {
 public:
  explicit Reporter(const std::function<void(const SearchProgress&)>& f) : f_(f) {}
  void operator()(SearchPhase phase, int done, int total) {
    if (!f_) return;
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    f_({phase, done, total});
  }

 private:
  const std::function<void(const SearchProgress&)>& f_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
};

bool aborted(const std::atomic<bool>* abort) { return abort && abort->load(std::memory_order_relaxed); }

template <class M>
M select_rows(const M& a, const std::vector<int>& keep) {
  M out(Eigen::Index(keep.size()), a.cols());
  for (size_t k = 0; k < keep.size(); ++k) out.row(Eigen::Index(k)) = a.row(keep[k]);
  return out;
}

template <class V>
std::vector<V> select(const std::vector<V>& a, const std::vector<int>& keep) {
  std::vector<V> out;
  out.reserve(keep.size());
  for (int k : keep) out.push_back(a[k]);
  return out;
}

// The first phase: Adam on every candidate with its own plateau schedule. The active candidates advance together,
// one iteration at a time, in blocks of kBlock consecutive active candidates, so that the products stay
// matrix-matrix as candidates finish.
template <class S>
void adam_phase(ThreadPool& pool, const VectorField<S>& field, RowMatrix<double>& X, const RowMatrix<double>& D,
                const FixedPointOptions& o, int* iterations, Reporter& progress, const std::atomic<bool>* abort) {
  const int P = int(X.rows()), N = int(X.cols());
  RowMatrix<S> x = X.template cast<S>();
  const RowMatrix<S> d = D.template cast<S>();
  RowMatrix<S> mom = RowMatrix<S>::Zero(P, N), vel = mom;
  std::vector<double> lr(P, o.lr), best(P, std::numeric_limits<double>::infinity());
  std::vector<int> bad(P, 0), active(P);
  std::vector<char> done(P, 0);
  std::iota(active.begin(), active.end(), 0);
  int it = 0;
  for (; it < o.maxIterations && !active.empty() && !aborted(abort); ++it) {
    const double bc1 = 1.0 - std::pow(o.beta1, it + 1), bc2 = 1.0 - std::pow(o.beta2, it + 1);
    const int A = int(active.size());
    parallel_for(pool, (A + kBlock - 1) / kBlock, [&](int b) {
      const int begin = b * kBlock, count = std::min(kBlock, A - begin);
      RowMatrix<S> xb(count, N), db(count, N), F, G;
      for (int j = 0; j < count; ++j) {
        xb.row(j) = x.row(active[begin + j]);
        db.row(j) = d.row(active[begin + j]);
      }
      field.velocity_and_gradient(xb, db, F, G);
      for (int j = 0; j < count; ++j) {
        const int c = active[begin + j];
        const double q = 0.5 * F.row(j).template cast<double>().squaredNorm();
        if (q < best[c] * (1.0 - 1e-4)) {
          best[c] = q;
          bad[c] = 0;
        } else if (++bad[c] > o.plateauPatience) {
          lr[c] *= o.plateauFactor;
          bad[c] = 0;
        }
        if (!(q >= o.adamTolQ) || lr[c] < o.minLr) {  // also stops a candidate whose q is not finite
          done[c] = 1;
          iterations[c] = it;
          continue;
        }
        mom.row(c) = S(o.beta1) * mom.row(c) + S(1.0 - o.beta1) * G.row(j);
        vel.row(c) = S(o.beta2) * vel.row(c) + S(1.0 - o.beta2) * G.row(j).cwiseAbs2();
        x.row(c).array() -= S(lr[c] / bc1) * mom.row(c).array() / ((vel.row(c).array() / S(bc2)).sqrt() + S(o.eps));
      }
    });
    active.erase(std::remove_if(active.begin(), active.end(), [&](int c) { return done[c] != 0; }), active.end());
    progress(SearchPhase::Adam, P - int(active.size()), P);
  }
  for (int c : active) iterations[c] = it;
  X = x.template cast<double>();
}

// q = |F|^2 / 2 at one state.
double speed_at(const VectorField<double>& field, const Eigen::VectorXd& x, const Eigen::VectorXd& d,
                Eigen::VectorXd& f) {
  RowMatrix<double> X = x.transpose(), D = d.transpose(), F;
  field.velocity(X, D, F);
  f = F.row(0).transpose();
  return 0.5 * f.squaredNorm();
}

// Solves (J^T J + lambda I) delta = -g for a dense Jacobian (J^T J formed once per iterate).
class DenseNormalEquations {
 public:
  explicit DenseNormalEquations(const Eigen::MatrixXd& J) : JtJ_(J.cols(), J.cols()) {
    JtJ_.setZero();
    JtJ_.selfadjointView<Eigen::Lower>().rankUpdate(J.transpose());
  }
  Eigen::VectorXd solve(const Eigen::VectorXd& g, double lambda) const {
    Eigen::MatrixXd A = JtJ_;
    A.diagonal().array() += lambda;
    Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(A);
    if (llt.info() != Eigen::Success) return Eigen::VectorXd::Constant(g.size(), std::numeric_limits<double>::quiet_NaN());
    return -llt.solve(g);
  }

 private:
  Eigen::MatrixXd JtJ_;
};

// The same for J = diag(a) + U V^T in O(N R^2): J^T J = diag(a^2) + Z C Z^T with Z = [diag(a) U, V] and
// C = [[0, I], [I, U^T U]], inverted by the Woodbury identity (C^-1 = [[-U^T U, I], [I, 0]]).
class StructuredNormalEquations {
 public:
  explicit StructuredNormalEquations(const StructuredJacobian& J) : a2_(J.diagonal.array().square()) {
    const Eigen::Index N = J.U.rows(), R = J.U.cols();
    Z_.resize(N, 2 * R);
    Z_.leftCols(R) = J.diagonal.asDiagonal() * J.U;
    Z_.rightCols(R) = J.V;
    Cinv_ = Eigen::MatrixXd::Zero(2 * R, 2 * R);
    Cinv_.topLeftCorner(R, R) = -(J.U.transpose() * J.U);
    Cinv_.topRightCorner(R, R).setIdentity();
    Cinv_.bottomLeftCorner(R, R).setIdentity();
  }
  Eigen::VectorXd solve(const Eigen::VectorXd& g, double lambda) const {
    const Eigen::ArrayXd dinv = 1.0 / (a2_ + lambda);
    const Eigen::MatrixXd DinvZ = dinv.matrix().asDiagonal() * Z_;
    const Eigen::MatrixXd small = Cinv_ + Z_.transpose() * DinvZ;
    const Eigen::VectorXd y = -(dinv * g.array()).matrix();
    return y - DinvZ * small.fullPivLu().solve(Z_.transpose() * y);
  }

 private:
  Eigen::ArrayXd a2_;
  Eigen::MatrixXd Z_, Cinv_;
};

// One damped step from x: lambda grows tenfold until q decreases (then shrinks for the next step). False when no
// lambda up to 1e12 decreases q: a local minimum of q (a slow point), or as close to a fixed point as double allows.
template <class Normal>
bool damped_step(const VectorField<double>& field, const Normal& normal, const Eigen::VectorXd& g, Eigen::VectorXd& x,
                 const Eigen::VectorXd& d, Eigen::VectorXd& f, double& q, double& lambda, double& stepNorm) {
  Eigen::VectorXd ft;
  for (; lambda <= 1e12; lambda *= 10.0) {
    const Eigen::VectorXd delta = normal.solve(g, lambda);
    if (!delta.allFinite()) continue;
    const Eigen::VectorXd trial = x + delta;
    const double qt = speed_at(field, trial, d, ft);
    if (qt < q) {
      x = trial;
      f = ft;
      q = qt;
      stepNorm = delta.norm();
      lambda = std::max(lambda * 0.3, 1e-12);
      return true;
    }
  }
  return false;
}

// Levenberg-Marquardt on q from x (in place); returns the number of accepted steps.
int polish(const VectorField<double>& field, bool structured, Eigen::VectorXd& x, const Eigen::VectorXd& d, double& q,
           const FixedPointOptions& o) {
  Eigen::VectorXd f;
  q = speed_at(field, x, d, f);
  double lambda = 1e-3, stepNorm = 0.0;
  int steps = 0;
  while (steps < o.polishIterations && std::isfinite(q) && q > o.polishTolQ) {
    const double before = q;
    bool accepted;
    if (structured) {
      const StructuredJacobian J = field.structured_jacobian(x, d);
      const Eigen::VectorXd g = J.diagonal.cwiseProduct(f) + J.V * (J.U.transpose() * f);
      accepted = damped_step(field, StructuredNormalEquations(J), g, x, d, f, q, lambda, stepNorm);
    } else {
      const Eigen::MatrixXd J = field.jacobian(x, d);
      const Eigen::VectorXd g = J.transpose() * f;
      accepted = damped_step(field, DenseNormalEquations(J), g, x, d, f, q, lambda, stepNorm);
    }
    if (!accepted) break;
    ++steps;
    if (before - q <= 1e-12 * before || stepNorm <= 1e-15 * (1.0 + x.norm())) break;
  }
  return steps;
}

std::vector<Eigenpairs> linearize_on(ThreadPool& pool, const VectorField<double>& field, const RowMatrix<double>& states,
                                     const RowMatrix<double>& drives, const LinearizeOptions& opts,
                                     const std::function<void(int)>& done, const std::atomic<bool>* abort) {
  const bool reduced = uses_reduced_problem(field.spec(), opts.method);
  if (reduced && opts.reducedSolver)
    return opts.reducedSolver(states.data(), drives.data(), int(states.rows()), done, abort);
  std::vector<Eigenpairs> out(states.rows());
  std::atomic<int> finished{0};
  parallel_for(pool, int(states.rows()), [&](int i) {
    if (aborted(abort)) return;
    const Eigen::VectorXd x = states.row(i).transpose(), d = drives.row(i).transpose();
    if (reduced) {
      const StructuredJacobian J = field.structured_jacobian(x, d);
      out[i] = eigen_low_rank(-1.0, J.U, J.V, opts.rightVectors, opts.leftVectors);
    } else {
      out[i] = eigen_dense(field.jacobian(x, d), opts.rightVectors, opts.leftVectors);
    }
    if (done) done(finished.fetch_add(1) + 1);
  });
  return out;
}

void check_rows(const ModelSpec& spec, int rows, const char* what) {
  if (rows < 1) throw std::range_error(std::string(what) + " must have at least one row");
  ensure_allocation_fits(double(rows) * spec.size * sizeof(double) * 8, what);
}

}  // namespace

bool uses_reduced_problem(const ModelSpec& spec, EigenMethod method) {
  const bool possible = spec.lowRank() && !spec.noAutapse;
  if (method == EigenMethod::Reduced && !possible)
    throw std::invalid_argument(
        "method 'reduced' needs a low-rank net without no-autapse (its Jacobian must be -I plus a rank-R term); use "
        "'dense' or 'auto'");
  return method == EigenMethod::Reduced || (method == EigenMethod::Auto && possible);
}

std::vector<Eigenpairs> linearize(const VectorField<double>& field, const RowMatrix<double>& states,
                                  const RowMatrix<double>& drives, const LinearizeOptions& opts) {
  ThreadPool pool(std::max(1, opts.threads));
  return linearize_on(pool, field, states, drives, opts, nullptr, nullptr);
}

FixedPointSearch find_fixed_points(const ModelSpec& spec, const double* params, const double* initial,
                                   const double* inputs, const int* conditions, int P, const FixedPointOptions& o,
                                   const std::function<void(const SearchProgress&)>& report,
                                   const std::atomic<bool>* abort) {
  check_rows(spec, P, "initial states");
  if (o.maxIterations < 0 || o.polishIterations < 0) throw std::range_error("iteration counts must be >= 0");
  if (!(o.lr > 0.0)) throw std::range_error("the first-phase learning rate must be > 0");
  const bool reduced = uses_reduced_problem(spec, o.linearize.method);
  const int N = spec.size;
  const VectorField<double> field(spec, params);
  RowMatrix<double> X = Eigen::Map<const RowMatrix<double>>(initial, P, N);
  const RowMatrix<double> X0 = X;
  const RowMatrix<double> D = field.drive(inputs, P);
  ThreadPool pool(std::max(1, o.threads));
  Reporter progress(report);

  FixedPointSearch out;
  out.candidates = P;
  out.dim = N;
  out.reduced = reduced;
  out.adamIterations.assign(P, 0);
  out.polishIterations.assign(P, 0);
  out.assignment.assign(P, kAborted);

  // first phase
  if (o.maxIterations > 0 && o.firstPhase) {
    o.firstPhase(X.data(), D.data(), P, out.adamIterations.data(),
                 [&](int done, int total) { progress(SearchPhase::Adam, done, total); }, abort);
  } else if (o.maxIterations > 0) {
    if (o.singlePrecision) adam_phase(pool, VectorField<float>(spec, params), X, D, o, out.adamIterations.data(), progress, abort);
    else adam_phase(pool, field, X, D, o, out.adamIterations.data(), progress, abort);
  }
  out.aborted = aborted(abort);
  if (out.aborted) return out;

  std::vector<double> q(P);
  {
    RowMatrix<double> F;
    field.velocity(X, D, F);
    for (int i = 0; i < P; ++i) q[i] = 0.5 * F.row(i).squaredNorm();
  }

  // second phase, lowest q first; a candidate already within uniqueTolerance of a polished candidate's state joins it
  // (and shares its fate: a point, or a local minimum of q above acceptQ)
  std::vector<int> order(P), anchors, mergedInto(P, -1);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const double qa = std::isnan(q[a]) ? std::numeric_limits<double>::infinity() : q[a];
    const double qb = std::isnan(q[b]) ? std::numeric_limits<double>::infinity() : q[b];
    return qa < qb;
  });
  auto within = [&](int a, int b) {
    return conditions[a] == conditions[b] && (X.row(a) - X.row(b)).norm() <= o.uniqueTolerance;
  };
  if (o.polishIterations > 0) {
    int polished = 0;
    for (int w = 0; w < P && !aborted(abort); w += kWave) {
      std::vector<int> wave;
      for (int k = w; k < std::min(P, w + kWave); ++k) {
        const int c = order[k];
        for (int a : anchors)
          if (within(c, a)) {
            mergedInto[c] = a;
            break;
          }
        if (mergedInto[c] < 0) wave.push_back(c);
      }
      parallel_for(pool, int(wave.size()), [&](int k) {
        const int c = wave[k];
        Eigen::VectorXd x = X.row(c).transpose();
        const Eigen::VectorXd d = D.row(c).transpose();
        out.polishIterations[c] = polish(field, spec.lowRank(), x, d, q[c], o);
        X.row(c) = x.transpose();
      });
      anchors.insert(anchors.end(), wave.begin(), wave.end());
      polished += int(std::min(P, w + kWave) - w);
      progress(SearchPhase::Polish, polished, P);
    }
    out.aborted = aborted(abort);
    if (out.aborted) return out;
  }
  out.finalStates.assign(X.data(), X.data() + size_t(P) * N);
  out.finalQ = q;

  // selection: outliers, tolerance, duplicates (lowest q first)
  const Eigen::RowVectorXd centroid = X0.colwise().mean();
  const double spread = (X0.rowwise() - centroid).rowwise().norm().mean();
  auto outlier = [&](int c) {
    return o.outlierScale > 0.0 && spread > 0.0 && (X.row(c) - centroid).norm() > o.outlierScale * spread;
  };
  for (int c : order) {
    if (mergedInto[c] >= 0) continue;
    if (outlier(c)) {
      out.assignment[c] = kOutlier;
      continue;
    }
    if (!(q[c] <= o.acceptQ)) {
      out.assignment[c] = kTooFast;
      continue;
    }
    int point = -1;
    for (int p = 0; p < int(out.representative.size()); ++p)
      if (within(c, out.representative[p])) {
        point = p;
        break;
      }
    if (point < 0) {
      point = int(out.representative.size());
      out.representative.push_back(c);
    }
    out.assignment[c] = point;
  }
  for (int c = 0; c < P; ++c)
    if (mergedInto[c] >= 0) out.assignment[c] = out.assignment[mergedInto[c]];

  // linearisation at each point
  const int U = int(out.representative.size());
  if (U > 0) {
    RowMatrix<double> states(U, N), drives(U, N);
    for (int p = 0; p < U; ++p) {
      states.row(p) = X.row(out.representative[p]);
      drives.row(p) = D.row(out.representative[p]);
    }
    out.linear = linearize_on(pool, field, states, drives, o.linearize,
                              [&](int done) { progress(SearchPhase::Linearize, done, U); }, abort);
  }
  out.aborted = aborted(abort);
  return out;
}

SettleRuns settle(const ModelSpec& spec, const double* params, const double* starts, const double* inputs,
                  const int* startConditions, int S, const double* points, const int* pointConditions,
                  const unsigned char* stable, int U, const SettleOptions& o,
                  const std::function<void(const SearchProgress&)>& report, const std::atomic<bool>* abort) {
  check_rows(spec, S, "starts");
  if (U < 1) throw std::range_error("the topology needs at least one point");
  if (o.maxSteps < 1 || o.checkEvery < 1) throw std::range_error("maxSteps and checkEvery must be >= 1");
  const int N = spec.size;
  const VectorField<double> field(spec, params);
  RowMatrix<double> X = Eigen::Map<const RowMatrix<double>>(starts, S, N);
  const RowMatrix<double> D = field.drive(inputs, S);
  const Eigen::Map<const RowMatrix<double>> P(points, U, N);
  const double alpha = spec.alpha;
  ThreadPool pool(std::max(1, o.threads));
  Reporter progress(report);
  SettleRuns out;
  out.end.assign(S, -1);
  out.steps.assign(S, o.maxSteps);

  auto nearest = [&](int start, const Eigen::RowVectorXd& x, double& dist) {
    int best = -1;
    dist = std::numeric_limits<double>::infinity();
    for (int p = 0; p < U; ++p) {
      if (pointConditions[p] != startConditions[start]) continue;
      const double dp = (x - P.row(p)).norm();
      if (dp < dist) {
        dist = dp;
        best = p;
      }
    }
    return best;
  };
  const int blocks = (S + kBlock - 1) / kBlock;
  std::atomic<int> finished{0};
  parallel_for(pool, blocks, [&](int b) {
    const int begin = b * kBlock, count = std::min(kBlock, S - begin);
    std::vector<int> rows(count);
    std::iota(rows.begin(), rows.end(), begin);
    RowMatrix<double> x = X.middleRows(begin, count), d = D.middleRows(begin, count), F;
    for (int t = 0; t < o.maxSteps && !rows.empty() && !aborted(abort); ++t) {
      field.velocity(x, d, F);
      if (t % o.checkEvery == 0) {
        std::vector<int> keep;
        for (int j = 0; j < int(rows.size()); ++j) {
          double dist;
          const int p = nearest(rows[j], x.row(j), dist);
          if (p >= 0 && dist <= o.radius && stable[p] && 0.5 * F.row(j).squaredNorm() <= o.settleQ) {
            out.end[rows[j]] = p;
            out.steps[rows[j]] = t;
            X.row(rows[j]) = x.row(j);
          } else {
            keep.push_back(j);
          }
        }
        if (keep.size() < rows.size()) {
          x = select_rows(x, keep);
          d = select_rows(d, keep);
          F = select_rows(F, keep);
          rows = select(rows, keep);
        }
      }
      x += alpha * F;
    }
    for (int j = 0; j < int(rows.size()); ++j) {
      double dist;
      const int p = nearest(rows[j], x.row(j), dist);
      out.end[rows[j]] = p >= 0 && dist <= o.radius ? p : -1;
      X.row(rows[j]) = x.row(j);
    }
    progress(SearchPhase::Settle, finished.fetch_add(count) + count, S);
  });
  out.aborted = aborted(abort);
  out.finalStates.assign(X.data(), X.data() + size_t(S) * N);
  return out;
}

}  // namespace lowrank
