// The first phase of the fixed-point search (fixed_points.hpp: Adam on q = |F|^2 / 2 with a plateau schedule per
// candidate) on the GPU, with the CPU's semantics step for step: the same F and G = J^T F, the same schedule and
// stopping rules, q summed in double.
//  - Low-rank nets: one block per candidate runs a chunk of iterations in one launch; F and J^T F need two reductions
//    an iteration (the overlaps n^T phi / N, then m^T F and |F|^2), since W = m n^T / N is never formed.
//  - Full-rank nets: each iteration is W phi for all candidates (a tiled product), the velocity and schedule per
//    candidate, W^T F (a second product), then the Adam update.
// Between chunks the host reads which candidates are done (progress) and polls the abort flag.
#include "device_info.hpp"
#include "fixed_points.hpp"
#include "gpu_common.cuh"
#include "gpu_fixed_points.hpp"

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
    }    it = end;
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

}  // namespace lowrank
