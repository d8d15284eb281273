// The first phase of the fixed-point search (fixed_points.hpp: Adam on q = |F|^2 / 2 with a plateau schedule per
// candidate) on the GPU, with the CPU's semantics step for step: the same F and G = J^T F, the same schedule and
// stopping rules, q summed in double.
//  - Low-rank nets: one block per candidate runs a chunk of iterations in one launch; F and J^T F need two reductions
//    an iteration (the overlaps n^T phi / N, then m^T F and |F|^2), since W = m n^T / N is never formed.
//  - Full-rank nets: each iteration is W phi for all candidates (a tiled product), the velocity and schedule per
//    candidate, W^T F (a second product), then the Adam update.
// Between chunks the host reads which candidates are done (progress) and polls the abort flag.
//
// Why one file of this size: the low-rank and full-rank kernels, the per-candidate schedule and the reduced
// eigenproblem kernel share the device net description and the candidate state; one translation unit keeps them
// private to this file.
#include "device_info.hpp"
#include "fixed_points.hpp"
#include "gpu_common.cuh"
#include "gpu_fixed_points.hpp"
#include "small_eigen.cuh"

namespace lowrank {
namespace LOWRANK_GPU_NAMESPACE {
namespace {

// The vector field of dynamics.hpp on the network `net`: F(x) = -x + W phi(x + b) + d (current), F(r) = -r + f(W r + d)
// (rate), with d the constant drive of each candidate. From x and the total drive (W p + d), F and the vector v whose
// W^T enters J^T F: F (current) or f'(drive) F (rate).
template <class S>
LR_DEVICE void velocity(const Net<S>& net, S x, S drive, S& F, S& v) {
  if (!net.rate) {
    F = drive - x;
    v = F;
  } else {
    const S y = net.phi.apply(drive);
    F = y - x;
    v = net.phi.derivative(y) * F;
  }
}

// Per-candidate schedule state, in device memory.
struct Schedule {
  double* lr = nullptr;
  double* best = nullptr;
  int* bad = nullptr;
  int* done = nullptr;        // 1 once the candidate left the phase
  int* iterations = nullptr;  // the iteration at which it left
};

struct AdamSettings {
  double beta1, beta2, eps, plateauFactor, minLr, adamTolQ;
  int plateauPatience;
};

// The CPU's decision for candidate c at iteration it, given q: updates the schedule; true when the candidate stops.
LR_DEVICE bool schedule_stops(const Schedule& sc, const AdamSettings& a, int c, int it, double q) {
  if (q < sc.best[c] * (1.0 - 1e-4)) {
    sc.best[c] = q;
    sc.bad[c] = 0;
  } else if (++sc.bad[c] > a.plateauPatience) {
    sc.lr[c] *= a.plateauFactor;
    sc.bad[c] = 0;
  }
  if (!(q >= a.adamTolQ) || sc.lr[c] < a.minLr) {  // also stops a candidate whose q is not finite
    sc.done[c] = 1;
    sc.iterations[c] = it;
    return true;
  }
  return false;
}

template <class S>
LR_DEVICE void adam_update(S& x, S& mom, S& vel, S g, const AdamSettings& a, double lr, int it) {
  const double bc1 = 1.0 - pow(a.beta1, double(it + 1)), bc2 = 1.0 - pow(a.beta2, double(it + 1));
  mom = S(a.beta1) * mom + S(1.0 - a.beta1) * g;
  vel = S(a.beta2) * vel + S(1.0 - a.beta2) * g * g;
  x -= S(lr / bc1) * mom / (sqrt(vel / S(bc2)) + S(a.eps));
}

// Candidate blockIdx.x, iterations [it0, it1), of a low-rank net. scratch: [P, 2, N] (F and, rate, f' F), coef:
// [P, R] (the overlaps, then m^T F or m^T (f' F)).
template <class S>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void adam_lowrank_kernel(Net<S> f, S* X, const S* D, S* mom, S* vel, S* scratch, S* coef, Schedule sc,
                                   AdamSettings a, int it0, int it1) {
  LR_DYNAMIC_SHARED(double, red);  // [(R + 1) * blockDim]
  const int c = blockIdx.x, tid = threadIdx.x, bd = blockDim.x, N = f.N, R = f.R;
  if (sc.done[c]) return;
  S* x = X + int64_t(c) * N;
  const S* d = D + int64_t(c) * N;
  S* mc = mom + int64_t(c) * N;
  S* vc = vel + int64_t(c) * N;
  S* F = scratch + int64_t(c) * 2 * N;
  S* V = F + N;
  S* k = coef + int64_t(c) * R;
  for (int it = it0; it < it1; ++it) {
    for (int r = 0; r < R; ++r) red[r * bd + tid] = 0;
    for (int i = tid; i < N; i += bd) {
      const S p = f.presyn(x[i], i);
      for (int r = 0; r < R; ++r) red[r * bd + tid] += double(f.n[int64_t(i) * R + r] * p);
    }
    block_sum(red, R);
    if (tid == 0)
      for (int r = 0; r < R; ++r) k[r] = S(red[r * bd]) / S(N);
    LR_SYNC();
    for (int r = 0; r <= R; ++r) red[r * bd + tid] = 0;
    for (int i = tid; i < N; i += bd) {
      const S p = f.presyn(x[i], i);
      S a = d[i];
      for (int r = 0; r < R; ++r) a += f.m[int64_t(i) * R + r] * k[r];
      if (f.noAutapse) a -= f.self_coupling(i) * p;  // R > 0 here
      S Fi, v;
      velocity(f, x[i], a, Fi, v);
      F[i] = Fi;
      V[i] = v;
      for (int r = 0; r < R; ++r) red[r * bd + tid] += double(f.m[int64_t(i) * R + r] * v);
      red[R * bd + tid] += double(Fi) * double(Fi);
    }
    block_sum(red, R + 1);
    if (tid == 0) {
      for (int r = 0; r < R; ++r) k[r] = S(red[r * bd]);
      red[0] = schedule_stops(sc, a, c, it, 0.5 * red[R * bd]) ? 1.0 : 0.0;
    }
    LR_SYNC();
    if (red[0] != 0.0) return;
    const double lr = sc.lr[c];
    for (int i = tid; i < N; i += bd) {
      // J^T F = -F + [phi'(x + b)] (n (m^T v) / N - self v), v = F (current) or f' F (rate)
      S back = 0;
      for (int r = 0; r < R; ++r) back += f.n[int64_t(i) * R + r] * k[r];
      back /= S(N);
      if (f.noAutapse) back -= f.self_coupling(i) * V[i];
      if (!f.rate) back *= f.phi.derivative(f.presyn(x[i], i));
      adam_update(x[i], mc[i], vc[i], back - F[i], a, lr, it);
    }
    LR_SYNC();
  }
}

// Full-rank nets, iteration it, candidate blockIdx.x: from A = W p (p = phi(x + b) or x) the velocity F, the vector
// v that W^T acts on, q and the schedule.
template <class S>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void velocity_kernel(Net<S> f, const S* X, const S* D, const S* A, S* scratch, Schedule sc,
                               AdamSettings a, int it) {
  LR_DYNAMIC_SHARED(double, red);
  const int c = blockIdx.x, tid = threadIdx.x, N = f.N;
  if (sc.done[c]) return;
  const S* x = X + int64_t(c) * N;
  S* F = scratch + int64_t(c) * 2 * N;
  S* V = F + N;
  red[tid] = 0;
  for (int i = tid; i < N; i += blockDim.x) {
    S Fi, v;
    velocity(f, x[i], A[int64_t(c) * N + i] + D[int64_t(c) * N + i], Fi, v);
    F[i] = Fi;
    V[i] = v;
    red[tid] += double(Fi) * double(Fi);
  }
  block_sum(red, 1);
  if (tid == 0) schedule_stops(sc, a, c, it, 0.5 * red[0]);
}

// Full-rank nets: the Adam update of candidate blockIdx.x from Wv = v W (rows: candidates).
template <class S>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void update_kernel(Net<S> f, S* X, S* mom, S* vel, const S* scratch, const S* Wv, Schedule sc,
                             AdamSettings a, int it) {
  const int c = blockIdx.x, N = f.N;
  if (sc.done[c]) return;
  const double lr = sc.lr[c];
  const S* F = scratch + int64_t(c) * 2 * N;
  for (int i = threadIdx.x; i < N; i += blockDim.x) {
    S& x = X[int64_t(c) * N + i];
    S back = Wv[int64_t(c) * N + i];
    if (!f.rate) back *= f.phi.derivative(f.presyn(x, i));
    adam_update(x, mom[int64_t(c) * N + i], vel[int64_t(c) * N + i], back - F[i], a, lr, it);
  }
}

// p = phi(x + b) (current) or x (rate), for every candidate still active.
template <class S>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void presyn_kernel(Net<S> f, const S* X, S* P, const int* done) {
  const int c = blockIdx.x, N = f.N;
  if (done[c]) return;
  for (int i = threadIdx.x; i < N; i += blockDim.x) P[int64_t(c) * N + i] = f.presyn(X[int64_t(c) * N + i], i);
}

template <class S>
std::vector<S> cast_vector(const double* p, int64_t n) {
  return std::vector<S>(p, p + n);
}

template <class S>
void run_adam_phase(const ModelSpec& spec, const double* params, const FixedPointOptions& o, double* Xd,
                    const double* Dd, int P, int* iterations, const std::function<void(int, int)>& progress,
                    const std::atomic<bool>* abort) {
  const int N = spec.size, R = spec.lowRank() ? spec.rank : 0;
  const ParamLayout layout(spec);
  DeviceBuffer params_, x_, d_, mom_, vel_, scratch_, coef_, lr_, best_, bad_, done_, iters_, product_, presyn_;
  const std::vector<S> hostParams = cast_vector<S>(params, layout.total);
  const Net<S> f = make_net(spec, layout, params_.upload(hostParams.data(), layout.total));

  const int64_t PN = int64_t(P) * N;
  std::vector<S> hostX = cast_vector<S>(Xd, PN);
  S* X = x_.upload(hostX.data(), PN);
  const std::vector<S> hostD = cast_vector<S>(Dd, PN);
  const S* D = d_.upload(hostD.data(), PN);
  S* mom = mom_.get<S>(PN);
  S* vel = vel_.get<S>(PN);
  simt::zero(mom, size_t(PN) * sizeof(S));
  simt::zero(vel, size_t(PN) * sizeof(S));
  S* scratch = scratch_.get<S>(2 * PN);
  Schedule sc;
  const std::vector<double> lr0(P, o.lr), best0(P, std::numeric_limits<double>::infinity());
  sc.lr = lr_.upload(lr0.data(), P);
  sc.best = best_.upload(best0.data(), P);
  sc.bad = bad_.get<int>(P);
  sc.done = done_.get<int>(P);
  sc.iterations = iters_.get<int>(P);
  simt::zero(sc.bad, size_t(P) * sizeof(int));
  simt::zero(sc.done, size_t(P) * sizeof(int));
  simt::zero(sc.iterations, size_t(P) * sizeof(int));
  AdamSettings a{o.beta1, o.beta2, o.eps, o.plateauFactor, o.minLr, o.adamTolQ, o.plateauPatience};

  const int threads = trial_block_threads(N, R + 1);
  constexpr int kChunk = 50;  // iterations between progress reports and abort checks
  std::vector<int> done(P, 0);
  int it = 0, finished = 0;
  while (it < o.maxIterations && finished < P && !(abort && abort->load())) {
    const int end = std::min(o.maxIterations, it + kChunk);
    if (R > 0) {
      LR_LAUNCH(adam_lowrank_kernel<S>, P, threads, size_t(R + 1) * threads * sizeof(double))(
          f, X, D, mom, vel, scratch, coef_.get<S>(int64_t(P) * R), sc, a, it, end);
      simt::check_launch("adam_lowrank_kernel");
    } else {
      S* Pm = presyn_.get<S>(PN);
      S* prod = product_.get<S>(PN);
      Operand<S> presyn;  // presyn(c, j) = Pm[c, j]
      presyn.p = Pm;
      presyn.stride = N;
      Operand<S> wt;  // wt(j, i) = W[i, j]
      wt.p = f.wrec;
      wt.stride = N;
      Operand<S> v;  // v(c, i) = scratch[c, 1, i]
      v.p = scratch + N;
      v.stride = 2 * int64_t(N);
      Operand<S> w;  // w(i, j) = W[i, j]
      w.p = f.wrec;
      w.stride = 1;
      w.kInnerStride = N;
      for (int i = it; i < end; ++i) {
        LR_LAUNCH(presyn_kernel<S>, P, threads, 0)(f, X, Pm, sc.done);
        simt::check_launch("presyn_kernel");
        matmul(P, N, N, presyn, wt, prod, N);  // W p for every candidate
        LR_LAUNCH(velocity_kernel<S>, P, threads, threads * sizeof(double))(f, X, D, prod, scratch, sc, a, i);
        simt::check_launch("velocity_kernel");
        matmul(P, N, N, v, w, prod, N);  // W^T v
        LR_LAUNCH(update_kernel<S>, P, threads, 0)(f, X, mom, vel, scratch, prod, sc, a, i);
        simt::check_launch("update_kernel");
      }
    }
    it = end;
    simt::to_host(done.data(), sc.done, size_t(P) * sizeof(int));
    finished = 0;
    for (int v : done) finished += v;
    if (progress) progress(finished, P);
  }
  simt::to_host(iterations, sc.iterations, size_t(P) * sizeof(int));
  for (int c = 0; c < P; ++c)
    if (!done[c]) iterations[c] = it;
  simt::to_host(hostX.data(), X, size_t(PN) * sizeof(S));
  std::copy(hostX.begin(), hostX.end(), Xd);
}


// ---- the reduced eigenproblems ------------------------------------------------------------------------------------

// Where reduced_eigen_kernel leaves point blockIdx.x's results (unsorted) and keeps its scratch.
struct ReducedEigen {
  double* values;   // [P, 2, R]: real parts, then imaginary parts
  Complex* right;   // [P, R, N]: right vectors (when vectors are asked for)
  Complex* left;    // [P, R, N]: left vectors (when asked for)
  double* rcond;    // [P]
  int* status;      // [P]: 0, kQrFailed or kNotFinite
  double* slopes;   // [P, N]
  double* core;     // [P, R, R]
  double* work;     // [P, reduced_workspace(R)]
};
enum : int { kQrFailed = 1, kNotFinite = 2 };

// small_eigen's workspace, then the R factors that fix the vectors' phases and scale the left vectors.
LOWRANK_HOST_DEVICE inline int64_t reduced_workspace(int R) { return small_eigen_workspace(R) + 2 * int64_t(R); }

// The eigenpairs of J = -I + U V^T at the state X[p] with drive D[p] (fixed_points.hpp, eigen_low_rank): U = m,
// V = f'(x + b) n / N (current); U = f'(W x + d) m, V = n / N (rate). The core V^T U = n^T diag(f') m / N is R sums
// over the neurons per row; thread 0 solves it (small_eigen); then every thread forms the vectors of the neurons it
// owns: right U c (unit norm, phase as on the CPU: phase_reference_candidate), left d^T V^T scaled so that w^T v = 1. Reductions: 3R slots.
LR_KERNEL_BOUNDED(kTrialBlockThreads) void reduced_eigen_kernel(Net<double> f, const double* X, const double* D,
                                                                 ReducedEigen o, bool vectors, bool leftVectors) {
  LR_DYNAMIC_SHARED(double, red);  // [3 R * blockDim]
  const int p = blockIdx.x, tid = threadIdx.x, bd = blockDim.x, N = f.N, R = f.R;
  const double* x = X + int64_t(p) * N;
  const double* d = D + int64_t(p) * N;
  double* s = o.slopes + int64_t(p) * N;
  double* core = o.core + int64_t(p) * R * R;
  double* work = o.work + int64_t(p) * reduced_workspace(R);
  const SmallEigen e = small_eigen_layout(R, work);
  Complex* factor = reinterpret_cast<Complex*>(work + small_eigen_workspace(R));  // [R]
  auto m = [&](int i, int r) { return f.m[int64_t(i) * R + r]; };
  auto n = [&](int i, int r) { return f.n[int64_t(i) * R + r]; };

  if (f.rate) {  // f'(W x + d), W x = m (n^T x) / N
    for (int r = 0; r < R; ++r) red[r * bd + tid] = 0;
    for_each_owned(N, [&](int i) {
      for (int r = 0; r < R; ++r) red[r * bd + tid] += n(i, r) * x[i];
    });
    block_sum(red, R);
    for_each_owned(N, [&](int i) {
      double a = d[i];
      for (int r = 0; r < R; ++r) a += m(i, r) * (red[r * bd] / N);
      s[i] = f.phi.derivative(f.phi.apply(a));
    });
    LR_SYNC();
  } else {
    for_each_owned(N, [&](int i) { s[i] = f.phi.derivative(f.presyn(x[i], i)); });
  }
  for (int a = 0; a < R; ++a) {  // row a of the core
    for (int b = 0; b < R; ++b) red[b * bd + tid] = 0;
    for_each_owned(N, [&](int i) {
      const double w = n(i, a) * s[i];
      for (int b = 0; b < R; ++b) red[b * bd + tid] += w * m(i, b);
    });
    block_sum(red, R);
    if (tid == 0)
      for (int b = 0; b < R; ++b) core[a * R + b] = red[b * bd] / N;
    LR_SYNC();
  }
  if (tid == 0) {
    bool finite = true;
    for (int k = 0; k < R * R; ++k) finite = finite && isfinite(core[k]);
    double rcond = 0;
    const int status = !finite ? kNotFinite : small_eigen(R, core, e, leftVectors, rcond) ? 0 : kQrFailed;
    o.status[p] = status;
    o.rcond[p] = rcond;
    for (int k = 0; k < R && status == 0; ++k) {
      o.values[int64_t(p) * 2 * R + k] = e.re[k] - 1.0;
      o.values[int64_t(p) * 2 * R + R + k] = e.im[k];
    }
    red[0] = status;
  }
  LR_SYNC();
  if (red[0] != 0 || !vectors) return;
  LR_SYNC();  // everyone has read red[0]

  // right vectors U c, normalised
  Complex* right = o.right + int64_t(p) * R * N;
  for (int k = 0; k < R; ++k) red[k * bd + tid] = 0;
  for_each_owned(N, [&](int i) {
    const double scale = f.rate ? s[i] : 1.0;
    for (int k = 0; k < R; ++k) {
      Complex v{};
      for (int b = 0; b < R; ++b) v = v + (scale * m(i, b)) * e.vectors[b * R + k];
      right[int64_t(k) * N + i] = v;
      red[k * bd + tid] += v.re * v.re + v.im * v.im;
    }
  });
  block_sum(red, R);
  for_each_owned(N, [&](int i) {
    for (int k = 0; k < R; ++k) {
      const double norm = sqrt(red[k * bd]);
      Complex& v = right[int64_t(k) * N + i];
      if (norm > 0) v = Complex{v.re / norm, v.im / norm};
    }
  });
  LR_SYNC();
  // the phase: the first component that is a phase_reference_candidate made real and positive
  for (int k = 0; k < R; ++k) red[k * bd + tid] = 0;
  for_each_owned(N, [&](int i) {
    for (int k = 0; k < R; ++k) red[k * bd + tid] = fmax(red[k * bd + tid], modulus(right[int64_t(k) * N + i]));
  });
  block_reduce(red, R, [](double a, double b) { return fmax(a, b); });
  for (int k = 0; k < R; ++k) red[(R + k) * bd + tid] = N;
  for_each_owned(N, [&](int i) {
    for (int k = 0; k < R; ++k)
      if (phase_reference_candidate(modulus(right[int64_t(k) * N + i]), red[k * bd]))
        red[(R + k) * bd + tid] = fmin(red[(R + k) * bd + tid], double(i));
  });
  block_reduce(red + R * bd, R, [](double a, double b) { return fmin(a, b); });
  if (tid == 0)
    for (int k = 0; k < R; ++k) {
      const int at = int(red[(R + k) * bd]);
      const Complex v = at < N ? right[int64_t(k) * N + at] : Complex{1.0, 0.0};
      factor[k] = modulus(v) > 0 ? Complex{v.re / modulus(v), -v.im / modulus(v)} : Complex{1.0, 0.0};
    }
  LR_SYNC();
  for_each_owned(N, [&](int i) {
    for (int k = 0; k < R; ++k) {
      Complex& v = right[int64_t(k) * N + i];
      v = i == int(red[(R + k) * bd]) ? Complex{modulus(v), 0.0} : v * factor[k];
    }
  });
  if (!leftVectors) return;

  // left vectors: row k of C^-1 times V^T, divided by w^T v (unless that is 0: the pair merged with -1)
  Complex* left = o.left + int64_t(p) * R * N;
  LR_SYNC();  // factor[] and red are reused
  for (int k = 0; k < 3 * R; ++k) red[k * bd + tid] = 0;
  for_each_owned(N, [&](int i) {
    const double scale = (f.rate ? 1.0 : s[i]) / N;
    for (int k = 0; k < R; ++k) {
      Complex w{};
      for (int a = 0; a < R; ++a) w = w + (scale * n(i, a)) * e.inverse[k * R + a];
      left[int64_t(k) * N + i] = w;
      const Complex wv = w * right[int64_t(k) * N + i];
      red[k * bd + tid] += wv.re;
      red[(R + k) * bd + tid] += wv.im;
      red[(2 * R + k) * bd + tid] += w.re * w.re + w.im * w.im;
    }
  });
  block_sum(red, 3 * R);
  if (tid == 0)
    for (int k = 0; k < R; ++k) {
      const Complex overlap{red[k * bd], red[(R + k) * bd]};
      factor[k] = scales_left_vector(modulus(overlap), sqrt(red[(2 * R + k) * bd])) ? overlap : Complex{1.0, 0.0};
    }
  LR_SYNC();
  for_each_owned(N, [&](int i) {
    for (int k = 0; k < R; ++k) left[int64_t(k) * N + i] = left[int64_t(k) * N + i] / factor[k];
  });
}

std::vector<Eigenpairs> run_reduced_eigen(const ModelSpec& spec, const double* params, const double* X,
                                          const double* D, int rows, const LinearizeOptions& opts,
                                          const std::function<void(int)>& done, const std::atomic<bool>* abort) {
  const int N = spec.size, R = spec.rank;
  const bool vectors = opts.rightVectors || opts.leftVectors, leftVectors = opts.leftVectors;
  const ParamLayout layout(spec);
  DeviceBuffer params_, x_, d_, values_, right_, left_, rcond_, status_, slopes_, core_, work_;
  const Net<double> f = make_net(spec, layout, params_.upload(params, layout.total));
  // points per launch: about 256 MiB of device memory at a time
  const double perPoint = 8.0 * (3.0 * N + 2.0 * R + 1.0 + double(R) * R + double(reduced_workspace(R))) +
                          16.0 * double(R) * N * (vectors ? 1 + int(leftVectors) : 0);
  const int chunk = int(std::max(1.0, std::min(double(rows), 268435456.0 / perPoint)));
  const int threads = trial_block_threads(N, 3 * R);
  std::vector<Eigenpairs> out;
  out.reserve(rows);
  std::vector<double> values, rcond;
  std::vector<int> status;
  std::vector<Complex> right, left;
  auto vectors_of = [&](const std::vector<Complex>& all, int c) {  // point c's R vectors, as the rows of R x N
    Eigen::MatrixXcd rows(R, N);
    for (int k = 0; k < R; ++k)
      for (int i = 0; i < N; ++i) {
        const Complex& v = all[(size_t(c) * R + k) * N + i];
        rows(k, i) = {v.re, v.im};
      }
    return rows;
  };
  for (int first = 0; first < rows && !(abort && abort->load()); first += chunk) {
    const int P = std::min(chunk, rows - first);
    const int64_t PN = int64_t(P) * N;
    ReducedEigen o;
    o.values = values_.get<double>(int64_t(P) * 2 * R);
    o.right = vectors ? right_.get<Complex>(PN * R) : nullptr;
    o.left = leftVectors ? left_.get<Complex>(PN * R) : nullptr;
    o.rcond = rcond_.get<double>(P);
    o.status = status_.get<int>(P);
    o.slopes = slopes_.get<double>(PN);
    o.core = core_.get<double>(int64_t(P) * R * R);
    o.work = work_.get<double>(P * reduced_workspace(R));
    const double* Xc = x_.upload(X + int64_t(first) * N, PN);
    const double* Dc = d_.upload(D + int64_t(first) * N, PN);
    LR_LAUNCH(reduced_eigen_kernel, P, threads, size_t(3 * R) * threads * sizeof(double))(f, Xc, Dc, o, vectors,
                                                                                          leftVectors);
    simt::check_launch("reduced_eigen_kernel");
    status.resize(P);
    simt::to_host(status.data(), o.status, size_t(P) * sizeof(int));
    for (int c = 0; c < P; ++c) {
      if (status[c] == kNotFinite)
        throw std::range_error("eigen: the reduced matrix V^T U at point " + std::to_string(first + c) +
                               " contains NaN or Inf");
      if (status[c] == kQrFailed) throw std::runtime_error("eigen: the QR iteration did not converge");
    }
    values.resize(size_t(P) * 2 * R);
    simt::to_host(values.data(), o.values, values.size() * sizeof(double));
    rcond.resize(P);
    simt::to_host(rcond.data(), o.rcond, size_t(P) * sizeof(double));
    if (vectors) {
      right.resize(size_t(PN) * R);
      simt::to_host(right.data(), o.right, right.size() * sizeof(Complex));
    }
    if (leftVectors) {
      left.resize(size_t(PN) * R);
      simt::to_host(left.data(), o.left, left.size() * sizeof(Complex));
    }
    for (int c = 0; c < P; ++c) {
      Eigen::VectorXcd lambda(R);
      for (int k = 0; k < R; ++k) lambda(k) = {values[size_t(c) * 2 * R + k], values[size_t(c) * 2 * R + R + k]};
      const Eigen::MatrixXcd rightColumns = vectors ? Eigen::MatrixXcd(vectors_of(right, c).transpose()) : Eigen::MatrixXcd();
      const Eigen::MatrixXcd leftRows = leftVectors ? vectors_of(left, c) : Eigen::MatrixXcd();
      out.push_back(sorted_eigenpairs(lambda, opts.rightVectors ? &rightColumns : nullptr,
                                      leftVectors ? &leftRows : nullptr,
                                      leftVectors ? rcond[c] : std::numeric_limits<double>::quiet_NaN()));
    }
    if (done) done(first + P);
  }
  return out;
}

}  // namespace
}  // namespace LOWRANK_GPU_NAMESPACE

#if defined(__CUDACC__)
void cuda_fixed_point_adam(const ModelSpec& spec, const double* params, const FixedPointOptions& o, double* X,
                           const double* D, int P, int* iterations, const std::function<void(int, int)>& progress,
                           const std::atomic<bool>* abort) {
  require_cuda_device();
  if (o.singlePrecision) cuda::run_adam_phase<float>(spec, params, o, X, D, P, iterations, progress, abort);
  else cuda::run_adam_phase<double>(spec, params, o, X, D, P, iterations, progress, abort);
}
#else
void emulated_fixed_point_adam(const ModelSpec& spec, const double* params, const FixedPointOptions& o, double* X,
                               const double* D, int P, int* iterations, const std::function<void(int, int)>& progress,
                               const std::atomic<bool>* abort) {
  if (o.singlePrecision) emulated::run_adam_phase<float>(spec, params, o, X, D, P, iterations, progress, abort);
  else emulated::run_adam_phase<double>(spec, params, o, X, D, P, iterations, progress, abort);
}
#endif

#if defined(__CUDACC__)
std::vector<Eigenpairs> cuda_reduced_eigenpairs(const ModelSpec& spec, const double* params, const double* states,
                                                const double* drives, int rows, const LinearizeOptions& opts,
                                                const std::function<void(int)>& done, const std::atomic<bool>* abort) {
  require_cuda_device();
  return cuda::run_reduced_eigen(spec, params, states, drives, rows, opts, done, abort);
}
#else
std::vector<Eigenpairs> emulated_reduced_eigenpairs(const ModelSpec& spec, const double* params, const double* states,
                                                    const double* drives, int rows, const LinearizeOptions& opts,
                                                    const std::function<void(int)>& done,
                                                    const std::atomic<bool>* abort) {
  return emulated::run_reduced_eigen(spec, params, states, drives, rows, opts, done, abort);
}
#endif

}  // namespace lowrank
