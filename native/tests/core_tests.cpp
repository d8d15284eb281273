// Checks of the native core's main paths against independent computations, small enough to run under
// AddressSanitizer + UndefinedBehaviorSanitizer in CI (LOWRANK_SANITIZE=ON): model creation, simulation (against a
// plain loop over the model equations), the loss gradient (against central finite differences), Adam steps
// (against the update written out), fixed points of a linear net (against the closed form), dense and low-rank
// eigendecompositions, mixture EM, the partial-observation solves, cosine neighbours and the thread pool, including
// a pool whose threads cannot all be created. Returns non-zero on any failure.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"
#include "dynamics.hpp"
#include "eigen_decomposition.hpp"
#include "fixed_points.hpp"
#include "mixture.hpp"
#include "neighbours.hpp"
#include "partial_observation.hpp"
#include "thread_pool.hpp"

#include "check.hpp"

using namespace lowrank;

static double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

static std::vector<double> gaussian(size_t n, double scale, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> out(n);
  for (double& v : out) v = normal(gen);
  return out;
}

// ---- model: create, simulate, gradient, Adam ---------------------------------------------------------------------

struct Net {
  int N = 12, R = 2, K = 2, O = 2;
  ModelSpec spec;
  std::vector<double> params;
  Net() {
    spec.size = N;
    spec.rank = R;
    spec.inputs = K;
    spec.outputs = O;
    spec.alpha = 0.2;
    spec.trainable[kM] = spec.trainable[kN] = spec.trainable[kWo] = true;
    const ParamLayout layout(spec);
    params = gaussian(size_t(layout.total), 1.0, 7);
    std::fill_n(params.begin() + layout.seg[kB].offset, N, 0.0);  // b = 0: the readout then agrees with the reference's
  }
  const double* seg(int id) const { return params.data() + ParamLayout(spec).seg[id].offset; }
};

// The model equations of DESIGN.md §2 (current formulation, tanh, noise off, b = 0) as a plain loop.
static void reference_simulate(const Net& net, const std::vector<double>& u, int B, int T, std::vector<double>& states,
                               std::vector<double>& outputs) {
  const int N = net.N, R = net.R, K = net.K, O = net.O;
  const double* m = net.seg(kM);
  const double* n = net.seg(kN);
  const double* wi = net.seg(kWi);
  const double* si = net.seg(kSi);
  const double* wo = net.seg(kWo);
  const double* so = net.seg(kSo);
  const double* h0 = net.seg(kH0);
  states.assign(size_t(B) * (T + 1) * N, 0.0);
  outputs.assign(size_t(B) * T * O, 0.0);
  for (int b = 0; b < B; ++b) {
    std::vector<double> x(h0, h0 + N), r(N), next(N);
    std::copy(x.begin(), x.end(), states.begin() + size_t(b) * (T + 1) * N);
    for (int t = 0; t < T; ++t) {
      for (int i = 0; i < N; ++i) r[i] = std::tanh(x[i]);
      for (int i = 0; i < N; ++i) {
        double rec = 0.0;
        for (int q = 0; q < R; ++q) {
          double overlap = 0.0;
          for (int j = 0; j < N; ++j) overlap += n[j * R + q] * r[j];
          rec += m[i * R + q] * overlap / N;
        }
        double in = 0.0;
        for (int k = 0; k < K; ++k) in += si[k] * wi[k * N + i] * u[(size_t(b) * T + t) * K + k];
        next[i] = x[i] + net.spec.alpha * (-x[i] + rec + in);
      }
      x = next;
      std::copy(x.begin(), x.end(), states.begin() + (size_t(b) * (T + 1) + t + 1) * N);
      for (int o = 0; o < O; ++o) {
        double z = 0.0;
        for (int i = 0; i < N; ++i) z += wo[i * O + o] * so[o] * std::tanh(x[i]) / N;
        outputs[(size_t(b) * T + t) * O + o] = z;
      }
    }
  }
}

