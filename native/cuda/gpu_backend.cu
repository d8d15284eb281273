// The GPU backend: forward pass, BPTT and Adam of backend.hpp's interface as CUDA kernels, with every array on the
// device. Compiled by nvcc for the GPU, and by the host compiler as the emulated backend (simt.hpp) that the tests
// run on machines without a GPU.
//
// Layout of the work:
//  - One block per trial walks the time steps. A thread owns groups of four consecutive neurons (the four normals of
//    one Philox call), so the element-wise work of a step needs no synchronisation; the step's sums over neurons
//    (overlaps kappa = n^T r / N, readouts, m^T d) are one block-wide tree reduction.
//  - Low-rank nets: the whole forward walk is one launch, the whole backward walk another (no launch per step).
//  - Full-rank nets: each step's W r (and W^T d going back) is a tiled matrix product over the batch between two
//    element-wise launches; the weight gradient is one product over all steps at the end.
//  - Parameter gradients are accumulated per trial (each thread its own neurons), then summed over trials in trial
//    order. Nothing uses atomics, so a given device and seed give the same bits on every run.
// Noise: the same Philox4x32-10 counters and uniforms as the CPU (philox.hpp), turned into normals by Box-Muller with
// the device's log/sin/cos: the uniforms are bit-identical to the CPU's, the normals agree to rounding (about 1e-7
// relative in float, 1e-15 in double).
//
// Why one file of this size: nvcc compiles each .cu on its own, and the kernels, their launch shapes and the shared
// device views are used together by forward, backward and Adam; one translation unit keeps them private (anonymous
// namespace) and lets the emulated build compile the same code once.
#include "backend.hpp"
#include "device_info.hpp"
#include "gpu_backend.hpp"
#include "gpu_common.cuh"
#include "philox.hpp"

#if !defined(__CUDACC__)
#include <unistd.h>
#endif

namespace lowrank {
namespace LOWRANK_GPU_NAMESPACE {
namespace {

// ---- device-side descriptions -------------------------------------------------------------------------------------

// One forward pass over a batch: the inputs (rows selected by `trials`) and every per-step array the backward pass
// reads. All pointers are device pointers.
template <class S>
struct Pass {
  int B = 0, T = 0;
  const S* inputs = nullptr;       // [rows, T, K]
  const S* initial = nullptr;      // [rows, N], or null for h0
  const int32_t* trials = nullptr; // [B] the row of inputs / initial / targets of trial b, or null for row b
  S* states = nullptr;             // [B, T+1, N]
  S* activity = nullptr;           // [B, T+1, N]: current phi(x_t + b); rate f_t (t < T)
  S* kappa = nullptr;              // [B, T+1, R]
  S* outputs = nullptr;            // [B, T, O]
  const S* recurrent = nullptr;    // [B, N]: W p_t of the step at hand (full-rank)
  bool noise = false;
  uint64_t seed = 0;
  uint32_t stream = 0;

