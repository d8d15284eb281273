// The fixed-point search of fixed_points.hpp (FixedPointFinder's recipe): Adam on q = |F|^2 / 2 from many initial
// states, Levenberg-Marquardt polishing in double, selection (tolerance, outliers, duplicates), then Jacobians and
// their eigendecompositions; plus the settling of trajectories used by the topology graph. find_fixed_points reads
// as named steps (check_search, optimise, rank_by_speed, polish_candidates, select_points, decompose_points).
//
// Why one file of this size: the steps share the Search state and the thread-pool helpers at the top; split across
// files they would need a private header for them and nothing else.
#include "fixed_points.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>

#include "latent_fixed_points.hpp"
#include "memory_guard.hpp"
#include "newton_krylov.hpp"
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

// ---- the fixed-point search, step by step -----------------------------------------------------------------------

// What the steps of one search share: the field, the states (X, updated in place: the candidates, then the latent
// search's spread starts), the candidates' initial states, the drives, q, and the result being filled in.
struct Search {
  const ModelSpec& spec;
  const double* params;
  const FixedPointOptions& o;
  const std::atomic<bool>* abort;
  const VectorField<double> field;
  const int P;  // candidates: the first P rows
  RowMatrix<double> X, X0, D;
  std::vector<int> conditions;  // per row
  ThreadPool pool;
  Reporter progress;
  std::vector<double> q;
  std::vector<int> order;       // rows by q, lowest first
  std::vector<int> mergedInto;  // the polished row a row joined before polishing, or -1
  std::vector<int> assignment;  // per row, as FixedPointSearch::assignment
  std::vector<int> pointRows;   // per point: the row whose state it is
  FixedPointSearch out;

  Search(const ModelSpec& s, const double* p, const double* initial, const double* inputs, const int* c, int count,
         const FixedPointOptions& opts, const std::function<void(const SearchProgress&)>& report,
         const std::atomic<bool>* a)
      : spec(s), params(p), o(opts), abort(a), field(s, p), P(count),
        X(Eigen::Map<const RowMatrix<double>>(initial, count, s.size)), X0(X), D(field.drive(inputs, count)),
        conditions(c, c + count), pool(std::max(1, opts.threads)), progress(report), mergedInto(count, -1),
        assignment(count, kAborted) {
    out.candidates = P;
    out.dim = s.size;
    out.reduced = uses_reduced_problem(s, opts.linearize.method);
    out.latent = opts.latent;
    out.adamIterations.assign(P, 0);
    out.polishIterations.assign(P, 0);
    out.latentIterations.assign(P, 0);
  }
  int rows() const { return int(X.rows()); }
  // Two rows of one condition whose states are within uniqueTolerance: one point.
  bool same_point(int a, int b) const {
    return conditions[a] == conditions[b] && (X.row(a) - X.row(b)).norm() <= o.uniqueTolerance;
  }
  bool stopped() { return out.aborted = aborted(abort); }
};

void check_search(const ModelSpec& spec, int P, const FixedPointOptions& o) {
  check_rows(spec, P, "initial states");
  if (o.latent && !latent_reduction_exact(spec))
    throw std::invalid_argument("the latent search needs a low-rank net without no-autapse; use the full search");
  if (o.latent && o.newton) throw std::invalid_argument("choose the latent or the Newton search, not both");
  if (o.latent && (o.latentStarts < 0 || o.latentIterations < 0))
    throw std::range_error("latentStarts and latentIterations must be >= 0");
  if (o.maxIterations < 0 || o.polishIterations < 0) throw std::range_error("iteration counts must be >= 0");
  if (!(o.lr > 0.0)) throw std::range_error("the first-phase learning rate must be > 0");
}

// Step 1: Adam on every candidate (on the device of o.firstPhase, else on the CPU threads in float or double).
void optimise(Search& s) {
  const FixedPointOptions& o = s.o;
  if (o.maxIterations == 0) return;
  int* iterations = s.out.adamIterations.data();
  if (o.firstPhase) {
    o.firstPhase(s.X.data(), s.D.data(), s.P, iterations,
                 [&](int done, int total) { s.progress(SearchPhase::Adam, done, total); }, s.abort);
  } else if (o.singlePrecision) {
    adam_phase(s.pool, VectorField<float>(s.spec, s.params), s.X, s.D, o, iterations, s.progress, s.abort);
  } else {
    adam_phase(s.pool, s.field, s.X, s.D, o, iterations, s.progress, s.abort);
  }
}