static void check_model() {
  Net net;
  const int B = 3, T = 6;
  const auto inputs = gaussian(size_t(B) * T * net.K, 1.0, 11);
  for (int threads : {1, 3}) {
    auto backend = make_cpu_backend<double>(net.spec, threads);
    backend->setParams(net.params.data());
    std::vector<double> states(size_t(B) * (T + 1) * net.N), outputs(size_t(B) * T * net.O), refStates, refOutputs;
    NoiseOptions quiet;
    quiet.enabled = false;
    backend->simulate(inputs.data(), nullptr, B, T, quiet, {states.data(), nullptr, outputs.data()});
    reference_simulate(net, inputs, B, T, refStates, refOutputs);
    CHECK(max_abs_diff(states, refStates) < 1e-12, "simulate states (threads %d): max diff %g", threads,
          max_abs_diff(states, refStates));
    CHECK(max_abs_diff(outputs, refOutputs) < 1e-12, "simulate outputs (threads %d): max diff %g", threads,
          max_abs_diff(outputs, refOutputs));
  }

  // the loss is the masked MSE (all-ones mask: the mean square error); its gradient against finite differences
  auto backend = make_cpu_backend<double>(net.spec, 2);
  backend->setParams(net.params.data());
  const auto targets = gaussian(size_t(B) * T * net.O, 0.5, 13);
  const std::vector<double> mask(targets.size(), 1.0);
  LossBatch<double> batch;
  batch.inputs = inputs.data();
  batch.targets = targets.data();
  batch.mask = mask.data();
  batch.batch = B;
  batch.steps = T;
  batch.features = net.O;
  NoiseOptions quiet;
  quiet.enabled = false;
  std::vector<double> grad(net.params.size());
  const double loss = backend->lossAndGradient(batch, quiet, grad.data());
  std::vector<double> refStates, refOutputs;
  reference_simulate(net, inputs, B, T, refStates, refOutputs);
  double mse = 0.0;
  for (size_t i = 0; i < targets.size(); ++i) mse += (refOutputs[i] - targets[i]) * (refOutputs[i] - targets[i]);
  mse /= double(targets.size());
  CHECK(std::abs(loss - mse) < 1e-12, "loss %.15g, mean square error %.15g", loss, mse);

  const ParamLayout layout(net.spec);
  for (int id : {kM, kN, kWo}) {
    for (int64_t e = 0; e < layout.seg[id].count; e += 5) {
      const int64_t i = layout.seg[id].offset + e;
      const double h = 1e-6;
      std::vector<double> p = net.params;
      p[size_t(i)] += h;
      backend->setParams(p.data());
      const double up = backend->lossAndGradient(batch, quiet, nullptr);
      p[size_t(i)] -= 2 * h;
      backend->setParams(p.data());
      const double down = backend->lossAndGradient(batch, quiet, nullptr);
      const double fd = (up - down) / (2 * h);
      CHECK(std::abs(fd - grad[size_t(i)]) < 1e-7 * std::max(1.0, std::abs(fd)), "d loss / d %s[%lld]: %.10g, finite differences %.10g",
            param_name(id), (long long)e, grad[size_t(i)], fd);
    }
  }

  // two Adam steps on the same minibatch against the update written out (frozen parameters do not move)
  backend->setParams(net.params.data());
  AdamOptions adam{};
  adam.lr = 1e-2;
  adam.beta1 = 0.9;
  adam.beta2 = 0.999;
  adam.eps = 1e-8;
  adam.clip = 0.0;
  std::vector<int32_t> indices = {0, 1, 2, 0, 1, 2};
  TrainData<double> data;
  data.inputs = inputs.data();
  data.targets = targets.data();
  data.mask = mask.data();
  data.examples = B;
  data.steps = T;
  data.features = net.O;
  data.indices = indices.data();
  data.optimizerSteps = 2;
  data.batch = B;
  std::vector<double> expected = net.params, mom(net.params.size(), 0.0), vel(net.params.size(), 0.0);
  auto reference = make_cpu_backend<double>(net.spec, 1);
  for (int step = 1; step <= 2; ++step) {
    reference->setParams(expected.data());
    std::vector<double> g(expected.size());
    reference->lossAndGradient(batch, quiet, g.data());
    const AdamScalars sc = adam_scalars(adam, step, 0.0);
    for (int id = 0; id < kParamCount; ++id) {
      if (!net.spec.trainable[id]) continue;
      for (int64_t e = 0; e < layout.seg[id].count; ++e) {
        const size_t i = size_t(layout.seg[id].offset + e);
        mom[i] = adam.beta1 * mom[i] + (1 - adam.beta1) * g[i];
        vel[i] = adam.beta2 * vel[i] + (1 - adam.beta2) * g[i] * g[i];
        expected[i] -= sc.stepSize * mom[i] / (std::sqrt(vel[i]) / sc.sqrtBc2 + adam.eps);
      }
    }
  }
  int reports = 0;
  const int ran = backend->trainSteps(data, adam, 5, false, [&](const TrainStepReport&) { ++reports; }, nullptr);
  std::vector<double> trained(net.params.size());
  backend->getParams(trained.data());
  CHECK(ran == 2 && reports == 2, "trainSteps ran %d steps, reported %d", ran, reports);
  CHECK(max_abs_diff(trained, expected) < 1e-12, "Adam steps: max diff %g", max_abs_diff(trained, expected));
  CHECK(backend->optimizerState().step == 2, "optimizer step %lld", (long long)backend->optimizerState().step);

  std::atomic<bool> abort{true};
  CHECK(backend->trainSteps(data, adam, 5, false, {}, &abort) == 0, "an aborted trainSteps ran steps");

  // full-rank: two thread counts give the same simulation
  ModelSpec full = net.spec;
  full.rank = 0;
  full.trainable[kM] = full.trainable[kN] = false;
  full.trainable[kWrec] = true;
  const auto fullParams = gaussian(size_t(ParamLayout(full).total), 0.3, 17);
  std::vector<double> a(size_t(B) * T * net.O), b(a.size());
  auto one = make_cpu_backend<double>(full, 1), four = make_cpu_backend<double>(full, 4);
  one->setParams(fullParams.data());
  four->setParams(fullParams.data());
  one->simulate(inputs.data(), nullptr, B, T, quiet, {nullptr, nullptr, a.data()});
  four->simulate(inputs.data(), nullptr, B, T, quiet, {nullptr, nullptr, b.data()});
  CHECK(a == b, "full-rank simulation differs between 1 and 4 threads");
}

