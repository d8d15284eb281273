// What the CUDA backend's kernel files share: device transfer functions, the network's description, the neurons a
// thread owns, block reductions, the tiled matrix product, device buffers and launch sizes. Included by gpu_backend.cu and gpu_fixed_points.cu (see simt.hpp for the
// two ways they compile).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "model.hpp"
#include "simt.hpp"

namespace lowrank {
namespace LOWRANK_GPU_NAMESPACE {

#if defined(LOWRANK_SIMT_EMULATION)
using namespace ::lowrank_simt;
using std::copysign;
using std::cos;
using std::exp;
using std::fabs;
using std::fmax;
using std::fmin;
using std::hypot;
using std::isfinite;
using std::log;
using std::log1p;
using std::min;
using std::sin;
using std::sqrt;
using std::tanh;
#endif

namespace {

template <class S>
struct DeviceTransfer {
  int kind = 0;  // Activation
  S slope = S(0.01);

  LR_DEVICE S apply(S x) const {
    switch (kind) {
      case int(Activation::Tanh): return tanh(x);
      case int(Activation::Relu): return x > S(0) ? x : S(0);
      case int(Activation::LeakyRelu): return x > S(0) ? x : slope * x;
      case int(Activation::Softplus): return (x > S(0) ? x : S(0)) + log1p(exp(x > S(0) ? -x : x));
      default: return x;
    }
  }
  // f'(x) from y = f(x), as the CPU backend does (activation.hpp).
  LR_DEVICE S derivative(S y) const {
    switch (kind) {
      case int(Activation::Tanh): return S(1) - y * y;
      case int(Activation::Relu): return y > S(0) ? S(1) : S(0);
      case int(Activation::LeakyRelu): return y > S(0) ? S(1) : slope;
      case int(Activation::Softplus): return S(1) - exp(-y);
      default: return S(1);
    }
  }
};

template <class S>
DeviceTransfer<S> device_transfer(const Transfer& t) {
  DeviceTransfer<S> d;
  d.kind = int(t.kind);
  d.slope = S(t.slope);
  return d;
}

// The network as the element-wise kernels see it: sizes, options and pointers into the device parameter vector.
template <class S>
struct Net {
  int N = 0, R = 0, K = 0, O = 0;  // R = 0 for full-rank nets
  bool rate = false, noAutapse = false;
  S alpha = 0, leak = 0, noiseScale = 0, readoutScale = 1;
  DeviceTransfer<S> phi, phiOut;
  const S *m = nullptr, *n = nullptr, *wrec = nullptr, *wi = nullptr, *si = nullptr, *wo = nullptr, *so = nullptr,
          *h0 = nullptr, *b = nullptr;