  LR_DEVICE int64_t row(int b) const { return trials ? int64_t(trials[b]) : int64_t(b); }
};

template <class S>
struct LossArgs {
  const S* targets = nullptr;  // [rows, T, F]
  const S* mask = nullptr;     // [rows, T, F]
  int F = 0;
  LossOn on = LossOn::Outputs;
  double* trialLoss = nullptr; // [B]
  S* predGrad = nullptr;       // [B, T, F], dL/dprediction
};

// Per-trial gradient accumulators (each thread writes only its own neurons' entries) and the backward walk's state.
template <class S>
struct Grads {
  S* g = nullptr;          // [B, N] dL/dx_{s+1} between launches, dL/dx_0 at the end
  S* drive = nullptr;      // [B, T, N] every step's drive gradient (full-rank nets, for the weight gradient)
  S* back = nullptr;       // [B, N] full-rank W^T d of the step
  S* coef = nullptr;       // [B, R] m^T d of the step (low-rank)
  S* gm = nullptr;         // [B, N, R]
  S* gn = nullptr;         // [B, N, R], times N
  S* gInputs = nullptr;    // [B, K, N], with respect to the rows diag(si) wi
  S* gReadout = nullptr;   // [B, O, N], with respect to the rows (wo diag(so) readoutScale)^T
  S* gb = nullptr;         // [B, N]
  S* gSelf = nullptr;      // [B, N], with respect to the removed diagonal (no-autapse low-rank)
  bool readoutLoss = false, inputs = true;
};

struct Segments {
  int64_t offset[kParamCount];
  int64_t count[kParamCount];
};

struct TrainMask {
  Segments seg;
  bool trainable[kParamCount];
};

// One member's share of an ensemble step (train_ensemble): everything the kernels take as arguments when they run one
// model, per member. An ensemble launch gets a device array of these and gives member blockIdx.y its entry; the
// kernels then run exactly as in a launch of that member alone (blockIdx.x is still the trial or the neuron block), so
// each member gets the bits it gets alone. Blocks past a member's own trial count return at once.
template <class S>
struct MemberStep {
  Net<S> net;
  Pass<S> ps;
  LossArgs<S> la;
  Grads<S> gr;
  S* spill = nullptr;    // the forward walk's state off chip, [B, N] (when it does not fit in shared memory)
  S* grad = nullptr;     // [P]
  S* rowSums = nullptr;  // [(K + O), N]
  double* norm = nullptr;  // the gradient's sum of squares
  S* accumulators = nullptr;  // the block of gr's per-trial accumulators, zeroed by zero_members_kernel
  int64_t accumulatorCount = 0;
  S* recurrent = nullptr;  // full-rank: [B, N], W r of the step at hand
  S* wrec = nullptr;       // full-rank: the weights, for the constraints
  const uint8_t* connectivity = nullptr;
  const int8_t* dale = nullptr;
  bool withH0 = true;
  TrainMask tm;
  AdamOptions adam;
  AdamScalars sc;
  S* params = nullptr;
  double *m = nullptr, *v = nullptr;
};

// Four standard normals of one Philox call: neurons 4 group .. 4 group + 3 of (step, trial, stream), as the CPU draws
// them (rng.hpp).
template <class S>
LR_DEVICE void normals4(uint64_t seed, uint32_t group, uint32_t step, uint32_t trial, uint32_t stream, S z[4]) {
  const uint32_t ctr[4] = {group, step, trial, stream};
  uint32_t w[4];
  philox4x32_10(ctr, PhiloxKey(seed), w);
  const S twoPi = S(6.283185307179586);
  const S ra = sqrt(S(-2) * log(uint_to_open_unit<S>(w[0]))), rb = sqrt(S(-2) * log(uint_to_open_unit<S>(w[2])));
  const S ta = twoPi * uint_to_open_unit<S>(w[1]), tb = twoPi * uint_to_open_unit<S>(w[3]);
  z[0] = ra * cos(ta);
  z[1] = ra * sin(ta);
  z[2] = rb * cos(tb);
  z[3] = rb * sin(tb);
}

// ---- forward ------------------------------------------------------------------------------------------------------

// The per-neuron state of a trial's walk (x going forward, dL/dx going back) is read and written only by the thread
// that owns the neuron (for_each_owned), so it needs no barrier. It stays on chip, in shared memory behind the
// reduction slots, when it fits (onChip); otherwise in `spill` ([B, N]).
template <class S>
LR_DEVICE S* walk_state(S* shared, bool onChip, S* spill, int b, int N) {
  return onChip ? shared : spill + int64_t(b) * N;
}

// Trial blockIdx.x, steps [tBegin, tEnd). With `prologue`, starts from x_0 (writing it, its activity and kappa_0);
// otherwise from the stored state tBegin. Each step writes x_{t+1}, its activity, kappa_{t+1} and the outputs z_t
// (the readout of x_{t+1}).
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void forward_kernel(Net<S> net, Pass<S> ps, int tBegin, int tEnd,
                                                              bool prologue, bool onChip, S* spill,
                                                              const MemberStep<S>* members) {
  LR_DYNAMIC_SHARED(S, red);  // [(R + O) * blockDim], then the state [N] when onChip
  if (kMembers) {  // an ensemble launch: member blockIdx.y's whole walk
    const MemberStep<S>& ms = members[blockIdx.y];
    net = ms.net;
    ps = ms.ps;
    spill = ms.spill;
    tEnd = tEnd < 0 || tEnd > ps.T ? ps.T : tEnd;  // -1: the whole walk (low-rank)
    if (int(blockIdx.x) >= ps.B || (!prologue && tBegin >= ps.T)) return;
  }
  const int b = blockIdx.x, tid = threadIdx.x, bd = blockDim.x;
  const int N = net.N, R = net.R, O = net.O, K = net.K, T = ps.T;
  const int groups = (N + 3) / 4;
  const int64_t row = ps.row(b);
  S* X = ps.states + int64_t(b) * (T + 1) * N;
  S* A = ps.activity + int64_t(b) * (T + 1) * N;
  S* kappa = ps.kappa ? ps.kappa + int64_t(b) * (T + 1) * R : nullptr;
  S* x = walk_state(red + (R + O) * bd, onChip, spill, b, N);

  for (int v = 0; v < R; ++v) red[v * bd + tid] = S(0);
  for_each_owned(N, [&](int i) {
    if (!prologue) {
      x[i] = X[int64_t(tBegin) * N + i];
      return;
    }
    X[i] = x[i] = ps.initial ? ps.initial[row * N + i] : net.h0[i];
    const S p = net.presyn(x[i], i);
    if (!net.rate) A[i] = p;
    for (int r = 0; r < R; ++r) red[r * bd + tid] += net.n[int64_t(i) * R + r] * p;
  });
  if (prologue && R > 0) {
    block_sum(red, R);
    if (tid == 0)
      for (int r = 0; r < R; ++r) kappa[r] = red[r * bd] / S(N);
    LR_SYNC();
  }

  const bool noisy = ps.noise && net.noiseScale > S(0);
  for (int t = tBegin; t < tEnd; ++t) {
    const S* u = ps.inputs + (row * T + t) * K;
    const S* kt = kappa ? kappa + int64_t(t) * R : nullptr;
    const bool nextKappa = R > 0 && t + 1 < T;
    for (int v = 0; v < R + O; ++v) red[v * bd + tid] = S(0);
    for (int q = tid; q < groups; q += bd) {  // for_each_owned's groups, one normals4 draw each
      S z[4] = {0, 0, 0, 0};
      if (noisy) normals4<S>(ps.seed, uint32_t(q), uint32_t(t), uint32_t(b), ps.stream, z);
      LR_UNROLL
      for (int e = 0; e < 4; ++e) {  // unrolled, so that z stays in registers
        const int i = 4 * q + e;
        if (i >= N) break;
        S drive = 0;
        for (int r = 0; r < R; ++r) drive += net.m[int64_t(i) * R + r] * kt[r];
        if (net.noAutapse && R > 0) drive -= net.self_coupling(i) * net.presyn(x[i], i);
        if (ps.recurrent) drive += ps.recurrent[int64_t(b) * N + i];
        for (int k = 0; k < K; ++k) drive += net.wi[int64_t(k) * N + i] * net.si[k] * u[k];
        S p;  // the presynaptic activity of x_{t+1}
        if (!net.rate) {
          x[i] = net.leak * x[i] + net.alpha * drive + net.noiseScale * z[e];
          A[int64_t(t + 1) * N + i] = p = net.presyn(x[i], i);
        } else {
          const S f = net.phi.apply(drive + net.b[i] + net.noiseScale * z[e]);
          A[int64_t(t) * N + i] = f;
          p = x[i] = net.leak * x[i] + net.alpha * f;
        }
        X[int64_t(t + 1) * N + i] = x[i];
        if (nextKappa)
          for (int r = 0; r < R; ++r) red[r * bd + tid] += net.n[int64_t(i) * R + r] * p;
        if (O > 0) {
          const S y = net.readout_input(x[i], i);
          for (int o = 0; o < O; ++o) red[(R + o) * bd + tid] += net.wo[int64_t(i) * O + o] * net.so[o] * y;
        }
      }
    }
    block_sum(red, R + O);
    if (tid == 0) {
      if (nextKappa)
        for (int r = 0; r < R; ++r) kappa[int64_t(t + 1) * R + r] = red[r * bd] / S(N);
      for (int o = 0; o < O; ++o)
        ps.outputs[(int64_t(b) * T + t) * O + o] = red[(R + o) * bd] * net.readoutScale;
    }
    LR_SYNC();
  }
}

// ---- loss ---------------------------------------------------------------------------------------------------------

// Masked MSE of trial blockIdx.x, normalised by its masked steps (reference loss_mse), and dL/dprediction.
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void loss_kernel(Pass<S> ps, LossArgs<S> la, int N, bool rateFormulation,
                                                        const MemberStep<S>* members) {
  LR_DYNAMIC_SHARED(double, red);  // [blockDim]
  if (kMembers) {
    ps = members[blockIdx.y].ps;
    la = members[blockIdx.y].la;
    if (int(blockIdx.x) >= ps.B) return;
  }
  const int b = blockIdx.x, tid = threadIdx.x, bd = blockDim.x, T = ps.T, F = la.F;
  const int64_t row = ps.row(b);
  const S* mask = la.mask + row * T * F;
  const S* target = la.targets + row * T * F;
  double part = 0;
  for (int t = tid; t < T; t += bd) part += double(mask[int64_t(t) * F]);
  red[tid] = part;
  block_sum(red, 1);
  const double masked = red[0];
  LR_SYNC();
  const double norm = masked > 0 ? 1.0 / (double(F) * masked * double(ps.B)) : 0.0;
  part = 0;
  for (int64_t e = tid; e < int64_t(T) * F; e += bd) {
    const int t = int(e / F), f = int(e % F);
    S pred;
    if (la.on == LossOn::Outputs) pred = ps.outputs[(int64_t(b) * T + t) * F + f];
    else if (la.on == LossOn::Rates && !rateFormulation) pred = ps.activity[(int64_t(b) * (T + 1) + t + 1) * N + f];
    else pred = ps.states[(int64_t(b) * (T + 1) + t + 1) * N + f];
    const double mk = double(mask[e]);
    const double err = mk * (double(target[e]) - double(pred));
    part += err * err;
    la.predGrad[int64_t(b) * T * F + e] = S(-2.0 * mk * err * norm);
  }
  red[tid] = part;
  block_sum(red, 1);
  if (tid == 0) la.trialLoss[b] = red[0] * norm;
}

// ---- backward -----------------------------------------------------------------------------------------------------

// Step s of the backward walk, first half: adds the loss at step s (a function of x_{s+1}) to g = dL/dx_{s+1}, forms
// the drive gradient d of step s (kept in gr.drive for full-rank nets), accumulates the m and input gradients, and
// (low-rank) the partial sums of m^T d.
template <class S>
LR_DEVICE void backward_drive(const Net<S>& net, const Pass<S>& ps, const LossArgs<S>& la, const Grads<S>& gr,
                              int b, int s, S* red, S* g) {
  const int tid = threadIdx.x, bd = blockDim.x, N = net.N, R = net.R, K = net.K, O = net.O, T = ps.T;
  const int64_t row = ps.row(b);
  const S* X = ps.states + int64_t(b) * (T + 1) * N;
  const S* A = ps.activity + int64_t(b) * (T + 1) * N;
  const S* dPred = la.predGrad + (int64_t(b) * T + s) * la.F;
  const S* u = ps.inputs + (row * T + s) * K;
  const S* kt = R > 0 ? ps.kappa + (int64_t(b) * (T + 1) + s) * R : nullptr;
  S* drives = gr.drive ? gr.drive + (int64_t(b) * T + s) * N : nullptr;
  S* gb = gr.gb + int64_t(b) * N;
  for (int v = 0; v < R; ++v) red[v * bd + tid] = S(0);
  for_each_owned(N, [&](int i) {
    if (la.on == LossOn::Outputs) {
      if (O > 0) {
        const S y = net.readout_input(X[int64_t(s + 1) * N + i], i);
        S dy = 0;
        for (int o = 0; o < O; ++o) {
          dy += dPred[o] * net.readout_weight(i, o);
          if (gr.readoutLoss) gr.gReadout[(int64_t(b) * O + o) * N + i] += dPred[o] * y;
        }
        dy *= net.phiOut.derivative(y);
        g[i] += dy;
        if (!net.rate) gb[i] += dy;
      }
    } else if (la.on == LossOn::Rates && !net.rate) {
      const S back = dPred[i] * net.phi.derivative(A[int64_t(s + 1) * N + i]);
      g[i] += back;
      gb[i] += back;
    } else {
      g[i] += dPred[i];
    }
    const S d = net.drive_gradient(g[i], A[int64_t(s) * N + i]);
    if (net.rate) gb[i] += d;
    if (drives) drives[i] = d;
    if (gr.inputs)
      for (int k = 0; k < K; ++k) gr.gInputs[(int64_t(b) * K + k) * N + i] += d * u[k];
    for (int r = 0; r < R; ++r) {
      gr.gm[(int64_t(b) * N + i) * R + r] += d * kt[r];
      red[r * bd + tid] += net.m[int64_t(i) * R + r] * d;
    }
  });
}

// Second half: g becomes dL/dx_s = (1 - alpha) g + the gradient through the presynaptic activity of state s (the
// n^T part through coef = m^T d, the full-rank part W^T d in gr.back, minus the removed diagonal), and the n, bias
// and self-coupling gradients are accumulated.
template <class S>
LR_DEVICE void backward_state(const Net<S>& net, const Pass<S>& ps, const Grads<S>& gr, int b, int s, S* g) {
  const int N = net.N, R = net.R, T = ps.T;
  const S* X = ps.states + int64_t(b) * (T + 1) * N;
  const S* A = ps.activity + int64_t(b) * (T + 1) * N;
  const S* c = R > 0 ? gr.coef + int64_t(b) * R : nullptr;
  const S* back = gr.back ? gr.back + int64_t(b) * N : nullptr;
  S* gb = gr.gb + int64_t(b) * N;
  const bool self = net.noAutapse && R > 0;
  for_each_owned(N, [&](int i) {
    const S p = net.rate ? X[int64_t(s) * N + i] : A[int64_t(s) * N + i];
    S et = 0;
    for (int r = 0; r < R; ++r) {
      et += c[r] * net.n[int64_t(i) * R + r];
      gr.gn[(int64_t(b) * N + i) * R + r] += c[r] * p;
    }
    et /= S(N);
    if (back) et += back[i];
    if (self) {  // g is still dL/dx_{s+1} here, so d is as in backward_drive
      const S d = net.drive_gradient(g[i], A[int64_t(s) * N + i]);
      et -= net.self_coupling(i) * d;
      gr.gSelf[int64_t(b) * N + i] += d * p;
    }
    if (!net.rate) {
      et *= net.phi.derivative(p);
      gb[i] += et;
    }
    g[i] = net.leak * g[i] + et;
  });
}

// The whole backward walk of a low-rank net for trial blockIdx.x, steps T-1 down to 0; g = dL/dx on chip when it
// fits, and in gr.g at the end (dL/dx_0, for the h0 gradient).
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void backward_lowrank_kernel(Net<S> net, Pass<S> ps, LossArgs<S> la,
                                                                       Grads<S> gr, bool onChip,
                                                                       const MemberStep<S>* members) {
  LR_DYNAMIC_SHARED(S, red);  // [R * blockDim], then g [N] when onChip
  if (kMembers) {
    const MemberStep<S>& ms = members[blockIdx.y];
    net = ms.net;
    ps = ms.ps;
    la = ms.la;
    gr = ms.gr;
    if (int(blockIdx.x) >= ps.B) return;
  }
  const int b = blockIdx.x, tid = threadIdx.x, bd = blockDim.x, N = net.N, R = net.R;
  S* g = walk_state(red + R * bd, onChip, gr.g, b, N);
  for_each_owned(N, [&](int i) { g[i] = S(0); });
  for (int s = ps.T - 1; s >= 0; --s) {
    backward_drive(net, ps, la, gr, b, s, red, g);
    block_sum(red, R);
    if (tid == 0)
      for (int r = 0; r < R; ++r) gr.coef[int64_t(b) * R + r] = red[r * bd];
    LR_SYNC();
    backward_state(net, ps, gr, b, s, g);
    LR_SYNC();
  }
  if (onChip) for_each_owned(N, [&](int i) { gr.g[int64_t(b) * N + i] = g[i]; });
}

// Full-rank nets: the two halves of step s as separate launches around the product W^T d; g lives in gr.g.
// (With kMembers: member blockIdx.y's trial; a member whose trials are shorter than s + 1 steps sits the step out.)
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void backward_drive_kernel(Net<S> net, Pass<S> ps, LossArgs<S> la,
                                                                     Grads<S> gr, int s, const MemberStep<S>* members) {
  const int b = blockIdx.x;
  if (kMembers) {
    const MemberStep<S>& ms = members[blockIdx.y];
    if (b >= ms.ps.B || s >= ms.ps.T) return;
    backward_drive(ms.net, ms.ps, ms.la, ms.gr, b, s, static_cast<S*>(nullptr), ms.gr.g + int64_t(b) * ms.net.N);
    return;
  }
  backward_drive(net, ps, la, gr, b, s, static_cast<S*>(nullptr), gr.g + int64_t(b) * net.N);
}

template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void backward_state_kernel(Net<S> net, Pass<S> ps, Grads<S> gr, int s,
                                                                     const MemberStep<S>* members) {
  const int b = blockIdx.x;
  if (kMembers) {
    const MemberStep<S>& ms = members[blockIdx.y];
    if (b >= ms.ps.B || s >= ms.ps.T) return;
    backward_state(ms.net, ms.ps, ms.gr, b, s, ms.gr.g + int64_t(b) * ms.net.N);
    return;
  }
  backward_state(net, ps, gr, b, s, gr.g + int64_t(b) * net.N);
}

// ---- gathering the per-trial accumulators into the parameter gradient -------------------------------------------

// One thread per neuron i: sums every per-trial accumulator over trials in trial order and writes the gradient
// entries of neuron i; inputRowSums / readoutRowSums keep the trial sums that the si and so gradients reduce over i.
template <class S, bool kMembers = false>
LR_KERNEL void gather_kernel(Net<S> net, Grads<S> gr, Segments seg, S* grad, int B, bool withH0, S* inputRowSums,
                             S* readoutRowSums, const MemberStep<S>* members) {
  if (kMembers) {
    const MemberStep<S>& ms = members[blockIdx.y];
    net = ms.net;
    gr = ms.gr;
    seg = ms.tm.seg;
    grad = ms.grad;
    B = ms.ps.B;
    withH0 = ms.withH0;
    inputRowSums = ms.rowSums;
    readoutRowSums = ms.rowSums + int64_t(net.K) * net.N;
  }
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int N = net.N, R = net.R, K = net.K, O = net.O;
  if (i >= N) return;
  S self = 0, bias = 0, h0 = 0;
  for (int b = 0; b < B; ++b) {
    bias += gr.gb[int64_t(b) * N + i];
    h0 += gr.g[int64_t(b) * N + i];
    if (net.noAutapse && R > 0) self += gr.gSelf[int64_t(b) * N + i];
  }
  grad[seg.offset[kB] + i] = bias;
  grad[seg.offset[kH0] + i] = withH0 ? h0 : S(0);
  for (int r = 0; r < R; ++r) {
    S gm = 0, gn = 0;
    for (int b = 0; b < B; ++b) {
      gm += gr.gm[(int64_t(b) * N + i) * R + r];
      gn += gr.gn[(int64_t(b) * N + i) * R + r];
    }
    gm -= self * net.n[int64_t(i) * R + r] / S(N);
    gn = gn / S(N) - self * net.m[int64_t(i) * R + r] / S(N);
    grad[seg.offset[kM] + int64_t(i) * R + r] = gm;
    grad[seg.offset[kN] + int64_t(i) * R + r] = gn;
  }
  for (int k = 0; k < K; ++k) {
    S sum = 0;
    if (gr.inputs)
      for (int b = 0; b < B; ++b) sum += gr.gInputs[(int64_t(b) * K + k) * N + i];
    inputRowSums[int64_t(k) * N + i] = sum;
    grad[seg.offset[kWi] + int64_t(k) * N + i] = sum * net.si[k];
  }
  for (int o = 0; o < O; ++o) {
    S sum = 0;
    if (gr.readoutLoss)
      for (int b = 0; b < B; ++b) sum += gr.gReadout[(int64_t(b) * O + o) * N + i];
    readoutRowSums[int64_t(o) * N + i] = sum;
    grad[seg.offset[kWo] + int64_t(i) * O + o] = sum * net.so[o] * net.readoutScale;
  }
}

// Block k < K: the si_k gradient, sum_i rowSums[k, i] wi[k, i]; block K + o: the so_o gradient.
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(kTrialBlockThreads) void scale_gradient_kernel(Net<S> net, Segments seg, S* grad, const S* inputRowSums,
                                     const S* readoutRowSums, const MemberStep<S>* members) {
  LR_DYNAMIC_SHARED(S, red);
  if (kMembers) {
    const MemberStep<S>& ms = members[blockIdx.y];
    net = ms.net;
    seg = ms.tm.seg;
    grad = ms.grad;
    inputRowSums = ms.rowSums;
    readoutRowSums = ms.rowSums + int64_t(net.K) * net.N;
  }
  const int j = blockIdx.x, tid = threadIdx.x, N = net.N, K = net.K, O = net.O;
  S part = 0;
  for (int i = tid; i < N; i += blockDim.x)
    part += j < K ? inputRowSums[int64_t(j) * N + i] * net.wi[int64_t(j) * N + i]
                  : readoutRowSums[int64_t(j - K) * N + i] * net.wo[int64_t(i) * O + (j - K)];
  red[tid] = part;
  block_sum(red, 1);
  if (tid == 0) {
    if (j < K) grad[seg.offset[kSi] + j] = red[0];
    else grad[seg.offset[kSo] + (j - K)] = red[0] * net.readoutScale;
  }
}

// ---- optimizer ------------------------------------------------------------------------------------------------

LR_DEVICE int segment_of(const Segments& seg, int64_t e) {
  for (int id = 0; id < kParamCount; ++id)
    if (seg.count[id] && e >= seg.offset[id] && e < seg.offset[id] + seg.count[id]) return id;
  return -1;
}

// Zeroes the gradient of frozen parameters and of pinned full-rank connections (mask, diagonal without autapses).
template <class S, bool kMembers = false>
LR_KERNEL void mask_gradient_kernel(S* grad, int64_t total, TrainMask tm, const uint8_t* connectivity, bool noAutapse,
                                    int N, const MemberStep<S>* members) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  if (kMembers) {  // the member's mask and pins read where they lie
    const MemberStep<S>& ms = members[blockIdx.y];
    const int id = segment_of(ms.tm.seg, e);
    if (!ms.tm.trainable[id]) {
      ms.grad[e] = S(0);
    } else if (id == kWrec) {
      const int64_t w = e - ms.tm.seg.offset[kWrec];
      if ((ms.connectivity && !ms.connectivity[w]) || (ms.net.noAutapse && w / ms.net.N == w % ms.net.N))
        ms.grad[e] = S(0);
    }
    return;
  }
  const int id = segment_of(tm.seg, e);
  if (!tm.trainable[id]) {
    grad[e] = S(0);
    return;
  }
  if (id == kWrec) {
    const int64_t w = e - tm.seg.offset[kWrec];
    if ((connectivity && !connectivity[w]) || (noAutapse && w / N == w % N)) grad[e] = S(0);
  }
}

// Sum of squares of x in double, in a fixed order: one block.
template <class S, bool kMembers = false>
LR_KERNEL_BOUNDED(simt::kMaxBlockThreads) void sum_squares_kernel(const S* x, int64_t count, double* out,
                                                                  const MemberStep<S>* members) {
  LR_DYNAMIC_SHARED(double, red);
  if (kMembers) {
    x = members[blockIdx.y].grad;
    out = members[blockIdx.y].norm;
  }
  const int tid = threadIdx.x;
  double part = 0;
  for (int64_t e = tid; e < count; e += blockDim.x) part += double(x[e]) * double(x[e]);
  red[tid] = part;
  block_sum(red, 1);
  if (tid == 0) out[0] = red[0];
}

// Zeroes every member's per-trial accumulators: grid (blocks of entries, members).
template <class S>
LR_KERNEL void zero_members_kernel(const MemberStep<S>* members) {
  const MemberStep<S>& ms = members[blockIdx.y];
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e < ms.accumulatorCount) ms.accumulators[e] = S(0);
}

// The update of backend.hpp's adam_scalars, of entry e.
template <class S>
LR_DEVICE void adam_update(S* params, const S* grad, double* m, double* v, int64_t e, const TrainMask& tm,
                           const AdamOptions& a, const AdamScalars& sc) {
  const int id = segment_of(tm.seg, e);
  if (!tm.trainable[id]) return;
  const double g = double(grad[e]) * sc.clipScale + a.weightDecay[id] * double(params[e]);
  m[e] = a.beta1 * m[e] + (1.0 - a.beta1) * g;
  v[e] = a.beta2 * v[e] + (1.0 - a.beta2) * g * g;
  const double denom = sqrt(v[e]) / sc.sqrtBc2 + a.eps;
  params[e] = S(double(params[e]) - sc.stepSize * m[e] / denom);
}

template <class S, bool kMembers = false>
LR_KERNEL void adam_kernel(S* params, const S* grad, double* m, double* v, int64_t total, TrainMask tm, AdamOptions a,
                           AdamScalars sc, const MemberStep<S>* members) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  if (kMembers) {  // the member's settings read where they lie, not copied
    const MemberStep<S>& ms = members[blockIdx.y];
    adam_update(ms.params, ms.grad, ms.m, ms.v, e, ms.tm, ms.adam, ms.sc);
  } else {
    adam_update(params, grad, m, v, e, tm, a, sc);
  }
}