// q at every row's state, and the rows by q (NaN last).
void rank_by_speed(Search& s) {
  const int P = s.rows();
  RowMatrix<double> F;
  s.field.velocity(s.X, s.D, F);
  s.q.resize(P);
  for (int i = 0; i < P; ++i) s.q[i] = 0.5 * F.row(i).squaredNorm();
  s.order.resize(P);
  std::iota(s.order.begin(), s.order.end(), 0);
  std::stable_sort(s.order.begin(), s.order.end(), [&](int a, int b) {
    const double qa = std::isnan(s.q[a]) ? std::numeric_limits<double>::infinity() : s.q[a];
    const double qb = std::isnan(s.q[b]) ? std::numeric_limits<double>::infinity() : s.q[b];
    return qa < qb;
  });
}

// Step 2: Levenberg-Marquardt, lowest q first, in waves of kWave; a candidate already within uniqueTolerance of a
// polished candidate's state joins it (and shares its fate: a point, or a local minimum of q above acceptQ).
void polish_candidates(Search& s) {
  const int P = s.rows();
  std::vector<int> anchors;
  for (int w = 0; w < P && !aborted(s.abort); w += kWave) {
    std::vector<int> wave;
    for (int k = w; k < std::min(P, w + kWave); ++k) {
      const int c = s.order[k];
      for (int a : anchors)
        if (s.same_point(c, a)) {
          s.mergedInto[c] = a;
          break;
        }
      if (s.mergedInto[c] < 0) wave.push_back(c);
    }
    parallel_for(s.pool, int(wave.size()), [&](int k) {
      const int c = wave[k];
      Eigen::VectorXd x = s.X.row(c).transpose();
      const Eigen::VectorXd d = s.D.row(c).transpose();
      s.out.polishIterations[c] = polish(s.field, s.spec.lowRank(), x, d, s.q[c], s.o);
      s.X.row(c) = x.transpose();
    });
    anchors.insert(anchors.end(), wave.begin(), wave.end());
    s.progress(SearchPhase::Polish, std::min(P, w + kWave), P);
  }
}