  // The diagonal of m n^T / N that no-autapse low-rank nets remove.
  LR_DEVICE S self_coupling(int i) const {
    S s = 0;
    for (int r = 0; r < R; ++r) s += m[int64_t(i) * R + r] * n[int64_t(i) * R + r];
    return s / S(N);
  }
  LR_DEVICE S readout_weight(int i, int o) const { return wo[int64_t(i) * O + o] * so[o] * readoutScale; }
  // dL/d(drive) of a step from g = dL/dx_{s+1}: alpha g (current), alpha g f'(drive) with f_s the stored activity
  // (rate; the drive is inside f).
  LR_DEVICE S drive_gradient(S g, S activity) const { return rate ? alpha * g * phi.derivative(activity) : alpha * g; }
  // The presynaptic activity of a state, what W acts on: phi(x + b) (current) or x (rate).
  LR_DEVICE S presyn(S x, int i) const { return rate ? x : phi.apply(x + b[i]); }
  // The quantity read out at a state: phi_out(x + b) (current) or phi_out(x) (rate).
  LR_DEVICE S readout_input(S x, int i) const { return phiOut.apply(rate ? x : x + b[i]); }
};

// The network of `spec` with its parameters at `params` (device memory, layout order).
template <class S>
Net<S> make_net(const ModelSpec& spec, const ParamLayout& layout, const S* params) {
  Net<S> nt;
  nt.N = spec.size;
  nt.R = spec.lowRank() ? spec.rank : 0;
  nt.K = spec.inputs;
  nt.O = spec.outputs;
  nt.rate = spec.formulation == Formulation::Rate;
  nt.noAutapse = spec.noAutapse;
  nt.alpha = S(spec.alpha);
  nt.leak = S(1) - S(spec.alpha);
  nt.noiseScale = nt.rate ? S(std::sqrt(2.0 * spec.noise * spec.noise / spec.alpha)) : S(spec.noise);
  nt.readoutScale = S(spec.readoutScale());
  nt.phi = device_transfer<S>(spec.transfer);
  nt.phiOut = device_transfer<S>(spec.outputTransfer);
  auto at = [&](int id) -> const S* { return layout.seg[id].count ? params + layout.seg[id].offset : nullptr; };
  nt.m = at(kM);
  nt.n = at(kN);
  nt.wrec = at(kWrec);
  nt.wi = at(kWi);
  nt.si = at(kSi);
  nt.wo = at(kWo);
  nt.so = at(kSo);
  nt.h0 = at(kH0);
  nt.b = at(kB);
  return nt;
}

// Calls f(i) for the neurons this thread owns in the kernels that give a block one trial or candidate: the groups of
// four q = threadIdx.x, threadIdx.x + blockDim.x, ... (four, so that one Philox call draws a group's noise). What a
// thread writes for its own neurons it can read back without a barrier.
template <class F>
LR_DEVICE void for_each_owned(int N, F&& f) {
  for (int q = threadIdx.x; q < (N + 3) / 4; q += blockDim.x)
    for (int i = 4 * q; i < min(4 * q + 4, N); ++i) f(i);
}

// Combines red[v * blockDim + tid] over tid with `op` for v < count, in a fixed tree; red[v * blockDim] holds the
// results. Every thread of the block must call it.
template <class S, class Op>
LR_DEVICE void block_reduce(S* red, int count, Op op) {
  const int tid = threadIdx.x, bd = blockDim.x;
  LR_SYNC();
  for (int stride = bd / 2; stride > 0; stride >>= 1) {
    if (tid < stride)
      for (int v = 0; v < count; ++v) red[v * bd + tid] = op(red[v * bd + tid], red[v * bd + tid + stride]);
    LR_SYNC();
  }
}

template <class S>
LR_DEVICE void block_sum(S* red, int count) {
  block_reduce(red, count, [](S a, S b) { return a + b; });
}

// ---- matrix products ----------------------------------------------------------------------------------------------

// An operand indexed by (row or column, k); k = outer * inner + rest is at outer * outerStride + rest * innerStride,
// which lets a product run over (trial, step) pairs of arrays with T or T + 1 steps per trial.
template <class S>
struct Operand {
  const S* p = nullptr;
  int64_t stride = 0;       // along the row (A) or column (B) index
  int64_t kInner = std::numeric_limits<int32_t>::max();
  int64_t kOuterStride = 0, kInnerStride = 1;
  LR_DEVICE int64_t k_offset(int64_t k) const { return (k / kInner) * kOuterStride + (k % kInner) * kInnerStride; }
};

// One product of a batch of products (an ensemble's members): C[M, Ncols] = A B over Kdim.
template <class S>
struct MatmulJob {
  int M = 0, Ncols = 0;
  int64_t Kdim = 0, ldc = 0;
  Operand<S> A, B;
  S* C = nullptr;
};

constexpr int kThreadsSide = 16, kTileK = 16;  // blocks of 16 x 16 threads; k advances 16 at a time

// C[M, Ncols] (leading dimension ldc) = sum over k < Kdim of A(row, k) B(k, col). A block computes a (16 TM) x (16 TN)
// tile, each thread TM x TN entries (rows ty + 16 i, columns tx + 16 j) in registers, each entry summed in k order.
// With kBatched, product blockIdx.z of `jobs` (the grid covers the largest; blocks past a product's own size return at
// once): each entry is summed in the same k order as in a launch of that product alone, whatever the tile size.
template <class S, int TM, int TN, bool kBatched = false>
LR_KERNEL_BOUNDED(kThreadsSide * kThreadsSide) void matmul_kernel(int M, int Ncols, int64_t Kdim, Operand<S> A, Operand<S> Bop, S* C, int64_t ldc,
                                                                  const MatmulJob<S>* jobs) {
  constexpr int BM = kThreadsSide * TM, BN = kThreadsSide * TN, kThreads = kThreadsSide * kThreadsSide;
  LR_DYNAMIC_SHARED(S, tiles);  // As [kTileK][BM], Bs [kTileK][BN]
  S* As = tiles;
  S* Bs = tiles + kTileK * BM;
  const int tx = threadIdx.x, ty = threadIdx.y, lin = ty * kThreadsSide + tx;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  if (kBatched) {
    const MatmulJob<S>& job = jobs[blockIdx.z];
    M = job.M;
    Ncols = job.Ncols;
    Kdim = job.Kdim;
    A = job.A;
    Bop = job.B;
    C = job.C;
    ldc = job.ldc;
    if (row0 >= M || col0 >= Ncols) return;
  }
  // Consecutive threads load consecutive addresses: along k when the operand is contiguous in k.
  const bool aAlongK = A.kInnerStride == 1, bAlongK = Bop.kInnerStride == 1;
  S acc[TM][TN] = {};
  for (int64_t k0 = 0; k0 < Kdim; k0 += kTileK) {
    for (int e = lin; e < kTileK * BM; e += kThreads) {
      const int kk = aAlongK ? e % kTileK : e / BM, rc = aAlongK ? e / kTileK : e % BM;
      const int64_t k = k0 + kk;
      const int r = row0 + rc;
      As[kk * BM + rc] = (k < Kdim && r < M) ? A.p[int64_t(r) * A.stride + A.k_offset(k)] : S(0);
    }
    for (int e = lin; e < kTileK * BN; e += kThreads) {
      const int kk = bAlongK ? e % kTileK : e / BN, rc = bAlongK ? e / kTileK : e % BN;
      const int64_t k = k0 + kk;
      const int c = col0 + rc;
      Bs[kk * BN + rc] = (k < Kdim && c < Ncols) ? Bop.p[Bop.k_offset(k) + int64_t(c) * Bop.stride] : S(0);
    }
    LR_SYNC();
    for (int kk = 0; kk < kTileK; ++kk) {
      S a[TM], b[TN];
      for (int i = 0; i < TM; ++i) a[i] = As[kk * BM + ty + kThreadsSide * i];
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk * BN + tx + kThreadsSide * j];
      for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
    LR_SYNC();
  }
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j) {
      const int r = row0 + ty + kThreadsSide * i, c = col0 + tx + kThreadsSide * j;
      if (r < M && c < Ncols) C[int64_t(r) * ldc + c] = acc[i][j];
    }
}

template <class S, int TM, int TN>
void launch_matmul(int M, int Ncols, int64_t Kdim, const Operand<S>& A, const Operand<S>& B, S* C, int64_t ldc) {
  constexpr int BM = kThreadsSide * TM, BN = kThreadsSide * TN;
  const dim3 grid(unsigned((Ncols + BN - 1) / BN), unsigned((M + BM - 1) / BM));
  const dim3 block(kThreadsSide, kThreadsSide);
  auto kernel = &matmul_kernel<S, TM, TN>;
  LR_LAUNCH(kernel, grid, block, size_t(kTileK) * (BM + BN) * sizeof(S))(M, Ncols, Kdim, A, B, C, ldc, nullptr);
  simt::check_launch("matmul_kernel");
}

// 64 x 64 tiles when both sides of C fill them (the weight gradient, large batches); 32 x 32 otherwise, which keeps
// more blocks busy in the per-step products over a small batch.
template <class S>
void matmul(int M, int Ncols, int64_t Kdim, const Operand<S>& A, const Operand<S>& B, S* C, int64_t ldc) {
  if (M >= 64 && Ncols >= 64) launch_matmul<S, 4, 4>(M, Ncols, Kdim, A, B, C, ldc);
  else launch_matmul<S, 2, 2>(M, Ncols, Kdim, A, B, C, ldc);
}

// ---- host side ----------------------------------------------------------------------------------------------------

// Device memory that grows on demand and is kept between calls (so repeated fits keep device memory flat).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { simt::release(ptr_); }