// Full-rank structure: masked entries and (no autapses) the diagonal at zero, wrong Dale signs projected to zero.
template <class S, bool kMembers = false>
LR_KERNEL void constrain_kernel(S* wrec, int N, const uint8_t* connectivity, bool noAutapse, const int8_t* dale,
                                const MemberStep<S>* members) {
  if (kMembers) {  // a member without structure keeps its weights as they are
    const MemberStep<S>& ms = members[blockIdx.y];
    wrec = ms.wrec;
    N = ms.net.N;
    connectivity = ms.connectivity;
    noAutapse = ms.net.noAutapse;
    dale = ms.dale;
  }
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= int64_t(N) * N) return;
  const int64_t i = e / N, j = e % N;
  S w = wrec[e];
  if (connectivity && !connectivity[e]) w = S(0);
  if (noAutapse && i == j) w = S(0);
  if (dale && (dale[j] > 0 ? w < S(0) : w > S(0))) w = S(0);
  wrec[e] = w;
}

// ---- host side ----------------------------------------------------------------------------------------------------

// Launch shape of a low-rank walk whose block reduces `values` sums a step: threads, whether the walk's state [N]
// fits in shared memory behind the reduction slots, and the dynamic shared memory that takes.
struct WalkShape {
  int threads = 0;
  bool onChip = false;
  size_t sharedBytes = 0;
};
template <class S>
WalkShape walk_shape(const ModelSpec& spec, int values) {
  WalkShape w;
  w.threads = trial_block_threads(spec.size, std::max(values, 1));
  const size_t shared = size_t(values) * w.threads * sizeof(S), stateBytes = size_t(spec.size) * sizeof(S);
  w.onChip = shared + stateBytes <= simt::kMaxSharedBytes;
  w.sharedBytes = shared + (w.onChip ? stateBytes : 0);
  return w;
}