// ---- fixed points and eigenpairs -------------------------------------------------------------------------------

static void check_fixed_points() {
  // linear low-rank net: F(x) = -x + m n^T x / N + W_in^T u, whose only fixed point is (I - m n^T / N)^-1 W_in^T u
  Net net;
  net.spec.transfer.kind = Activation::Linear;
  net.spec.outputTransfer.kind = Activation::Linear;
  const ParamLayout layout(net.spec);
  for (int64_t e = 0; e < layout.seg[kN].count; ++e) net.params[size_t(layout.seg[kN].offset + e)] *= 0.5;
  const int N = net.N, C = 4;
  const std::vector<double> u = {0.5, -1.0};
  Eigen::MatrixXd M = Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(net.seg(kM), N, net.R);
  Eigen::MatrixXd Nn = Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(net.seg(kN), N, net.R);
  Eigen::VectorXd drive = Eigen::VectorXd::Zero(N);
  for (int k = 0; k < net.K; ++k)
    for (int i = 0; i < N; ++i) drive[i] += net.seg(kSi)[k] * net.seg(kWi)[k * N + i] * u[size_t(k)];
  const Eigen::MatrixXd W = M * Nn.transpose() / N;
  const Eigen::VectorXd expected = (Eigen::MatrixXd::Identity(N, N) - W).lu().solve(drive);

  std::vector<double> initial = gaussian(size_t(C) * N, 1.0, 19), inputs;
  for (int c = 0; c < C; ++c) inputs.insert(inputs.end(), u.begin(), u.end());
  const std::vector<int> conditions(C, 0);
  FixedPointOptions o;
  o.maxIterations = 300;
  o.singlePrecision = false;
  o.polishIterations = 50;
  o.polishTolQ = 1e-26;
  o.threads = 3;
  o.linearize.threads = 3;
  o.linearize.rightVectors = o.linearize.leftVectors = true;
  int reports = 0;
  const FixedPointSearch s = find_fixed_points(net.spec, net.params.data(), initial.data(), inputs.data(),
                                               conditions.data(), C, o, [&](const SearchProgress&) { ++reports; }, nullptr);
  CHECK(s.representative.size() == 1, "linear net: %zu fixed points, expected 1", s.representative.size());
  if (s.representative.size() == 1) {
    const int rep = s.representative[0];
    double err = 0.0;
    for (int i = 0; i < N; ++i) err = std::max(err, std::abs(s.finalStates[size_t(rep) * N + i] - expected[i]));
    CHECK(err < 1e-8, "fixed point off the closed form by %g", err);
    // reduced eigenpairs: -1 + eig(n^T m / N)
    const Eigen::VectorXcd core = (Nn.transpose() * M / N).eigenvalues();
    const Eigenpairs& ep = s.linear[0];
    CHECK(ep.count == net.R, "linearisation lists %d pairs, expected %d", ep.count, net.R);
    for (int q = 0; q < net.R && q < ep.count; ++q) {
      double best = INFINITY;
      for (int r = 0; r < net.R; ++r) best = std::min(best, std::abs(ep.values[size_t(q)] - (core[r] - 1.0)));
      CHECK(best < 1e-10, "eigenvalue %d off by %g", q, best);
    }
  }
  CHECK(reports > 0, "no progress reports");

  // dense eigenpairs: A v = lambda v and w^T A = lambda w^T, w^T v = 1
  Eigen::MatrixXd A = Eigen::Map<const Eigen::MatrixXd>(gaussian(25, 1.0, 23).data(), 5, 5);
  const Eigenpairs dense = eigen_dense(A, true, true);
  CHECK(dense.count == 5, "dense: %d pairs", dense.count);
  for (int i = 0; i < dense.count; ++i) {
    Eigen::VectorXcd v(5), w(5);
    for (int j = 0; j < 5; ++j) v[j] = dense.right[size_t(i) * 5 + j], w[j] = dense.left[size_t(i) * 5 + j];
    const std::complex<double> lambda = dense.values[size_t(i)];
    CHECK((A.cast<std::complex<double>>() * v - lambda * v).norm() < 1e-10, "dense right vector %d", i);
    CHECK((w.transpose() * A.cast<std::complex<double>>() - lambda * w.transpose()).norm() < 1e-9, "dense left vector %d", i);
    CHECK(std::abs((w.transpose() * v)(0) - 1.0) < 1e-9, "dense w^T v != 1 for %d", i);
    if (i > 0) CHECK(dense.values[size_t(i)].real() <= dense.values[size_t(i - 1)].real() + 1e-12, "dense order at %d", i);
  }
  // low-rank: shift I + U V^T against the dense solver on the same matrix
  const Eigen::MatrixXd U = Eigen::Map<const Eigen::MatrixXd>(gaussian(16, 1.0, 29).data(), 8, 2);
  const Eigen::MatrixXd V = Eigen::Map<const Eigen::MatrixXd>(gaussian(16, 1.0, 31).data(), 8, 2);
  const Eigenpairs low = eigen_low_rank(-1.0, U, V, true, false);
  const Eigenpairs all = eigen_dense(-Eigen::MatrixXd::Identity(8, 8) + U * V.transpose(), false, false);
  for (int q = 0; q < low.count; ++q) {
    double best = INFINITY;
    for (int i = 0; i < all.count; ++i) best = std::min(best, std::abs(all.values[size_t(i)] - low.values[size_t(q)]));
    CHECK(best < 1e-9, "low-rank eigenvalue %d not among the dense ones (off by %g)", q, best);
  }
}