  template <class T>
  T* get(int64_t count) {
    const size_t bytes = size_t(std::max<int64_t>(count, 1)) * sizeof(T);
    if (bytes > bytes_) {
      simt::release(ptr_);
      ptr_ = nullptr;
      bytes_ = 0;
      ptr_ = simt::allocate(bytes);
      bytes_ = bytes;
    }
    return static_cast<T*>(ptr_);
  }
  template <class T>
  T* upload(const T* host, int64_t count) {
    T* p = get<T>(count);
    if (count > 0) simt::to_device(p, host, size_t(count) * sizeof(T));
    return p;
  }
  size_t bytes() const { return bytes_; }
  // Frees the memory (the next get allocates again).
  void reset() {
    simt::release(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  template <class T>
  T* data() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// The `count` products of the device array `jobs` in one launch, tiles of 32 x 32, the grid sized for products of up
// to M x Ncols: each entry as in its own matmul call.
template <class S>
void matmul_batched(const MatmulJob<S>* jobs, int count, int M, int Ncols) {
  if (count == 0 || M == 0 || Ncols == 0) return;
  constexpr int TM = 2, TN = 2, BM = kThreadsSide * TM, BN = kThreadsSide * TN;
  const dim3 grid(unsigned((Ncols + BN - 1) / BN), unsigned((M + BM - 1) / BM), unsigned(count));
  const dim3 block(kThreadsSide, kThreadsSide);
  auto kernel = &matmul_kernel<S, TM, TN, true>;
  LR_LAUNCH(kernel, grid, block, size_t(kTileK) * (BM + BN) * sizeof(S))(0, 0, int64_t(0), Operand<S>(), Operand<S>(),
                                                                           static_cast<S*>(nullptr), int64_t(0), jobs);
  simt::check_launch("matmul_kernel (batched)");
}

// The products of the host array `jobs` (uploaded to `device`) in one launch.
template <class S>
void matmul_batched(const std::vector<MatmulJob<S>>& jobs, DeviceBuffer& device) {
  if (jobs.empty()) return;
  int M = 0, Ncols = 0;
  for (const MatmulJob<S>& j : jobs) {
    M = std::max(M, j.M);
    Ncols = std::max(Ncols, j.Ncols);
  }
  matmul_batched(device.upload(jobs.data(), int64_t(jobs.size())), int(jobs.size()), M, Ncols);
}

// Threads per block of the kernels that walk one trial (or one fixed-point candidate) per block: 512 leaves each
// thread 128 registers, enough for the time-step kernels without spilling.
constexpr int kTrialBlockThreads = 512;

// Threads for the per-trial kernels: one per group of four neurons up to the block limit, fewer when the reduction
// slots (values per thread, sized for double) would not fit in shared memory.
int trial_block_threads(int N, int values) {
  const int groups = (N + 3) / 4;
  int threads = 32;
  while (threads < groups && threads < kTrialBlockThreads) threads *= 2;
  const size_t perThread = size_t(std::max(values, 1)) * sizeof(double);
  if (perThread > simt::kMaxSharedBytes)
    throw std::range_error("rank + outputs = " + std::to_string(values) +
                           " is too large for the CUDA backend's per-block reductions; use device 'cpu'");
  while (threads > 1 && perThread * threads > simt::kMaxSharedBytes) threads /= 2;
  return threads;
}

unsigned blocks_for(int64_t count, int threads) { return unsigned((count + threads - 1) / threads); }

}  // namespace
}  // namespace LOWRANK_GPU_NAMESPACE
}  // namespace lowrank