inline std::runtime_error not_finite_loss(double loss, int64_t step) {
  return std::runtime_error("loss is not finite (" + std::to_string(loss) + ") at optimizer step " +
                            std::to_string(step) + "; the parameters are those before this step");
}

template <class S>
class GpuBackend final : public Backend<S> {
 public:
  explicit GpuBackend(const ModelSpec& spec) : spec_(spec), layout_(spec) {
    validate_spec(spec_);
    std::vector<S> zeros(layout_.total, S(0));
    params_.upload(zeros.data(), layout_.total);
    if (!spec_.connectivityMask.empty())
      connectivity_.upload(spec_.connectivityMask.data(), int64_t(spec_.connectivityMask.size()));
    if (!spec_.daleSigns.empty()) dale_.upload(spec_.daleSigns.data(), int64_t(spec_.daleSigns.size()));
  }

  const ModelSpec& spec() const override { return spec_; }
  const ParamLayout& layout() const override { return layout_; }
  std::string name() const override {
#if defined(LOWRANK_SIMT_EMULATION)
    return "cuda-emulated";
#else
    return "cuda";
#endif
  }

  void getParams(S* out) const override {
    simt::to_host(out, params_.data<S>(), size_t(layout_.total) * sizeof(S));
  }
  void setParams(const S* in) override {
    params_.upload(in, layout_.total);
    apply_constraints();
  }

  void simulate(const S* inputs, const S* initialStates, int batch, int steps, const NoiseOptions& noise,
                const SimulateOutput<S>& out) override {
    const int N = spec_.size, T = steps, B = batch;
    Pass<S> ps = prepare_pass(B, T, noise, false);
    ps.inputs = inputs_.upload(inputs, int64_t(B) * T * spec_.inputs);
    ps.initial = initialStates ? initial_.upload(initialStates, int64_t(B) * N) : nullptr;
    forward(ps);
    const size_t stateBytes = size_t(B) * (T + 1) * N * sizeof(S);
    if (out.states) simt::to_host(out.states, ps.states, stateBytes);
    if (out.rates) simt::to_host(out.rates, spec_.formulation == Formulation::Rate ? ps.states : ps.activity, stateBytes);
    if (out.outputs && spec_.outputs > 0)
      simt::to_host(out.outputs, ps.outputs, size_t(B) * T * spec_.outputs * sizeof(S));
  }

  double lossAndGradient(const LossBatch<S>& lb, const NoiseOptions& noise, S* grad) override {
    const int N = spec_.size, T = lb.steps, B = lb.batch, K = spec_.inputs, F = lb.features;
    // The selected trials, gathered into rows 0..B-1.
    std::vector<S> in(size_t(B) * T * K), tg(size_t(B) * T * F), mk(size_t(B) * T * F), x0;
    if (lb.initialStates) x0.resize(size_t(B) * N);
    for (int b = 0; b < B; ++b) {
      const int64_t r = lb.trial(b);
      std::copy_n(lb.inputs + r * T * K, size_t(T) * K, in.begin() + size_t(b) * T * K);
      std::copy_n(lb.targets + r * T * F, size_t(T) * F, tg.begin() + size_t(b) * T * F);
      std::copy_n(lb.mask + r * T * F, size_t(T) * F, mk.begin() + size_t(b) * T * F);
      if (lb.initialStates) std::copy_n(lb.initialStates + r * N, N, x0.begin() + size_t(b) * N);
    }
    const bool wantGrad = grad != nullptr;
    Pass<S> ps = prepare_pass(B, T, noise, wantGrad);
    ps.inputs = inputs_.upload(in.data(), int64_t(in.size()));
    ps.initial = lb.initialStates ? initial_.upload(x0.data(), int64_t(x0.size())) : nullptr;
    LossArgs<S> la = prepare_loss(B, T, F, lb.lossOn);
    la.targets = targets_.upload(tg.data(), int64_t(tg.size()));
    la.mask = mask_.upload(mk.data(), int64_t(mk.size()));
    const double loss = run_loss(ps, la, wantGrad, lb.initialStates == nullptr, true, true);
    if (wantGrad) simt::to_host(grad, grad_.data<S>(), size_t(layout_.total) * sizeof(S));
    return loss;
  }

  int trainSteps(const TrainData<S>& d, const AdamOptions& adam, uint64_t seed, bool drawNoise,
                 const std::function<void(const TrainStepReport&)>& onStep,
                 const std::atomic<bool>* abort) override {
    const int B = d.batch, T = d.steps, F = d.features;
    begin_training(d);
    const S* inputs = inputs_.data<S>();
    const S* targets = targets_.data<S>();
    const S* mask = mask_.data<S>();
    const int32_t* indices = indices_.data<int32_t>();
    const bool needInputs = spec_.trainable[kWi] || spec_.trainable[kSi];
    const bool needReadout = spec_.trainable[kWo] || spec_.trainable[kSo];
    int done = 0;
    for (int s = 0; s < d.optimizerSteps; ++s) {
      if (abort && abort->load()) break;
      Pass<S> ps = prepare_pass(B, T, NoiseOptions{drawNoise, seed, static_cast<uint32_t>(opt_.step + 1)}, true);
      ps.inputs = inputs;
      ps.trials = indices + int64_t(s) * B;
      LossArgs<S> la = prepare_loss(B, T, F, d.lossOn);
      la.targets = targets;
      la.mask = mask;
      const double loss = run_loss(ps, la, true, true, needInputs, needReadout);
      if (!std::isfinite(loss)) throw not_finite_loss(loss, opt_.step + 1);
      TrainStepReport rep;
      rep.step = s;
      rep.loss = loss;
      rep.gradNorm = adam_step(adam);
      ++done;
      if (onStep) onStep(rep);
    }
    return done;
  }

  // ---- the pieces of an ensemble step (train_ensemble) ----

  // Checks a training call's indices, readies the optimizer and uploads the call's trials.
  void begin_training(const TrainData<S>& d) {
    const int B = d.batch, T = d.steps, K = spec_.inputs, F = d.features;
    for (int64_t e = 0; e < int64_t(d.optimizerSteps) * B; ++e)
      if (d.indices[e] < 0 || d.indices[e] >= d.examples) throw std::range_error("minibatch index out of range");
    ensure_optimizer();
    inputs_.upload(d.inputs, int64_t(d.examples) * T * K);
    targets_.upload(d.targets, int64_t(d.examples) * T * F);
    mask_.upload(d.mask, int64_t(d.examples) * T * F);
    indices_.upload(d.indices, int64_t(d.optimizerSteps) * B);
  }