// The latent search (latent_fixed_points.hpp), instead of steps 1 and 2 where the reduction is exact. Per group of
// candidates with one condition and one drive: the candidates' states projected to kappa, then o.latentStarts starts
// spread over the box of the roots (tanh) or of the projected states (widened), each solved by Levenberg-Marquardt
// on G; every end lifted to N dimensions (the spread starts as extra rows). q is then computed in N dimensions from
// the field itself, and candidates that reached no root within polishTolQ are polished there (slow points).
void latent_phase(Search& s) {
  const FixedPointOptions& o = s.o;
  const int R = s.spec.rank;
  std::vector<std::vector<int>> groups;
  for (int c = 0; c < s.P; ++c) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const std::vector<int>& members) {
      return s.conditions[members[0]] == s.conditions[c] && s.D.row(members[0]) == s.D.row(c);
    });
    if (g == groups.end()) groups.push_back({c});
    else g->push_back(c);
  }
  struct Job {
    int row, group;
    Eigen::VectorXd start;
  };
  std::vector<LatentSystem> systems;
  std::vector<Job> jobs;
  std::vector<int> extraGroup;
  for (int g = 0; g < int(groups.size()); ++g) {
    const std::vector<int>& members = groups[g];
    systems.emplace_back(s.spec, s.params, s.D.row(members[0]).transpose());
    const LatentSystem& system = systems.back();
    Eigen::VectorXd lo = Eigen::VectorXd::Zero(R), hi = lo;
    for (int c : members) {
      jobs.push_back({c, g, system.project(s.X0.row(c).transpose())});
      lo = lo.cwiseMin(jobs.back().start);
      hi = hi.cwiseMax(jobs.back().start);
    }
    if (!system.bounds(lo, hi)) {
      const Eigen::VectorXd widen = (0.5 * (hi - lo)).cwiseMax(1.0);
      lo -= widen;
      hi += widen;
    }
    const Eigen::MatrixXd spread = spread_starts(lo, hi, o.latentStarts, o.seed + uint64_t(g));
    for (int k = 0; k < spread.cols(); ++k) {
      jobs.push_back({s.P + int(extraGroup.size()), g, spread.col(k)});
      extraGroup.push_back(g);
    }
  }
  const int rows = s.P + int(extraGroup.size());
  ensure_allocation_fits(double(rows) * s.spec.size * sizeof(double) * 4, "the latent search's states");
  s.X.conservativeResize(rows, Eigen::NoChange);
  s.D.conservativeResize(rows, Eigen::NoChange);
  for (int e = 0; e < int(extraGroup.size()); ++e) {
    const int first = groups[extraGroup[e]][0];
    s.D.row(s.P + e) = s.D.row(first);
    s.conditions.push_back(s.conditions[first]);
  }
  s.mergedInto.assign(rows, -1);
  s.assignment.assign(rows, kAborted);
  std::atomic<int> finished{0};
  parallel_for(s.pool, int(jobs.size()), [&](int j) {
    if (aborted(s.abort)) return;
    const Job& job = jobs[j];
    const LatentRoot root = latent_newton(systems[job.group], job.start, o.latentIterations);
    s.X.row(job.row) = systems[job.group].lift(root.kappa).transpose();
    if (job.row < s.P) s.out.latentIterations[job.row] = root.iterations;
    s.progress(SearchPhase::Latent, finished.fetch_add(1) + 1, int(jobs.size()));
  });
  if (s.stopped()) return;
  rank_by_speed(s);
  std::vector<int> unconverged;
  for (int c = 0; c < s.P; ++c)
    if (!(s.q[c] <= o.polishTolQ)) unconverged.push_back(c);
  if (o.polishIterations == 0 || unconverged.empty()) return;
  finished = 0;
  parallel_for(s.pool, int(unconverged.size()), [&](int k) {
    if (aborted(s.abort)) return;
    const int c = unconverged[k];
    Eigen::VectorXd x = s.X.row(c).transpose();
    const Eigen::VectorXd d = s.D.row(c).transpose();
    s.out.polishIterations[c] = polish(s.field, true, x, d, s.q[c], o);
    s.X.row(c) = x.transpose();
    s.progress(SearchPhase::Polish, finished.fetch_add(1) + 1, int(unconverged.size()));
  });
  rank_by_speed(s);
}

// The Newton search, instead of steps 1 and 2: Newton-GMRES on blocks of kBlock candidates (newton_krylov.hpp).
void newton_phase(Search& s) {
  const FixedPointOptions& o = s.o;
  NewtonKrylovOptions nk;
  nk.maxSteps = o.polishIterations;
  nk.tolQ = o.polishTolQ;
  nk.giveUpQ = o.acceptQ;
  std::vector<double> q(s.P);
  std::atomic<int> finished{0};
  parallel_for(s.pool, (s.P + kBlock - 1) / kBlock, [&](int b) {
    if (aborted(s.abort)) return;
    const int begin = b * kBlock, count = std::min(kBlock, s.P - begin);
    RowMatrix<double> x = s.X.middleRows(begin, count);
    const RowMatrix<double> d = s.D.middleRows(begin, count);
    newton_krylov_block(s.spec, s.params, x, d, nk, q.data() + begin, s.out.polishIterations.data() + begin, s.abort);
    s.X.middleRows(begin, count) = x;
    s.progress(SearchPhase::Newton, finished.fetch_add(count) + count, s.P);
  });
}