// ---- mixture, partial observation, neighbours --------------------------------------------------------------------

static void check_mixture() {
  // two well separated blobs: EM finds them, and its means are the blob means
  const int per = 60, D = 2;
  std::vector<double> x = gaussian(size_t(2 * per * D), 0.3, 37);
  double means[2][2] = {{0, 0}, {0, 0}};
  for (int i = 0; i < 2 * per; ++i) {
    const int blob = i < per ? 0 : 1;
    x[size_t(i) * D] += blob ? 5.0 : -5.0;
    for (int d = 0; d < D; ++d) means[blob][d] += x[size_t(i) * D + d] / per;
  }
  MixtureSettings s;
  s.components = 2;
  s.restarts = 3;
  s.threads = 2;
  s.seed = 4;
  s.maxIterations = 100;
  const MixtureFit fit = fit_mixture(x.data(), 2 * per, D, s);
  int agree = 0;
  for (int i = 0; i < 2 * per; ++i) agree += fit.labels[size_t(i)] == fit.labels[i < per ? 0 : size_t(per)];
  CHECK(agree == 2 * per && fit.labels[0] != fit.labels[size_t(per)], "mixture labels do not split the blobs");
  for (int blob = 0; blob < 2; ++blob) {
    const int k = fit.labels[blob ? size_t(per) : 0];
    for (int d = 0; d < D; ++d)
      CHECK(std::abs(fit.model.means[size_t(k) * D + d] - means[blob][d]) < 1e-6, "mixture mean %d,%d: %g vs %g", k, d,
            fit.model.means[size_t(k) * D + d], means[blob][d]);
  }
}