  // Optimizer step s of a call started by begin_training, as trainSteps runs it: the member's kernel arguments, its
  // buffers sized and its accumulators zeroed; the trials' losses go to trialLoss [B], the sum of squares to norm.
  MemberStep<S> member_step(const TrainData<S>& d, int s, const AdamOptions& adam, uint64_t seed, bool drawNoise,
                            double* trialLoss, double* norm) {
    const int B = d.batch, T = d.steps, N = spec_.size;
    MemberStep<S> ms;
    ms.net = net();
    ms.ps = prepare_pass(B, T, NoiseOptions{drawNoise, seed, static_cast<uint32_t>(opt_.step + 1)}, true, true);
    ms.ps.inputs = inputs_.data<S>();
    ms.ps.trials = indices_.data<int32_t>() + int64_t(s) * B;
    ms.la = prepare_loss(B, T, d.features, d.lossOn);
    ms.la.targets = targets_.data<S>();
    ms.la.mask = mask_.data<S>();
    ms.la.trialLoss = trialLoss;
    const bool needInputs = spec_.trainable[kWi] || spec_.trainable[kSi];
    const bool needReadout = spec_.trainable[kWo] || spec_.trainable[kSo];
    ms.gr = prepare_grads(B, T, needInputs, needReadout && d.lossOn == LossOn::Outputs, &ms.accumulators,
                          &ms.accumulatorCount);
    const WalkShape w = walk_shape<S>(spec_, ms.net.R + ms.net.O);
    ms.spill = w.onChip ? nullptr : walkState_.get<S>(int64_t(B) * N);
    ms.grad = grad_.get<S>(layout_.total);
    ms.rowSums = rowSums_.get<S>(int64_t(spec_.inputs + spec_.outputs) * N);
    ms.norm = norm;
    if (!spec_.lowRank()) {
      ms.ps.recurrent = ms.recurrent = recurrent_.get<S>(int64_t(B) * N);
      ms.wrec = params_.data<S>() + layout_.seg[kWrec].offset;
      ms.connectivity = spec_.connectivityMask.empty() ? nullptr : connectivity_.data<uint8_t>();
      ms.dale = spec_.daleSigns.empty() ? nullptr : dale_.data<int8_t>();
    }
    ms.withH0 = true;
    ms.tm = train_mask();
    ms.adam = adam;
    ms.params = params_.data<S>();
    ms.m = moment1_.data<double>();
    ms.v = moment2_.data<double>();
    return ms;
  }

  // The step's Adam scalars from the gradient norm; counts the step.
  AdamScalars count_step(const AdamOptions& a, double norm) {
    opt_.step += 1;
    return adam_scalars(a, opt_.step, norm);
  }
  int64_t optimizer_step() const { return opt_.step; }

  // Bytes of device memory a training call needs beyond the parameters (which the model holds anyway): its trials,
  // the buffers of a forward and backward pass over one minibatch, the gradient, and the Adam moments when the model
  // has none yet.
  size_t training_bytes(const TrainData<S>& d) const {
    const double N = spec_.size, R = spec_.lowRank() ? spec_.rank : 0, K = spec_.inputs, O = spec_.outputs;
    const double B = d.batch, T = d.steps, F = d.features, P = double(layout_.total);
    double scalars = double(d.examples) * T * (K + 2 * F);                  // inputs, targets, mask
    scalars += 2 * B * (T + 1) * N + B * (T + 1) * R + B * T * std::max(O, 1.0);  // states, activity, kappa, outputs
    scalars += B * T * F;                                                    // dL/dprediction
    scalars += B * (N * ((spec_.lowRank() ? 3 : 4) + 2 * R + K + O) + R);   // per-trial accumulators
    if (!spec_.lowRank()) scalars += B * T * N + B * N;                      // drive gradients, W r of a step
    else if (!walk_shape<S>(spec_, int(R + O)).onChip) scalars += B * N;     // the walk's state off chip
    scalars += (K + O) * N + P;                                              // row sums, gradient
    double bytes = scalars * sizeof(S) + double(d.optimizerSteps) * B * sizeof(int32_t) + (B + 1) * sizeof(double);
    if (!hasMoments_) bytes += 2 * P * sizeof(double);
    return size_t(bytes);
  }
  // Bytes of the moments training_bytes counts for a model that has none yet (kept once allocated).
  size_t new_moment_bytes() const { return hasMoments_ ? 0 : size_t(2 * layout_.total) * sizeof(double); }

  // Device memory held for training calls that release_scratch gives back: everything but the parameters, the
  // structure masks and the Adam moments.
  std::vector<DeviceBuffer*> scratch_buffers() {
    return {&grad_, &inputs_, &initial_, &targets_, &mask_, &indices_, &states_, &activity_, &kappa_, &outputs_,
            &recurrent_, &trialLoss_, &predGrad_, &accumulators_, &drive_, &rowSums_, &norm_, &walkState_};
  }
  size_t scratch_bytes() {
    size_t total = 0;
    for (DeviceBuffer* b : scratch_buffers()) total += b->bytes();
    return total;
  }
  void release_scratch() {
    for (DeviceBuffer* b : scratch_buffers()) b->reset();
  }

  size_t deviceMemoryBytes() const override {
    size_t total = 0;
    for (const DeviceBuffer* b : {&params_, &grad_, &moment1_, &moment2_, &connectivity_, &dale_, &inputs_, &initial_,
                                  &targets_, &mask_, &indices_, &states_, &activity_, &kappa_, &outputs_, &recurrent_,
                                  &trialLoss_, &predGrad_, &accumulators_, &drive_, &rowSums_, &norm_, &walkState_})
      total += b->bytes();
    return total;
  }

  OptimizerState optimizerState() const override {
    OptimizerState st;
    st.step = opt_.step;
    if (opt_.step > 0 || hasMoments_) {
      st.m.resize(layout_.total);
      st.v.resize(layout_.total);
      simt::to_host(st.m.data(), moment1_.data<double>(), size_t(layout_.total) * sizeof(double));
      simt::to_host(st.v.data(), moment2_.data<double>(), size_t(layout_.total) * sizeof(double));
    }
    return st;
  }
  void setOptimizerState(const OptimizerState& st) override {
    if (st.step > 0 && (st.m.size() != size_t(layout_.total) || st.v.size() != size_t(layout_.total)))
      throw std::range_error("optimizer state has " + std::to_string(st.m.size()) + " moments; the model has " +
                             std::to_string(layout_.total) + " parameters");
    opt_.step = st.step;
    if (st.m.size() == size_t(layout_.total) && st.v.size() == size_t(layout_.total)) {
      moment1_.upload(st.m.data(), layout_.total);
      moment2_.upload(st.v.data(), layout_.total);
      hasMoments_ = true;
    } else {
      hasMoments_ = false;
    }
  }

 private:
  Net<S> net() const { return make_net(spec_, layout_, params_.data<S>()); }

  Segments segments() const {
    Segments sg{};
    for (int id = 0; id < kParamCount; ++id) {
      sg.offset[id] = layout_.seg[id].offset;
      sg.count[id] = layout_.seg[id].count;
    }
    return sg;
  }

  // Device memory a pass over B trials of T steps needs, checked against what the device has free.
  void check_fits(int B, int T, bool grad) {
    const double N = spec_.size, R = spec_.lowRank() ? spec_.rank : 0, K = spec_.inputs, O = spec_.outputs;
    double scalars = 2.0 * B * (T + 1) * N + B * (T + 1) * R + double(B) * T * O;
    if (grad) scalars += (spec_.lowRank() ? 0.0 : double(B) * T * N) + B * N * (4 + 2 * R + K + O);
    const double needed = scalars * sizeof(S);
    const double held = double(states_.bytes() + activity_.bytes() + kappa_.bytes() + outputs_.bytes() +
                               accumulators_.bytes() + drive_.bytes());
    const double available = double(simt::free_memory()) + held;
    if (needed > available)
      throw std::range_error("a batch of " + std::to_string(B) + " trials of " + std::to_string(T) +
                             " steps needs " + std::to_string(needed / 1073741824.0) + " GiB of GPU memory; " +
                             std::to_string(available / 1073741824.0) + " GiB are available. Use smaller batches.");
  }

  // Device buffers for a pass over B trials of T steps (and its backward pass with `grad`), checked to fit first
  // (unless an ensemble's plan has done so).
  Pass<S> prepare_pass(int B, int T, const NoiseOptions& noise, bool grad, bool planned = false) {
    if (!planned) check_fits(B, T, grad);
    const int64_t N = spec_.size, R = spec_.lowRank() ? spec_.rank : 0;
    Pass<S> ps;
    ps.B = B;
    ps.T = T;
    ps.states = states_.get<S>(int64_t(B) * (T + 1) * N);
    ps.activity = activity_.get<S>(int64_t(B) * (T + 1) * N);
    ps.kappa = R > 0 ? kappa_.get<S>(int64_t(B) * (T + 1) * R) : nullptr;
    ps.outputs = outputs_.get<S>(int64_t(B) * T * std::max(spec_.outputs, 1));
    ps.noise = noise.enabled;
    ps.seed = noise.seed;
    ps.stream = noise.stream;
    return ps;
  }

  LossArgs<S> prepare_loss(int B, int T, int F, LossOn on) {
    LossArgs<S> la;
    la.F = F;
    la.on = on;
    la.trialLoss = trialLoss_.get<double>(B);
    la.predGrad = predGrad_.get<S>(int64_t(B) * T * F);
    return la;
  }