// Step 3: outliers (candidates far from the initial states), rows above acceptQ, and duplicates (lowest q first) become the
// assignment of every row; merged rows take the assignment of the one they joined. Then the points' states.
void select_points(Search& s) {
  const Eigen::RowVectorXd centroid = s.X0.colwise().mean();
  const double spread = (s.X0.rowwise() - centroid).rowwise().norm().mean();
  const double outlierScale = s.o.outlierScale;
  // the latent search's spread starts are exempt: they start anywhere in the box of the roots on purpose
  auto outlier = [&](int c) {
    return c < s.P && outlierScale > 0.0 && spread > 0.0 && (s.X.row(c) - centroid).norm() > outlierScale * spread;
  };
  std::vector<int>& representative = s.pointRows;
  for (int c : s.order) {
    if (s.mergedInto[c] >= 0) continue;
    if (outlier(c)) {
      s.assignment[c] = kOutlier;
      continue;
    }
    if (!(s.q[c] <= s.o.acceptQ)) {
      s.assignment[c] = kTooFast;
      continue;
    }
    int point = -1;
    for (int p = 0; p < int(representative.size()) && point < 0; ++p)
      if (s.same_point(c, representative[p])) point = p;
    if (point < 0) {
      point = int(representative.size());
      representative.push_back(c);
    }
    s.assignment[c] = point;
  }
  for (int c = 0; c < s.rows(); ++c)
    if (s.mergedInto[c] >= 0) s.assignment[c] = s.assignment[s.mergedInto[c]];
  FixedPointSearch& out = s.out;
  const int N = s.spec.size;
  out.assignment.assign(s.assignment.begin(), s.assignment.begin() + s.P);
  for (int c : representative) {
    out.representative.push_back(c < s.P ? c : -1);
    out.points.insert(out.points.end(), s.X.row(c).data(), s.X.row(c).data() + N);
    out.pointQ.push_back(s.q[c]);
    out.pointConditions.push_back(s.conditions[c]);
  }
}