static void check_partial_observation() {
  // ridge estimate against the normal equations solved here
  const int trials = 2, steps = 40, n = 3;
  const double alpha = 0.3, ridge = 0.1;
  const std::vector<double> x = gaussian(size_t(trials) * steps * n, 1.0, 41);
  const std::vector<double> A = ridge_dynamics(x.data(), trials, steps, n, alpha, ridge, true);
  Eigen::MatrixXd num = Eigen::MatrixXd::Zero(n, n), gram = ridge * Eigen::MatrixXd::Identity(n, n);
  for (int tr = 0; tr < trials; ++tr)
    for (int t = 1; t < steps; ++t) {
      Eigen::VectorXd prev(n), cur(n);
      for (int i = 0; i < n; ++i) prev[i] = x[(size_t(tr) * steps + t - 1) * n + i], cur[i] = x[(size_t(tr) * steps + t) * n + i];
      const Eigen::VectorXd phi = prev.array().tanh();
      num += alpha * (cur - (1 - alpha) * prev) * phi.transpose();
      gram += alpha * alpha * phi * phi.transpose();
    }
  const Eigen::MatrixXd expected = num * gram.inverse();
  double err = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) err = std::max(err, std::abs(A[size_t(i) * n + j] - expected(i, j)));
  CHECK(err < 1e-10, "ridge dynamics off by %g", err);

  // the Stein equation: S = F S F^T + Q
  Eigen::MatrixXd F = 0.3 * Eigen::Map<const Eigen::MatrixXd>(gaussian(16, 1.0, 43).data(), 4, 4);
  Eigen::MatrixXd Q = Eigen::Map<const Eigen::MatrixXd>(gaussian(16, 1.0, 47).data(), 4, 4);
  Q = Q * Q.transpose();
  const Eigen::Matrix<double, -1, -1, Eigen::RowMajor> Fr = F, Qr = Q;
  const std::vector<double> S = discrete_lyapunov(Fr.data(), Qr.data(), 4);
  const Eigen::Matrix<double, -1, -1, Eigen::RowMajor> Sm = Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(S.data(), 4, 4);
  CHECK((Sm - F * Sm * F.transpose() - Q).norm() < 1e-10 * Q.norm(), "Stein residual %g", (Sm - F * Sm * F.transpose() - Q).norm());
  bool threw = false;
  const Eigen::Matrix<double, -1, -1, Eigen::RowMajor> unstable = 2.0 * Eigen::MatrixXd::Identity(4, 4);
  try {
    discrete_lyapunov(unstable.data(), Qr.data(), 4);
  } catch (const std::range_error&) {
    threw = true;
  }
  CHECK(threw, "an unstable F did not throw");
}