  void forward(Pass<S>& ps) {
    Net<S> nt = net();
    const WalkShape w = walk_shape<S>(spec_, nt.R + nt.O);
    const int threads = w.threads;
    S* spill = w.onChip ? nullptr : walkState_.get<S>(int64_t(ps.B) * nt.N);
    const bool onChip = w.onChip;
    auto walk = [&](const Pass<S>& pass, int tBegin, int tEnd, bool prologue) {
      LR_LAUNCH(forward_kernel<S>, pass.B, threads, w.sharedBytes)(nt, pass, tBegin, tEnd,
                                                                                      prologue, onChip, spill, nullptr);
      simt::check_launch("forward_kernel");
    };
    if (spec_.lowRank()) {
      walk(ps, 0, ps.T, true);
      return;
    }
    const int64_t N = nt.N;
    S* rec = recurrent_.get<S>(int64_t(ps.B) * N);
    walk(ps, 0, 0, true);
    const bool rate = spec_.formulation == Formulation::Rate;
    for (int t = 0; t < ps.T; ++t) {
      // rec[b, i] = sum_j presyn[b, t, j] W[i, j]
      Operand<S> A;
      A.p = (rate ? ps.states : ps.activity) + int64_t(t) * N;
      A.stride = int64_t(ps.T + 1) * N;
      Operand<S> W;
      W.p = nt.wrec;
      W.stride = N;
      matmul(ps.B, int(N), N, A, W, rec, N);
      Pass<S> step = ps;
      step.recurrent = rec;
      walk(step, t, t + 1, false);
    }
  }

  // Forward pass, loss and (with wantGrad) the gradient into grad_. Returns the loss summed over trials in order.
  double run_loss(Pass<S>& ps, LossArgs<S>& la, bool wantGrad, bool withH0, bool needInputs, bool needReadout) {
    forward(ps);
    const int B = ps.B, N = spec_.size;
    const int lossThreads = trial_block_threads(N, 1);
    LR_LAUNCH(loss_kernel<S>, B, lossThreads, lossThreads * sizeof(double))(ps, la, N, spec_.formulation == Formulation::Rate, nullptr);
    simt::check_launch("loss_kernel");
    std::vector<double> losses(B);
    simt::to_host(losses.data(), la.trialLoss, size_t(B) * sizeof(double));
    double loss = 0.0;
    for (double l : losses) loss += l;
    if (wantGrad) backward(ps, la, withH0, needInputs, needReadout && la.on == LossOn::Outputs);
    return loss;
  }

  // The backward pass's per-trial accumulators for B trials of T steps, zeroed.
  // (With `zeroed`, the block and its size instead of zeroing it here: an ensemble zeroes all members' in one launch.)
  Grads<S> prepare_grads(int B, int T, bool needInputs, bool readoutLoss, S** zeroed = nullptr,
                         int64_t* zeroedCount = nullptr) {
    const int N = spec_.size, R = spec_.lowRank() ? spec_.rank : 0, K = spec_.inputs, O = spec_.outputs;
    // Per-trial accumulators in one zeroed block: g, gb, gSelf, back (full-rank), coef, gm, gn, gInputs, gReadout.
    const int64_t perTrial = int64_t(N) * ((spec_.lowRank() ? 3 : 4) + 2 * R + K + O) + R;
    S* acc = accumulators_.get<S>(int64_t(B) * perTrial);
    if (zeroed) {
      *zeroed = acc;
      *zeroedCount = int64_t(B) * perTrial;
    } else {
      simt::zero(acc, size_t(B) * perTrial * sizeof(S));
    }
    Grads<S> gr;
    S* next = acc;
    auto take = [&](int64_t perTrialCount) {
      S* p = next;
      next += int64_t(B) * perTrialCount;
      return p;
    };
    gr.g = take(N);
    gr.gb = take(N);
    gr.gSelf = take(N);
    gr.back = spec_.lowRank() ? nullptr : take(N);
    gr.coef = take(R);
    gr.gm = take(int64_t(N) * R);
    gr.gn = take(int64_t(N) * R);
    gr.gInputs = take(int64_t(K) * N);
    gr.gReadout = take(int64_t(O) * N);
    gr.inputs = needInputs;
    gr.readoutLoss = readoutLoss;
    gr.drive = spec_.lowRank() ? nullptr : drive_.get<S>(int64_t(B) * T * N);
    return gr;
  }

  void backward(Pass<S>& ps, LossArgs<S>& la, bool withH0, bool needInputs, bool readoutLoss) {
    Net<S> nt = net();
    const int B = ps.B, T = ps.T, N = nt.N, R = nt.R, K = nt.K, O = nt.O;
    Grads<S> gr = prepare_grads(B, T, needInputs, readoutLoss);
    const int threads = trial_block_threads(N, std::max(R, 1));
    if (spec_.lowRank()) {
      const WalkShape w = walk_shape<S>(spec_, R);
      LR_LAUNCH(backward_lowrank_kernel<S>, B, w.threads, w.sharedBytes)(nt, ps, la, gr, w.onChip, nullptr);
      simt::check_launch("backward_lowrank_kernel");
    } else {
      Operand<S> W;
      W.p = nt.wrec;
      W.stride = 1;
      W.kOuterStride = 0;
      W.kInnerStride = N;
      for (int s = T - 1; s >= 0; --s) {
        LR_LAUNCH(backward_drive_kernel<S>, B, threads, 0)(nt, ps, la, gr, s, nullptr);
        simt::check_launch("backward_drive_kernel");
        // back[b, j] = sum_i d[b, s, i] W[i, j]
        Operand<S> D;
        D.p = gr.drive + int64_t(s) * N;
        D.stride = int64_t(T) * N;
        matmul(B, N, N, D, W, gr.back, N);
        LR_LAUNCH(backward_state_kernel<S>, B, threads, 0)(nt, ps, gr, s, nullptr);
        simt::check_launch("backward_state_kernel");
      }
    }

    const Segments sg = segments();
    S* grad = grad_.get<S>(layout_.total);
    S* rowSums = rowSums_.get<S>(int64_t(K + O) * N);
    LR_LAUNCH(gather_kernel<S>, blocks_for(N, 128), 128, 0)(nt, gr, sg, grad, B, withH0, rowSums,
                                                             rowSums + int64_t(K) * N, nullptr);
    simt::check_launch("gather_kernel");
    if (K + O > 0) {
      const int t2 = trial_block_threads(N, 1);
      LR_LAUNCH(scale_gradient_kernel<S>, K + O, t2, t2 * sizeof(S))(nt, sg, grad, rowSums, rowSums + int64_t(K) * N, nullptr);
      simt::check_launch("scale_gradient_kernel");
    }
    if (!spec_.lowRank()) {
      // dL/dW[i, j] = sum over (trial, step) of d[b, s, i] presyn[b, s, j]
      Operand<S> D;
      D.p = gr.drive;
      D.stride = 1;
      D.kInner = T;
      D.kOuterStride = int64_t(T) * N;
      D.kInnerStride = N;
      Operand<S> P;
      P.p = spec_.formulation == Formulation::Rate ? ps.states : ps.activity;
      P.stride = 1;
      P.kInner = T;
      P.kOuterStride = int64_t(T + 1) * N;
      P.kInnerStride = N;
      matmul(N, N, int64_t(B) * T, D, P, grad + layout_.seg[kWrec].offset, N);
    }
  }

  TrainMask train_mask() const {
    TrainMask tm{};
    tm.seg = segments();
    for (int id = 0; id < kParamCount; ++id) tm.trainable[id] = spec_.trainable[id];
    return tm;
  }

  void ensure_optimizer() {
    if (!hasMoments_) {
      simt::zero(moment1_.get<double>(layout_.total), size_t(layout_.total) * sizeof(double));
      simt::zero(moment2_.get<double>(layout_.total), size_t(layout_.total) * sizeof(double));
      hasMoments_ = true;
    }
  }

  double adam_step(const AdamOptions& a) {
    const int64_t P = layout_.total;
    S* grad = grad_.get<S>(P);
    const uint8_t* conn = spec_.connectivityMask.empty() ? nullptr : connectivity_.data<uint8_t>();
    const TrainMask tm = train_mask();
    LR_LAUNCH(mask_gradient_kernel<S>, blocks_for(P, 256), 256, 0)(grad, P, tm, conn, spec_.noAutapse, spec_.size, nullptr);
    simt::check_launch("mask_gradient_kernel");
    double* sq = norm_.get<double>(1);
    LR_LAUNCH(sum_squares_kernel<S>, 1, simt::kMaxBlockThreads, simt::kMaxBlockThreads * sizeof(double))(grad, P, sq, nullptr);
    simt::check_launch("sum_squares_kernel");
    double sumSquares = 0;
    simt::to_host(&sumSquares, sq, sizeof(double));
    const double norm = std::sqrt(sumSquares);
    opt_.step += 1;
    LR_LAUNCH(adam_kernel<S>, blocks_for(P, 256), 256, 0)(params_.data<S>(), grad, moment1_.data<double>(),
                                                            moment2_.data<double>(), P, tm, a,
                                                            adam_scalars(a, opt_.step, norm), nullptr);
    simt::check_launch("adam_kernel");
    apply_constraints();
    return norm;
  }

  void apply_constraints() {
    if (spec_.lowRank()) return;
    if (spec_.connectivityMask.empty() && !spec_.noAutapse && spec_.daleSigns.empty()) return;
    const int N = spec_.size;
    LR_LAUNCH(constrain_kernel<S>, blocks_for(int64_t(N) * N, 256), 256, 0)(
        params_.data<S>() + layout_.seg[kWrec].offset, N,
        spec_.connectivityMask.empty() ? nullptr : connectivity_.data<uint8_t>(), spec_.noAutapse,
        spec_.daleSigns.empty() ? nullptr : dale_.data<int8_t>(), nullptr);
    simt::check_launch("constrain_kernel");
  }

  ModelSpec spec_;
  ParamLayout layout_;
  DeviceBuffer params_, grad_, moment1_, moment2_, connectivity_, dale_;
  DeviceBuffer inputs_, initial_, targets_, mask_, indices_;
  DeviceBuffer states_, activity_, kappa_, outputs_, recurrent_, trialLoss_, predGrad_;
  DeviceBuffer accumulators_, drive_, rowSums_, norm_, walkState_;
  OptimizerState opt_;  // step count only; the moments live on the device
  bool hasMoments_ = false;
};