// Step 4: the eigenpairs of the Jacobian at each point (on the device of o.linearize.reducedSolver for reduced
// problems, else on the CPU threads).
void decompose_points(Search& s) {
  const int U = int(s.out.pointQ.size()), N = s.spec.size;
  if (U == 0) return;
  const RowMatrix<double> states = Eigen::Map<const RowMatrix<double>>(s.out.points.data(), U, N);
  RowMatrix<double> drives(U, N);
  for (int p = 0; p < U; ++p) drives.row(p) = s.D.row(s.pointRows[p]);
  s.out.linear = linearize_on(s.pool, s.field, states, drives, s.o.linearize,
                              [&](int done) { s.progress(SearchPhase::Linearize, done, U); }, s.abort);
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

// The recipe (as FixedPointFinder's find_fixed_points): optimise -> polish -> select (outliers, tolerance, unique)
// -> Jacobians and their eigenpairs. The candidates arrive tiled over the input conditions (TypeScript side).
FixedPointSearch find_fixed_points(const ModelSpec& spec, const double* params, const double* initial,
                                   const double* inputs, const int* conditions, int P, const FixedPointOptions& o,
                                   const std::function<void(const SearchProgress&)>& report,
                                   const std::atomic<bool>* abort) {
  check_search(spec, P, o);
  Search s(spec, params, initial, inputs, conditions, P, o, report, abort);
  if (o.latent) {
    latent_phase(s);
  } else if (o.newton) {
    optimise(s);  // the optional Adam prefix (maxIterations 0: none)
    if (s.stopped()) return s.out;
    newton_phase(s);
    if (s.stopped()) return s.out;
    rank_by_speed(s);
  } else {
    optimise(s);
    if (s.stopped()) return s.out;
    rank_by_speed(s);
    if (o.polishIterations > 0) polish_candidates(s);
  }
  if (s.stopped()) return s.out;
  s.out.finalStates.assign(s.X.data(), s.X.data() + size_t(P) * spec.size);
  s.out.finalQ.assign(s.q.begin(), s.q.begin() + P);
  select_points(s);
  decompose_points(s);
  s.stopped();
  return s.out;
}

namespace {

// What the settling runs share: the field, the starts and drives, the points, and the result being filled in.
struct Settling {
  const VectorField<double>& field;
  RowMatrix<double> X, D;
  Eigen::Map<const RowMatrix<double>> points;
  const int* startConditions;
  const int* pointConditions;
  const unsigned char* stable;
  const SettleOptions& o;
  SettleRuns out;

  // The nearest point of the start's condition to x (-1 when there is none) and its distance.
  int nearest(int start, const Eigen::RowVectorXd& x, double& dist) const {
    int best = -1;
    dist = std::numeric_limits<double>::infinity();
    for (int p = 0; p < int(points.rows()); ++p) {
      if (pointConditions[p] != startConditions[start]) continue;
      const double dp = (x - points.row(p)).norm();
      if (dp < dist) {
        dist = dp;
        best = p;
      }
    }
    return best;
  }
  // A run has ended at a stable point when it is within radius of it and its q is below settleQ.
  bool ended(int start, const Eigen::RowVectorXd& x, const Eigen::RowVectorXd& f, int& point) const {
    double dist;
    point = nearest(start, x, dist);
    return point >= 0 && dist <= o.radius && stable[point] && 0.5 * f.squaredNorm() <= o.settleQ;
  }
};

// The runs of starts [begin, begin + count), advanced together; every checkEvery steps the ended runs leave.
void settle_block(Settling& s, int begin, int count, const std::atomic<bool>* abort) {
  const SettleOptions& o = s.o;
  std::vector<int> rows(count);
  std::iota(rows.begin(), rows.end(), begin);
  RowMatrix<double> x = s.X.middleRows(begin, count), d = s.D.middleRows(begin, count), F;
  for (int t = 0; t < o.maxSteps && !rows.empty() && !aborted(abort); ++t) {
    s.field.velocity(x, d, F);
    if (t % o.checkEvery == 0) {
      std::vector<int> keep;
      for (int j = 0; j < int(rows.size()); ++j) {
        int p;
        if (!s.ended(rows[j], x.row(j), F.row(j), p)) {
          keep.push_back(j);
          continue;
        }
        s.out.end[rows[j]] = p;
        s.out.steps[rows[j]] = t;
        s.X.row(rows[j]) = x.row(j);
      }
      if (keep.size() < rows.size()) {
        x = select_rows(x, keep);
        d = select_rows(d, keep);
        F = select_rows(F, keep);
        rows = select(rows, keep);
      }
    }
    x += s.field.spec().alpha * F;
  }
  for (int j = 0; j < int(rows.size()); ++j) {  // out of steps: the nearest point within radius, if any
    double dist;
    const int p = s.nearest(rows[j], x.row(j), dist);
    s.out.end[rows[j]] = p >= 0 && dist <= o.radius ? p : -1;
    s.X.row(rows[j]) = x.row(j);
  }
}

}  // namespace

SettleRuns settle(const ModelSpec& spec, const double* params, const double* starts, const double* inputs,
                  const int* startConditions, int S, const double* points, const int* pointConditions,
                  const unsigned char* stable, int U, const SettleOptions& o,
                  const std::function<void(const SearchProgress&)>& report, const std::atomic<bool>* abort) {
  check_rows(spec, S, "starts");
  if (U < 1) throw std::range_error("the topology needs at least one point");
  if (o.maxSteps < 1 || o.checkEvery < 1) throw std::range_error("maxSteps and checkEvery must be >= 1");
  const VectorField<double> field(spec, params);
  Settling s{field,
             Eigen::Map<const RowMatrix<double>>(starts, S, spec.size),
             field.drive(inputs, S),
             Eigen::Map<const RowMatrix<double>>(points, U, spec.size),
             startConditions,
             pointConditions,
             stable,
             o,
             {}};
  s.out.end.assign(S, -1);
  s.out.steps.assign(S, o.maxSteps);
  ThreadPool pool(std::max(1, o.threads));
  Reporter progress(report);
  std::atomic<int> finished{0};
  parallel_for(pool, (S + kBlock - 1) / kBlock, [&](int b) {
    const int begin = b * kBlock, count = std::min(kBlock, S - begin);
    settle_block(s, begin, count, abort);
    progress(SearchPhase::Settle, finished.fetch_add(count) + count, S);
  });
  s.out.aborted = aborted(abort);
  s.out.finalStates.assign(s.X.data(), s.X.data() + size_t(S) * spec.size);
  return s.out;
}

}  // namespace lowrank