static void check_neighbours() {
  const int n = 300, d = 4, k = 3;  // more than one block of 256 rows
  std::vector<double> x = gaussian(size_t(n) * d, 1.0, 53);
  for (int i = 0; i < n; ++i) {
    double norm = 0.0;
    for (int j = 0; j < d; ++j) norm += x[size_t(i) * d + j] * x[size_t(i) * d + j];
    for (int j = 0; j < d; ++j) x[size_t(i) * d + j] /= std::sqrt(norm);
  }
  const std::vector<double> got = mean_top_cosines(x.data(), n, d, k, 3);
  std::vector<double> expected(n);
  for (int i = 0; i < n; ++i) {
    std::vector<double> c;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      double dot = 0.0;
      for (int q = 0; q < d; ++q) dot += x[size_t(i) * d + q] * x[size_t(j) * d + q];
      c.push_back(dot);
    }
    std::partial_sort(c.begin(), c.begin() + k, c.end(), std::greater<double>());
    expected[size_t(i)] = (c[0] + c[1] + c[2]) / k;
  }
  CHECK(max_abs_diff(got, expected) < 1e-12, "mean top cosines: max diff %g", max_abs_diff(got, expected));
}

// ---- thread pool ----------------------------------------------------------------------------------------------

static void check_thread_pool() {
  {
    ThreadPool pool(5);
    std::atomic<int> sum{0};
    for (int round = 0; round < 50; ++round) pool.run(5, [&](int w) { sum += w + 1; });
    CHECK(sum == 50 * 15, "pool sum %d", sum.load());
    bool rethrown = false;
    try {
      pool.run_catching(3, [](int w) {
        if (w == 2) throw std::runtime_error("worker 2");
      });
    } catch (const std::runtime_error& e) {
      rethrown = std::string(e.what()) == "worker 2";
    }
    CHECK(rethrown, "run_catching did not rethrow the worker's exception");
  }
  bool capped = false;
  try {
    ThreadPool pool(kMaxThreads + 1);
  } catch (const std::range_error& e) {
    capped = std::string(e.what()).find("at most 1024") != std::string::npos;
  }
  CHECK(capped, "a pool over kMaxThreads was not refused");

  // A pool whose threads cannot all be created (RLIMIT_NPROC in a child process, which drops root privileges first
  // because root is exempt from that limit) throws and joins what it started, instead of hanging or aborting.
  const pid_t child = fork();
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    const rlimit limit{16, 16};
    if (setrlimit(RLIMIT_NPROC, &limit) != 0) _exit(3);
    try {
      ThreadPool pool(200);
      _exit(1);  // not refused
    } catch (const std::range_error& e) {
      _exit(std::string(e.what()).find("could not start 200 threads") != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    std::printf("skip: cannot lower RLIMIT_NPROC here (the failed-thread-creation check did not run)\n");
  } else {
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "failed thread creation: child status %d", status);
  }
}

int main() {
  check_thread_pool();
  check_model();
  check_fixed_points();
  check_mixture();
  check_partial_observation();
  check_neighbours();
  if (g_failures) {
    std::printf("%d of %d checks failed\n", g_failures, g_checks);
    return 1;
  }
  std::printf("core tests: %d checks passed\n", g_checks);
  return 0;
}