// ---- ensembles ---------------------------------------------------------------------------------------------------

// The free device memory an ensemble's plan counts on: what the device reports, or LOWRANK_GPU_FREE_MEMORY (bytes)
// when set, which lets the tests force a small budget (and so chunking) on the emulator.
size_t ensemble_free_memory() {
  const char* forced = std::getenv("LOWRANK_GPU_FREE_MEMORY");
  if (forced && *forced) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(forced, &end, 10);
    if (end && *end == '\0') return size_t(v);
  }
  return simt::free_memory();
}

// The members of one chunk of an ensemble, every optimizer step in one launch per kernel: grid (trials, members) for
// the walks and the loss, (neuron blocks, members) for the gather, (blocks of parameters, members) for masking and
// Adam, (1, members) for the clipping norm; full-rank nets walk step by step as trainSteps does, each step's products
// over the batch one batched product over the members. Each member's blocks compute exactly what its own launches
// compute, so the results are those of trainSteps alone. A member whose loss stops being finite stops alone.
template <class S>
void run_chunk(std::vector<GpuEnsembleMember<S>>& ms, const std::vector<int>& chunk,
                       const std::vector<GpuBackend<S>*>& be, const std::atomic<bool>* abort) {
  std::vector<int> live;
  for (int e : chunk) {
    try {
      be[e]->begin_training(ms[e].data);
      live.push_back(e);
    } catch (...) {
      ms[e].error = std::current_exception();
    }
  }
  if (live.empty()) return;
  const ModelSpec& spec = be[live[0]]->spec();
  const bool lowRank = spec.lowRank(), rate = spec.formulation == Formulation::Rate;
  const int N = spec.size, R = lowRank ? spec.rank : 0, K = spec.inputs, O = spec.outputs;
  const int64_t P = be[live[0]]->layout().total;
  const WalkShape fw = walk_shape<S>(spec, R + O), bw = walk_shape<S>(spec, R);
  const int lossThreads = trial_block_threads(N, 1), scaleThreads = trial_block_threads(N, 1);
  bool constrained = false;  // the full-rank structure (masks, no autapses, Dale's law) of any member
  for (int e : live) {
    const ModelSpec& sp = be[e]->spec();
    constrained = constrained || (!lowRank && (!sp.connectivityMask.empty() || sp.noAutapse || !sp.daleSigns.empty()));
  }
  DeviceBuffer steps, losses, norms, jobs;
  int maxSteps = 0;
  for (int e : live) maxSteps = std::max(maxSteps, ms[e].data.optimizerSteps);
  for (int s = 0; s < maxSteps; ++s) {
    if (abort && abort->load()) break;
    std::vector<int> act;
    int maxB = 0;
    for (int e : live)
      if (!ms[e].error && s < ms[e].data.optimizerSteps) {
        act.push_back(e);
        maxB = std::max(maxB, ms[e].data.batch);
      }
    if (act.empty()) break;
    const int A = int(act.size());
    double* dLoss = losses.get<double>(int64_t(A) * maxB);
    double* dNorm = norms.get<double>(A);
    std::vector<MemberStep<S>> host;
    std::vector<int> who;
    for (int a = 0; a < A; ++a) {
      const GpuEnsembleMember<S>& m = ms[act[a]];
      try {
        host.push_back(be[act[a]]->member_step(m.data, s, m.adam, m.seed, m.drawNoise, dLoss + int64_t(a) * maxB, dNorm + a));
        who.push_back(act[a]);
      } catch (...) {
        ms[act[a]].error = std::current_exception();
      }
    }
    if (host.empty()) continue;
    const unsigned members = unsigned(host.size());
    const MemberStep<S>* dev = steps.upload(host.data(), int64_t(members));
    const auto forwardMembers = &forward_kernel<S, true>;
    auto walk = [&](int tBegin, int tEnd, bool prologue) {
      LR_LAUNCH(forwardMembers, dim3(maxB, members), fw.threads, fw.sharedBytes)(
          host[0].net, host[0].ps, tBegin, tEnd, prologue, fw.onChip, static_cast<S*>(nullptr), dev);
      simt::check_launch("forward_kernel (ensemble)");
    };
    if (lowRank) {
      walk(0, -1, true);
    } else {
      walk(0, 0, true);
      int maxT = 0;
      for (const MemberStep<S>& h : host) maxT = std::max(maxT, h.ps.T);
      // every step's products, uploaded at once: each member's recurrent[b, i] = sum_j presyn[b, t, j] W[i, j], as
      // forward() forms it
      std::vector<MatmulJob<S>> js(size_t(maxT) * host.size());
      for (int t = 0; t < maxT; ++t)
        for (size_t j = 0; j < host.size(); ++j) {
          const MemberStep<S>& h = host[j];
          MatmulJob<S>& job = js[size_t(t) * host.size() + j];
          if (t >= h.ps.T) continue;  // M = 0: this member's walk is over
          job.M = h.ps.B;
          job.Ncols = N;
          job.Kdim = N;
          job.ldc = N;
          job.A.p = (rate ? h.ps.states : h.ps.activity) + int64_t(t) * N;
          job.A.stride = int64_t(h.ps.T + 1) * N;
          job.B.p = h.net.wrec;
          job.B.stride = N;
          job.C = h.recurrent;
        }
      const MatmulJob<S>* dj = jobs.upload(js.data(), int64_t(js.size()));
      for (int t = 0; t < maxT; ++t) {
        matmul_batched(dj + size_t(t) * host.size(), int(host.size()), maxB, N);
        walk(t, t + 1, false);
      }
    }
    const auto lossMembers = &loss_kernel<S, true>;
    LR_LAUNCH(lossMembers, dim3(maxB, members), lossThreads, lossThreads * sizeof(double))(
        host[0].ps, host[0].la, N, spec.formulation == Formulation::Rate, dev);
    simt::check_launch("loss_kernel (ensemble)");
    std::vector<double> trialLoss(size_t(A) * maxB);
    simt::to_host(trialLoss.data(), dLoss, trialLoss.size() * sizeof(double));
    // Each member's loss summed over its trials in order (as run_loss sums them); a member whose loss is not
    // finite leaves the step with its parameters untouched.
    std::vector<MemberStep<S>> ok;
    std::vector<int> okWho;
    std::vector<double> okLoss;
    for (size_t j = 0; j < host.size(); ++j) {
      const int e = who[j];
      const int a = int(std::find(act.begin(), act.end(), e) - act.begin());
      double loss = 0.0;
      for (int b = 0; b < ms[e].data.batch; ++b) loss += trialLoss[size_t(a) * maxB + b];
      if (!std::isfinite(loss)) {
        ms[e].error = std::make_exception_ptr(not_finite_loss(loss, be[e]->optimizer_step() + 1));
        continue;
      }
      ok.push_back(host[j]);
      okWho.push_back(e);
      okLoss.push_back(loss);
    }
    if (ok.empty()) continue;
    const unsigned M = unsigned(ok.size());
    if (ok.size() != host.size()) dev = steps.upload(ok.data(), int64_t(M));
    int64_t maxAcc = 0;
    for (const MemberStep<S>& h : ok) maxAcc = std::max(maxAcc, h.accumulatorCount);
    LR_LAUNCH(zero_members_kernel<S>, dim3(blocks_for(maxAcc, 256), M), 256, 0)(dev);
    simt::check_launch("zero_members_kernel");
    if (lowRank) {
      const auto backwardMembers = &backward_lowrank_kernel<S, true>;
      LR_LAUNCH(backwardMembers, dim3(maxB, M), bw.threads, bw.sharedBytes)(ok[0].net, ok[0].ps, ok[0].la, ok[0].gr,
                                                                            bw.onChip, dev);
      simt::check_launch("backward_lowrank_kernel (ensemble)");
    } else {
      const int threads = trial_block_threads(N, 1);
      int maxT = 0;
      for (const MemberStep<S>& h : ok) maxT = std::max(maxT, h.ps.T);
      const auto driveMembers = &backward_drive_kernel<S, true>;
      const auto stateMembers = &backward_state_kernel<S, true>;
      // every step's products, uploaded at once: each member's back[b, j] = sum_i d[b, s, i] W[i, j]
      std::vector<MatmulJob<S>> js(size_t(maxT) * M);
      for (int s2 = 0; s2 < maxT; ++s2)
        for (unsigned j = 0; j < M; ++j) {
          const MemberStep<S>& h = ok[j];
          if (s2 >= h.ps.T) continue;
          MatmulJob<S>& job = js[size_t(s2) * M + j];
          job.M = h.ps.B;
          job.Ncols = N;
          job.Kdim = N;
          job.ldc = N;
          job.A.p = h.gr.drive + int64_t(s2) * N;
          job.A.stride = int64_t(h.ps.T) * N;
          job.B.p = h.net.wrec;
          job.B.stride = 1;
          job.B.kOuterStride = 0;
          job.B.kInnerStride = N;
          job.C = h.gr.back;
        }
      const MatmulJob<S>* dj = jobs.upload(js.data(), int64_t(js.size()));
      for (int s2 = maxT - 1; s2 >= 0; --s2) {
        LR_LAUNCH(driveMembers, dim3(maxB, M), threads, 0)(ok[0].net, ok[0].ps, ok[0].la, ok[0].gr, s2, dev);
        simt::check_launch("backward_drive_kernel (ensemble)");
        matmul_batched(dj + size_t(s2) * M, int(M), maxB, N);
        LR_LAUNCH(stateMembers, dim3(maxB, M), threads, 0)(ok[0].net, ok[0].ps, ok[0].gr, s2, dev);
        simt::check_launch("backward_state_kernel (ensemble)");
      }
    }
    const auto gatherMembers = &gather_kernel<S, true>;
    LR_LAUNCH(gatherMembers, dim3(blocks_for(N, 128), M), 128, 0)(ok[0].net, ok[0].gr, ok[0].tm.seg, ok[0].grad,
                                                                    0, true, ok[0].rowSums, ok[0].rowSums, dev);
    simt::check_launch("gather_kernel (ensemble)");
    if (K + O > 0) {
      const auto scaleMembers = &scale_gradient_kernel<S, true>;
      LR_LAUNCH(scaleMembers, dim3(K + O, M), scaleThreads, scaleThreads * sizeof(S))(
          ok[0].net, ok[0].tm.seg, ok[0].grad, ok[0].rowSums, ok[0].rowSums, dev);
      simt::check_launch("scale_gradient_kernel (ensemble)");
    }
    if (!lowRank) {
      // each member's dL/dW[i, j] = sum over (trial, step) of d[b, s, i] presyn[b, s, j]
      std::vector<MatmulJob<S>> js(M);
      for (unsigned j = 0; j < M; ++j) {
        const MemberStep<S>& h = ok[j];
        MatmulJob<S>& job = js[j];
        job.M = N;
        job.Ncols = N;
        job.Kdim = int64_t(h.ps.B) * h.ps.T;
        job.ldc = N;
        job.A.p = h.gr.drive;
        job.A.stride = 1;
        job.A.kInner = h.ps.T;
        job.A.kOuterStride = int64_t(h.ps.T) * N;
        job.A.kInnerStride = N;
        job.B.p = rate ? h.ps.states : h.ps.activity;
        job.B.stride = 1;
        job.B.kInner = h.ps.T;
        job.B.kOuterStride = int64_t(h.ps.T + 1) * N;
        job.B.kInnerStride = N;
        job.C = h.grad + be[okWho[j]]->layout().seg[kWrec].offset;
      }
      matmul_batched(js, jobs);
    }
    const auto maskMembers = &mask_gradient_kernel<S, true>;
    LR_LAUNCH(maskMembers, dim3(blocks_for(P, 256), M), 256, 0)(ok[0].grad, P, ok[0].tm,
                                                                           static_cast<const uint8_t*>(nullptr),
                                                                           false, N, dev);
    simt::check_launch("mask_gradient_kernel (ensemble)");
    const auto sumSquaresMembers = &sum_squares_kernel<S, true>;
    LR_LAUNCH(sumSquaresMembers, dim3(1, M), simt::kMaxBlockThreads, simt::kMaxBlockThreads * sizeof(double))(
        ok[0].grad, P, ok[0].norm, dev);
    simt::check_launch("sum_squares_kernel (ensemble)");
    std::vector<double> sq(A);
    simt::to_host(sq.data(), dNorm, size_t(A) * sizeof(double));
    std::vector<double> norm(M);
    for (unsigned j = 0; j < M; ++j) {
      const int e = okWho[j];
      const int a = int(std::find(act.begin(), act.end(), e) - act.begin());
      norm[j] = std::sqrt(sq[a]);
      ok[j].sc = be[e]->count_step(ms[e].adam, norm[j]);
    }
    dev = steps.upload(ok.data(), int64_t(M));
    const auto adamMembers = &adam_kernel<S, true>;
    LR_LAUNCH(adamMembers, dim3(blocks_for(P, 256), M), 256, 0)(ok[0].params, ok[0].grad, ok[0].m, ok[0].v, P,
                                                                  ok[0].tm, ok[0].adam, ok[0].sc, dev);
    simt::check_launch("adam_kernel (ensemble)");
    if (constrained) {
      const auto constrainMembers = &constrain_kernel<S, true>;
      LR_LAUNCH(constrainMembers, dim3(blocks_for(int64_t(N) * N, 256), M), 256, 0)(
          ok[0].wrec, N, ok[0].connectivity, false, ok[0].dale, dev);
      simt::check_launch("constrain_kernel (ensemble)");
    }
    for (unsigned j = 0; j < M; ++j) {
      GpuEnsembleMember<S>& m = ms[okWho[j]];
      m.losses.push_back(okLoss[j]);
      m.gradNorms.push_back(norm[j]);
      m.completed += 1;
    }
  }
}

// An ensemble on one device: the memory plan, then each chunk of members (low-rank: the steps of all its members in
// one launch per kernel; full-rank: member after member, each with trainSteps).
template <class S>
void train_ensemble(std::vector<GpuEnsembleMember<S>>& ms, const std::atomic<bool>* abort) {
  const int E = int(ms.size());
  if (E == 0) return;
  std::vector<GpuBackend<S>*> be(E);
  for (int e = 0; e < E; ++e) be[e] = static_cast<GpuBackend<S>*>(ms[e].backend);
  // The plan: what each member needs against the free memory plus what the members hold that can be given back.
  std::vector<size_t> need(E);
  size_t available = ensemble_free_memory();
  for (int e = 0; e < E; ++e) {
    need[e] = be[e]->training_bytes(ms[e].data);
    available += be[e]->scratch_bytes();
  }
  std::vector<std::vector<int>> chunks;
  size_t left = available, used = 0;
  std::vector<int> current;
  for (int e = 0; e < E; ++e) {
    if (!current.empty() && used + need[e] > left) {  // close the chunk; its new moments stay allocated
      for (int c : current) left -= std::min(left, be[c]->new_moment_bytes());
      chunks.push_back(current);
      current.clear();
      used = 0;
    }
    if (need[e] > left) {
      const auto amount = [](size_t bytes) {
        return std::to_string(bytes) + " bytes (" + std::to_string(double(bytes) / 1073741824.0) + " GiB)";
      };
      ms[e].error = std::make_exception_ptr(std::range_error(
          "this ensemble member's training needs " + amount(need[e]) + " of GPU memory; " + amount(left) +
          " are available. Use smaller batches or fewer trials, or free device memory."));
      continue;
    }
    current.push_back(e);
    used += need[e];
  }
  if (!current.empty()) chunks.push_back(current);
  const bool chunked = chunks.size() > 1;
  if (chunked)
    for (GpuBackend<S>* b : be) b->release_scratch();
  for (const std::vector<int>& chunk : chunks) {
    if (abort && abort->load()) break;
    run_chunk(ms, chunk, be, abort);
    if (chunked)  // give the chunk's buffers back for the next one
      for (int e : chunk) be[e]->release_scratch();
  }
}

}  // namespace

// ---- device memory ------------------------------------------------------------------------------------------------

namespace simt {
#if defined(__CUDACC__)
namespace {
void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so that the next call starts clean
  throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorString(err));
}
}  // namespace

void* allocate(size_t bytes) {
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw std::range_error("cannot allocate " + std::to_string(double(bytes) / 1073741824.0) +
                           " GiB of GPU memory (" + std::to_string(double(free_memory()) / 1073741824.0) +
                           " GiB free); use smaller batches or device 'cpu'");
  }
  check(err, "cudaMalloc");
  return p;
}
void release(void* p) noexcept {
  if (p) cudaFree(p);
}
void to_device(void* dst, const void* src, size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy to the GPU"); }
void to_host(void* dst, const void* src, size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy from the GPU"); }
void zero(void* p, size_t bytes) { check(cudaMemset(p, 0, bytes), "cudaMemset"); }
void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }
size_t free_memory() {
  size_t freeBytes = 0, total = 0;
  check(cudaMemGetInfo(&freeBytes, &total), "cudaMemGetInfo");
  return freeBytes;
}
#else
void* allocate(size_t bytes) {
  void* p = std::calloc(1, bytes);
  if (!p) throw std::bad_alloc();
  return p;
}
void release(void* p) noexcept { std::free(p); }
void to_device(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void to_host(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void zero(void* p, size_t bytes) { std::memset(p, 0, bytes); }
void check_launch(const char*) {}
size_t free_memory() { return size_t(sysconf(_SC_AVPHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE)); }
#endif
}  // namespace simt

}  // namespace LOWRANK_GPU_NAMESPACE

#if defined(__CUDACC__)
template <class S>
std::unique_ptr<Backend<S>> make_cuda_backend(const ModelSpec& spec) {
  require_cuda_device();
  return std::make_unique<cuda::GpuBackend<S>>(spec);
}
template std::unique_ptr<Backend<float>> make_cuda_backend<float>(const ModelSpec&);
template std::unique_ptr<Backend<double>> make_cuda_backend<double>(const ModelSpec&);
template <class S>
void train_cuda_ensemble(std::vector<GpuEnsembleMember<S>>& members, const std::atomic<bool>* abort) {
  cuda::train_ensemble<S>(members, abort);
}
template void train_cuda_ensemble<float>(std::vector<GpuEnsembleMember<float>>&, const std::atomic<bool>*);
template void train_cuda_ensemble<double>(std::vector<GpuEnsembleMember<double>>&, const std::atomic<bool>*);
#else
template <class S>
void train_emulated_cuda_ensemble(std::vector<GpuEnsembleMember<S>>& members, const std::atomic<bool>* abort) {
  emulated::train_ensemble<S>(members, abort);
}
template void train_emulated_cuda_ensemble<float>(std::vector<GpuEnsembleMember<float>>&, const std::atomic<bool>*);
template void train_emulated_cuda_ensemble<double>(std::vector<GpuEnsembleMember<double>>&, const std::atomic<bool>*);

template <class S>
std::unique_ptr<Backend<S>> make_emulated_cuda_backend(const ModelSpec& spec) {
  return std::make_unique<emulated::GpuBackend<S>>(spec);
}
template std::unique_ptr<Backend<float>> make_emulated_cuda_backend<float>(const ModelSpec&);
template std::unique_ptr<Backend<double>> make_emulated_cuda_backend<double>(const ModelSpec&);
#endif

}  // namespace lowrank
