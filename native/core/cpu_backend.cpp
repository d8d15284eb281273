// CPU backend: batched forward pass, BPTT and Adam over trial chunks.
//
// Trials are processed in chunks of a fixed size (independent of the thread count); inside a chunk all arrays are
// time-major ([t * c + j, :] is trial j at step t), so a step works on c x N blocks that stay in cache: a few fused
// walks over each trial's row (tiles.hpp) for the low-rank and element-wise parts, two c x N times N x N products per
// step for a full-rank recurrence (block_product.hpp), whose weight gradient is one large product over all steps at
// the end. Chunk results are added in chunk order, so the same seed gives bit-identical results with any number of
// threads.
//
// Why one file of this size: the forward pass, BPTT and Adam share the chunk layout, the scratch arena and the
// parameter views above; split across files they would need those internals in a header that nothing else uses.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "backend.hpp"
#include "block_product.hpp"
#include "memory_guard.hpp"
#include "rng.hpp"
#include "thread_pool.hpp"
#include "tiles.hpp"

namespace lowrank {
namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Vec = Eigen::Matrix<S, 1, Eigen::Dynamic>;  // row vector
template <class S>
using MapMat = Eigen::Map<Mat<S>>;
template <class S>
using CMapMat = Eigen::Map<const Mat<S>>;
template <class S>
using CMapVec = Eigen::Map<const Vec<S>>;
// Parameter and gradient storage is aligned like Eigen's own allocations: reductions and matrix-vector products
// peel unaligned leading elements, so storage at a malloc-dependent alignment would change the rounding run to run.
template <class S>
using AlignedVector = std::vector<S, Eigen::aligned_allocator<S>>;

// Read-only views of one parameter vector, plus the derived quantities used in every step.
template <class S>
struct ParamView {
  const ModelSpec& spec;
  const ParamLayout& layout;
  const S* data;
  int rank = 0;          // R of the stacks below: the rank of a low-rank net, 0 for a full-rank net
  // The directions a step combines, one contiguous row each: trial j's drive is sum_k driveCoefs(j, k) driveRows(k)
  // with driveCoefs = [kappa | u] (overlaps n^T r / N and inputs), and the gradient reaching its presynaptic
  // activity is sum_k backCoefs(j, k) backRows(k) with backCoefs = [m^T d | dL/doutput] (d: the drive gradient).
  Mat<S> driveRows;      // (R + K) x N: m^T, then diag(si) wi
  Mat<S> backRows;       // (R + O) x N: n^T / N, then (wo diag(so) * readoutScale)^T
  Vec<S> selfCoupling;   // low-rank no-autapse: J_ii = sum_r m_ir n_ir / N
  const S* wrecT;        // full-rank: wrec^T, whose rows the forward product streams
  bool hasBias = false;  // b != 0 somewhere (otherwise adding it is skipped)

  // wrecTStorage: kept by the caller between runs (a fresh N x N buffer per step would cost its page faults).
  ParamView(const ModelSpec& s, const ParamLayout& l, const S* p, AlignedVector<S>& wrecTStorage)
      : spec(s), layout(l), data(p), wrecT(nullptr) {
    const int N = s.size, K = s.inputs, O = s.outputs;
    rank = s.lowRank() ? s.rank : 0;
    driveRows.resize(rank + K, N);
    backRows.resize(rank + O, N);
    if (s.lowRank()) {
      driveRows.topRows(rank) = m().transpose();
      backRows.topRows(rank) = n().transpose() / S(N);
      if (s.noAutapse) selfCoupling = (m().array() * n().array()).rowwise().sum().transpose() / S(N);
    } else {
      wrecTStorage.resize(size_t(N) * N);
      MapMat<S>(wrecTStorage.data(), N, N) = wrec().transpose();
      wrecT = wrecTStorage.data();
    }
    for (int k = 0; k < K; ++k) driveRows.row(rank + k) = wi().row(k) * si()(k);
    for (int o = 0; o < O; ++o) backRows.row(rank + o) = wo().col(o).transpose() * (so()(o) * S(s.readoutScale()));
    hasBias = !b().isZero(0);
  }
  auto mRows() const { return driveRows.topRows(rank); }
  auto nRows() const { return backRows.topRows(rank); }
  auto readoutRows() const { return backRows.bottomRows(spec.outputs); }
  CMapMat<S> mat(int id, int rows, int cols) const { return CMapMat<S>(data + layout.seg[id].offset, rows, cols); }
  CMapVec<S> vec(int id, int len) const { return CMapVec<S>(data + layout.seg[id].offset, len); }
  CMapMat<S> m() const { return mat(kM, spec.size, spec.rank); }
  CMapMat<S> n() const { return mat(kN, spec.size, spec.rank); }
  CMapMat<S> wrec() const { return mat(kWrec, spec.size, spec.size); }
  CMapMat<S> wi() const { return mat(kWi, spec.inputs, spec.size); }
  CMapVec<S> si() const { return vec(kSi, spec.inputs); }
  CMapMat<S> wo() const { return mat(kWo, spec.size, spec.outputs); }
  CMapVec<S> so() const { return vec(kSo, spec.outputs); }
  CMapVec<S> h0() const { return vec(kH0, spec.size); }
  CMapVec<S> b() const { return vec(kB, spec.size); }
};

// What a run computes; the sizes and the loss target come from the LossBatch.
struct Problem {
  bool wantLoss = false, wantGrad = false;
  // Gradients that may be skipped during training when the parameters they reach are frozen.
  bool needBias = true, needInputs = true, needReadout = true;
};

// Per-thread scratch memory, kept between calls: one aligned arena carved into the views of the chunk at hand, so
// that no step allocates (fresh pages cost more than the arithmetic here). Only what the backward pass needs is
// stored for every step; the rest lives in c x N blocks that stay in cache.
template <class S>
struct Workspace {
  MapMat<S> activity{nullptr, 0, 0};   // current: (T+1)c x N, phi(x_t + b); rate: Tc x N, f(pre_t)
  MapMat<S> states{nullptr, 0, 0};     // (T+1)c x N; rate formulation or loss on states only
  MapMat<S> readIn{nullptr, 0, 0};     // Tc x N, phi_out(state_{t+1}) when it is not the stored activity
  MapMat<S> driveCoefs{nullptr, 0, 0}; // Tc x (R+K), every step's [kappa_t | u_t] (see ParamView)
  MapMat<S> outputs{nullptr, 0, 0};    // Tc x O
  MapMat<S> predGrad{nullptr, 0, 0};   // Tc x F, dL/dprediction
  MapMat<S> driveGrads{nullptr, 0, 0}; // Tc x N, every step's drive gradient (full-rank weight gradient)
  MapMat<S> x{nullptr, 0, 0}, next{nullptr, 0, 0}, g{nullptr, 0, 0}, ga{nullptr, 0, 0}, back{nullptr, 0, 0},
      noise{nullptr, 0, 0};            // c x N
  MapMat<S> backCoefs{nullptr, 0, 0};  // c x (R+O), the step's [m^T d | dL/doutput]
  // gradient accumulators with respect to the stacked directions of ParamView
  MapMat<S> gDrive{nullptr, 0, 0};     // (R+K) x N: m rows, then input rows
  MapMat<S> gBack{nullptr, 0, 0};      // (R+O) x N: n / N rows, then readout rows
  MapMat<S> gb{nullptr, 0, 0}, gSelf{nullptr, 0, 0};  // 1 x N
  AlignedVector<S> grad;  // chunk gradient, layout order
  double loss = 0.0;

  struct Sizes {
    int64_t T, c, N, R, K, O, F;  // R: rank of the direction stacks (0 for full-rank nets)
    bool states, readIn, driveGrads;
  };

  static int64_t padded(int64_t n) { return (n + 15) / 16 * 16; }
  static int64_t arena_size(const Sizes& z) {
    const int64_t TcN = padded(z.T * z.c * z.N);
    return padded((z.T + 1) * z.c * z.N) * (z.states ? 2 : 1) + TcN * (int(z.readIn) + int(z.driveGrads)) +
           padded(z.T * z.c * (z.R + z.K)) + padded(z.T * z.c * z.O) + padded(z.T * z.c * z.F) +
           padded(z.c * z.N) * 6 + padded(z.c * (z.R + z.O)) + padded((z.R + z.K) * z.N) +
           padded((z.R + z.O) * z.N) + padded(z.N) * 2;
  }

  // Points every view at its part of the arena, for a chunk of c trials.
  void bind(const Sizes& z) {
    const int64_t need = arena_size(z);
    if (int64_t(arena_.size()) < need) arena_.resize(need);
    S* free = arena_.data();
    auto take = [&](MapMat<S>& view, int64_t rows, int64_t cols) {
      new (&view) MapMat<S>(free, rows, cols);
      free += padded(rows * cols);
    };
    take(activity, (z.T + 1) * z.c, z.N);
    if (z.states) take(states, (z.T + 1) * z.c, z.N);
    if (z.readIn) take(readIn, z.T * z.c, z.N);
    if (z.driveGrads) take(driveGrads, z.T * z.c, z.N);
    take(driveCoefs, z.T * z.c, z.R + z.K);
    take(outputs, z.T * z.c, z.O);
    take(predGrad, z.T * z.c, z.F);
    for (MapMat<S>* v : {&x, &next, &g, &ga, &back, &noise}) take(*v, z.c, z.N);
    take(backCoefs, z.c, z.R + z.O);
    take(gDrive, z.R + z.K, z.N);
    take(gBack, z.R + z.O, z.N);
    take(gb, 1, z.N);
    take(gSelf, 1, z.N);
  }

  // Exchanges the current and next state blocks (the views, not the values).
  void swap_state() {
    S* a = x.data();
    S* b = next.data();
    const auto rows = x.rows(), cols = x.cols();
    new (&x) MapMat<S>(b, rows, cols);
    new (&next) MapMat<S>(a, rows, cols);
  }

 private:
  AlignedVector<S> arena_;
};

// Trials per chunk, from the model and the batch size only (so that the thread count does not change the results).
// The full-rank products run best on 16 rows, but a batch of 16 to 31 trials would then leave a thread idle.
inline int chunk_size(const ModelSpec& s, int batch) { return s.lowRank() || batch < 32 ? 8 : 16; }

template <class S>
class CpuBackend final : public Backend<S> {
 public:
  CpuBackend(const ModelSpec& spec, int threads)
      : spec_(spec), layout_(spec), params_(layout_.total, S(0)),
        threads_(std::max(1, threads)), pool_(threads_) {
    validate_spec(spec_);
  }

  const ModelSpec& spec() const override { return spec_; }
  const ParamLayout& layout() const override { return layout_; }
  std::string name() const override { return "cpu"; }

  void getParams(S* out) const override { std::copy(params_.begin(), params_.end(), out); }
  void setParams(const S* in) override {
    std::copy(in, in + layout_.total, params_.begin());
    apply_constraints(params_.data());
  }

  void simulate(const S* inputs, const S* initialStates, int batch, int steps, const NoiseOptions& noise,
                const SimulateOutput<S>& out) override {
    Problem pb;
    LossBatch<S> lb;
    lb.inputs = inputs;
    lb.initialStates = initialStates;
    lb.batch = batch;
    lb.steps = steps;
    run(pb, lb, noise, params_.data(), nullptr, &out);
  }

  double lossAndGradient(const LossBatch<S>& lb, const NoiseOptions& noise, S* grad) override {
    Problem pb;
    pb.wantLoss = true;
    pb.wantGrad = grad != nullptr;
    return run(pb, lb, noise, params_.data(), grad, nullptr);
  }

  int trainSteps(const TrainData<S>& d, const AdamOptions& adam, uint64_t seed, bool drawNoise,
                 const std::function<void(const TrainStepReport&)>& onStep,
                 const std::atomic<bool>* abort) override {
    const int B = d.batch;
    AlignedVector<S> grad(layout_.total);
    ensure_optimizer();
    LossBatch<S> lb;  // each step reads its minibatch straight from the dataset through lb.trials
    lb.inputs = d.inputs;
    lb.targets = d.targets;
    lb.mask = d.mask;
    lb.batch = B;
    lb.steps = d.steps;
    lb.features = d.features;
    lb.lossOn = d.lossOn;
    Problem pb;
    pb.wantLoss = pb.wantGrad = true;
    pb.needBias = spec_.trainable[kB];
    pb.needInputs = spec_.trainable[kWi] || spec_.trainable[kSi];
    pb.needReadout = spec_.trainable[kWo] || spec_.trainable[kSo];
    int done = 0;
    for (int s = 0; s < d.optimizerSteps; ++s) {
      if (abort && abort->load()) break;
      lb.trials = d.indices + size_t(s) * B;
      for (int j = 0; j < B; ++j)
        if (lb.trials[j] < 0 || lb.trials[j] >= d.examples) throw std::range_error("minibatch index out of range");
      NoiseOptions nz{drawNoise, seed, static_cast<uint32_t>(opt_.step + 1)};
      const double loss = run(pb, lb, nz, params_.data(), grad.data(), nullptr);
      if (!std::isfinite(loss))
        throw std::runtime_error("loss is not finite (" + std::to_string(loss) + ") at optimizer step " +
                                 std::to_string(opt_.step + 1) + "; the parameters are those before this step");
      const double norm = adam_step(grad.data(), adam);
      TrainStepReport rep;
      rep.step = s;
      rep.loss = loss;
      rep.gradNorm = norm;
      ++done;
      if (onStep) onStep(rep);
    }
    return done;
  }

  void limitThreads(int threads) override { threadLimit_ = std::max(0, threads); }

  OptimizerState optimizerState() const override { return opt_; }
  void setOptimizerState(const OptimizerState& st) override {
    if (st.step > 0 && (st.m.size() != size_t(layout_.total) || st.v.size() != size_t(layout_.total)))
      throw std::range_error("optimizer state has " + std::to_string(st.m.size()) + " moments; the model has " +
                             std::to_string(layout_.total) + " parameters");
    opt_ = st;
  }

 private:
  void ensure_optimizer() {
    if (opt_.m.size() != size_t(layout_.total)) {
      opt_.m.assign(layout_.total, 0.0);
      opt_.v.assign(layout_.total, 0.0);
    }
  }

  // Zeroes gradients that must not move a parameter: frozen parameters, masked or self connections.
  void mask_gradient(S* grad) const {
    for (int id = 0; id < kParamCount; ++id) {
      const auto& sg = layout_.seg[id];
      if (!sg.count || spec_.trainable[id]) continue;
      std::fill_n(grad + sg.offset, sg.count, S(0));
    }
    if (!spec_.lowRank() && spec_.trainable[kWrec]) constrain_wrec(grad + layout_.seg[kWrec].offset, false);
  }

  // Keeps full-rank structure: masked entries and (no-autapse) the diagonal at zero; with Dale's law, entries of the
  // wrong sign are projected to zero. `isWeight` false applies only the zero pattern (for gradients).
  void constrain_wrec(S* w, bool isWeight) const {
    const int N = spec_.size;
    if (!spec_.connectivityMask.empty())
      for (int64_t i = 0; i < int64_t(N) * N; ++i)
        if (!spec_.connectivityMask[i]) w[i] = S(0);
    if (spec_.noAutapse)
      for (int i = 0; i < N; ++i) w[int64_t(i) * N + i] = S(0);
    if (isWeight && !spec_.daleSigns.empty())
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
          S& x = w[int64_t(i) * N + j];
          if (spec_.daleSigns[j] > 0 ? x < S(0) : x > S(0)) x = S(0);
        }
  }

  void apply_constraints(S* p) const {
    if (!spec_.lowRank()) constrain_wrec(p + layout_.seg[kWrec].offset, true);
  }

  double adam_step(S* grad, const AdamOptions& a) {
    mask_gradient(grad);
    // Eight interleaved partial sums: a single chain of dependent additions would take longer than the update.
    double lanes[8] = {};
    int64_t i = 0;
    for (; i + 8 <= layout_.total; i += 8)
      for (int l = 0; l < 8; ++l) lanes[l] += double(grad[i + l]) * double(grad[i + l]);
    for (; i < layout_.total; ++i) lanes[0] += double(grad[i]) * double(grad[i]);
    double sq = 0.0;
    for (double l : lanes) sq += l;
    const double norm = std::sqrt(sq);
    opt_.step += 1;
    const AdamScalars sc = adam_scalars(a, opt_.step, norm);
    for (int id = 0; id < kParamCount; ++id) {
      const auto& sg = layout_.seg[id];
      if (!sg.count || !spec_.trainable[id]) continue;
      // Eigen's arrays, whose square roots vectorise (std::sqrt may set errno, which keeps a plain loop scalar), in
      // slices: Eigen does not vectorise the conversions between S and double, a plain loop does.
      constexpr int64_t kSlice = 512;
      Eigen::Array<double, kSlice, 1> step;
      for (int64_t i0 = sg.offset; i0 < sg.offset + sg.count; i0 += kSlice) {
        const int64_t n = std::min(kSlice, sg.offset + sg.count - i0);
        auto g = step.head(n);
        S* p = params_.data() + i0;
        const double decay = a.weightDecay[id];
        for (int64_t i = 0; i < n; ++i) g[i] = double(grad[i0 + i]) * sc.clipScale + decay * double(p[i]);
        Eigen::Map<Eigen::ArrayXd> m(opt_.m.data() + i0, n), v(opt_.v.data() + i0, n);
        m = a.beta1 * m + (1.0 - a.beta1) * g;
        v = a.beta2 * v + (1.0 - a.beta2) * g.square();
        g = sc.stepSize * m / (v.sqrt() / sc.sqrtBc2 + a.eps);
        for (int64_t i = 0; i < n; ++i) p[i] = S(double(p[i]) - step[i]);
      }
    }
    apply_constraints(params_.data());
    return norm;
  }

  // Forward pass over all trials (and BPTT when asked), chunk by chunk on the thread pool.
  double run(const Problem& pb, const LossBatch<S>& lb, const NoiseOptions& noise, const S* params, S* grad,
             const SimulateOutput<S>* out) {
    const ParamView<S> pv(spec_, layout_, params, wrecT_);
    const int c = chunk_size(spec_, lb.batch);
    const int chunks = (lb.batch + c - 1) / c;
    const int workers = std::min(threadLimit_ > 0 ? std::min(threads_, threadLimit_) : threads_, chunks);
    check_workspace_fits(pb, lb, c, workers);

    if (int(workspaces_.size()) < workers) workspaces_.resize(workers);
    auto& ws = workspaces_;
    std::mutex mu;
    std::condition_variable cv;
    int nextToReduce = 0;
    double totalLoss = 0.0;
    if (grad) std::fill_n(grad, layout_.total, S(0));
    std::atomic<int> nextChunk{0};
    std::exception_ptr failure;

    auto worker = [&](int w) {
      try {
        for (;;) {
          const int k = nextChunk.fetch_add(1);
          if (k >= chunks) break;
          const int b0 = k * c, cc = std::min(c, lb.batch - b0);
          process_chunk(pv, pb, lb, noise, b0, cc, ws[w], out);
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return nextToReduce == k || failure; });
          if (failure) return;
          totalLoss += ws[w].loss;
          if (grad)
            for (int64_t i = 0; i < layout_.total; ++i) grad[i] += ws[w].grad[i];
          ++nextToReduce;
          cv.notify_all();
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
        cv.notify_all();
      }
    };
    pool_.run(workers, worker);
    if (failure) std::rethrow_exception(failure);
    return totalLoss;
  }

  typename Workspace<S>::Sizes sizes(const Problem& pb, const LossBatch<S>& lb, int c) const {
    const bool rate = spec_.formulation == Formulation::Rate;
    return {lb.steps,
            c,
            spec_.size,
            spec_.lowRank() ? spec_.rank : 0,
            spec_.inputs,
            spec_.outputs,
            std::max(lb.features, 1),
            rate || (pb.wantLoss && lb.lossOn == LossOn::States),
            !readout_is_activity(),
            pb.wantGrad && !spec_.lowRank()};
  }

  // The current formulation reads out phi(x + b), which the forward pass stores anyway, unless phi_out differs.
  bool readout_is_activity() const {
    return spec_.formulation == Formulation::Current && spec_.outputTransfer.kind == spec_.transfer.kind &&
           spec_.outputTransfer.slope == spec_.transfer.slope;
  }

  void check_workspace_fits(const Problem& pb, const LossBatch<S>& lb, int c, int workers) const {
    const double arena = double(Workspace<S>::arena_size(sizes(pb, lb, c)));
    const double bytes = (arena + (pb.wantGrad ? double(layout_.total) : 0.0)) * sizeof(S) * workers;
    ensure_allocation_fits(bytes, "working memory for the forward and backward passes");
  }

  // Rows [t*c, (t+1)*c) of a time-major buffer: the chunk's trials at step t.
  static MapMat<S> step_rows(const MapMat<S>& m, int t, int c) {
    return MapMat<S>(const_cast<S*>(m.data()) + int64_t(t) * c * m.cols(), c, m.cols());
  }

  // acc += sum over the rows of `rows`, in row order (vectorised along the row).
  template <class Rows>
  static void add_rows(const Rows& rows, MapMat<S>& acc) {
    for (Eigen::Index j = 0; j < rows.rows(); ++j) acc.row(0) += rows.row(j);
  }

  // The chunk's rows into a batch-major [B, T1, N] output array at step t.
  void write_rows(S* dst, const MapMat<S>& rows, int b0, int t, int T1) const {
    const int N = spec_.size;
    for (Eigen::Index j = 0; j < rows.rows(); ++j)
      Eigen::Map<Vec<S>>(dst + (int64_t(b0 + j) * T1 + t) * N, N) = rows.row(j);
  }

  // Step t -> t+1 of the forward pass, in one walk over each trial row once the step's coefficients are known:
  //   current: x_{t+1} = (1 - alpha) x_t + alpha (J r_t + u_t Win) + noise,      r_t = presyn = phi(x_t + b)
  //   rate:    x_{t+1} = (1 - alpha) x_t + alpha f_t,  f_t = phi(J x_t + u_t Win + b + noise) (stored as activity t)
  // Low-rank J r = kappa . m with kappa = n^T r / N, minus the diagonal without autapses; full-rank J r = wrec r.
  void step_forward(const ParamView<S>& pv, const LossBatch<S>& lb, const NoiseOptions& noise, S noiseScale,
                    const MapMat<S>& presyn, int b0, int t, Workspace<S>& w) const {
    const int c = int(presyn.rows()), N = spec_.size, R = pv.rank, K = spec_.inputs, T = lb.steps;
    const bool rate = spec_.formulation == Formulation::Rate;
    const S alpha = S(spec_.alpha), leak = S(1) - alpha;
    MapMat<S> coefs = step_rows(w.driveCoefs, t, c);
    tiles::project(presyn.data(), c, N, pv.nRows().data(), R, S(1), coefs.data(), R + K);
    for (int j = 0; j < c; ++j) {
      const S* u = lb.inputs + (lb.trial(b0 + j) * T + t) * K;
      for (int k = 0; k < K; ++k) coefs(j, R + k) = u[k];
    }
    const bool noisy = noise.enabled && spec_.noise > 0.0;
    if (noisy)
      for (int j = 0; j < c; ++j)
        fill_normal_row<S>(w.noise.row(j).data(), N, noise.seed, uint32_t(t), uint32_t(b0 + j), noise.stream,
                           noiseScale);
    if (!spec_.lowRank()) block_product::product(presyn.data(), N, 1, c, N, pv.wrecT, N, N, w.next.data(), N);
    const S* self = spec_.lowRank() && spec_.noAutapse ? pv.selfCoupling.data() : nullptr;
    const S* bias = rate && pv.hasBias ? pv.b().data() : nullptr;
    for (int j = 0; j < c; ++j) {
      const S* cf = &coefs(j, 0);
      const S* xj = w.x.row(j).data();
      const S* pj = presyn.row(j).data();
      const S* nz = noisy ? w.noise.row(j).data() : nullptr;
      const S* rec = spec_.lowRank() ? nullptr : w.next.row(j).data();  // read before the same tile is written
      S* next = w.next.row(j).data();
      S* f = rate ? step_rows(w.activity, t, c).row(j).data() : nullptr;
      tiles::for_each_tile<S>(N, [&](int64_t i, auto len) {
        using Tile = tiles::Tile<S, decltype(len)>;
        if (!rate) {
          Tile x1 = leak * tiles::in(xj + i, len);
          if (nz) x1 += tiles::in(nz + i, len);
          tiles::add_combination(x1, alpha, cf, R + K, pv.driveRows.data(), N, i, len);
          if (rec) x1 += alpha * tiles::in(rec + i, len);
          if (self) x1 -= alpha * tiles::in(self + i, len) * tiles::in(pj + i, len);
          tiles::out(next + i, len) = x1;
        } else {
          Tile drive = tiles::combination(cf, R + K, pv.driveRows.data(), N, i, len);
          if (rec) drive += tiles::in(rec + i, len);
          if (self) drive -= tiles::in(self + i, len) * tiles::in(pj + i, len);
          if (bias) drive += tiles::in(bias + i, len);
          if (nz) drive += tiles::in(nz + i, len);
          spec_.transfer.apply(drive, drive);
          tiles::out(f + i, len) = drive;
          tiles::out(next + i, len) = leak * tiles::in(xj + i, len) + alpha * drive;
        }
      });
    }
  }

  void process_chunk(const ParamView<S>& pv, const Problem& pb, const LossBatch<S>& lb, const NoiseOptions& noise,
                     int b0, int c, Workspace<S>& w, const SimulateOutput<S>* out) const {
    const int N = spec_.size, T = lb.steps;
    const bool rate = spec_.formulation == Formulation::Rate;
    const S noiseScale = rate ? S(std::sqrt(2.0 * spec_.noise * spec_.noise / spec_.alpha)) : S(spec_.noise);
    const auto z = sizes(pb, lb, c);
    w.bind(z);
    const auto bias = pv.b();
    const bool needOutputs = (out && out->outputs) || (pb.wantLoss && lb.lossOn == LossOn::Outputs);

    for (int j = 0; j < c; ++j) {
      if (lb.initialStates) w.x.row(j) = CMapVec<S>(lb.initialStates + lb.trial(b0 + j) * N, N);
      else w.x.row(j) = pv.h0();
    }
    for (int t = 0; t <= T; ++t) {
      // w.x holds state t.
      if (z.states) step_rows(w.states, t, c) = w.x;
      if (out && out->states) write_rows(out->states, w.x, b0, t, T + 1);
      if (t > 0 && needOutputs && z.readIn) {
        auto y = step_rows(w.readIn, t - 1, c);
        if (!rate && pv.hasBias) {
          y = w.x.rowwise() + bias;
          spec_.outputTransfer.apply(y.array(), y.array());
        } else {
          spec_.outputTransfer.apply(w.x.array(), y.array());
        }
      }
      if (!rate) {
        auto rt = step_rows(w.activity, t, c);
        if (pv.hasBias) {
          rt = w.x.rowwise() + bias;  // then in place: Eigen does not vectorise tanh of a broadcast
          spec_.transfer.apply(rt.array(), rt.array());
        } else {
          spec_.transfer.apply(w.x.array(), rt.array());
        }
        if (out && out->rates) write_rows(out->rates, rt, b0, t, T + 1);
        if (t == T) break;
        step_forward(pv, lb, noise, noiseScale, rt, b0, t, w);
      } else {
        if (out && out->rates) write_rows(out->rates, w.x, b0, t, T + 1);
        if (t == T) break;
        step_forward(pv, lb, noise, noiseScale, w.x, b0, t, w);
      }
      w.swap_state();
    }

    const MapMat<S> readIn = z.readIn ? w.readIn : MapMat<S>(w.activity.data() + int64_t(c) * N, int64_t(T) * c, N);
    if (needOutputs) w.outputs.noalias() = readIn * pv.readoutRows().transpose();
    if (out && out->outputs) {
      const int O = spec_.outputs;
      for (int j = 0; j < c; ++j)
        for (int t = 0; t < T; ++t)
          Eigen::Map<Vec<S>>(out->outputs + (int64_t(b0 + j) * T + t) * O, O) = w.outputs.row(int64_t(t) * c + j);
    }
    w.loss = 0.0;
    if (!pb.wantLoss) return;

    // The predicted quantity (outputs, rates or states at step t+1) and dL/dprediction.
    const int F = lb.features;
    const MapMat<S> pred = lb.lossOn == LossOn::Outputs ? w.outputs
                           : (lb.lossOn == LossOn::Rates && !rate)
                               ? MapMat<S>(w.activity.data() + int64_t(c) * N, int64_t(T) * c, N)
                               : MapMat<S>(w.states.data() + int64_t(c) * N, int64_t(T) * c, N);
    for (int j = 0; j < c; ++j) {
      const int64_t base = lb.trial(b0 + j) * T;
      double masked = 0.0;
      for (int t = 0; t < T; ++t) masked += double(lb.mask[(base + t) * F]);
      double sse = 0.0;
      const double norm = masked > 0.0 ? 1.0 / (double(F) * masked * double(lb.batch)) : 0.0;
      for (int t = 0; t < T; ++t)
        for (int f = 0; f < F; ++f) {
          const double mk = lb.mask[(base + t) * F + f];
          const double e = mk * (double(lb.targets[(base + t) * F + f]) - double(pred(int64_t(t) * c + j, f)));
          sse += e * e;
          w.predGrad(int64_t(t) * c + j, f) = S(-2.0 * mk * e * norm);
        }
      w.loss += sse * norm;
    }
    if (pb.wantGrad) backward(pv, pb, lb, b0, c, w, readIn);
  }

  // g += dL/dstate_{t+1} of the loss at step t, for the losses that state_gradient does not fold in.
  void add_loss_gradient(const ParamView<S>& pv, const Problem& pb, const LossBatch<S>& lb, int t, int c,
                         Workspace<S>& w, const MapMat<S>& readIn) const {
    const bool rate = spec_.formulation == Formulation::Rate;
    const int N = spec_.size, R = pv.rank, O = spec_.outputs;
    const MapMat<S> dPred = step_rows(w.predGrad, t, c);
    if (dPred.isZero(0)) return;  // no loss at this step (masked out, as in most steps of the decision tasks)
    if (lb.lossOn == LossOn::Outputs) {
      const MapMat<S> y = step_rows(readIn, t, c);
      auto& dy = w.back;  // scratch
      const S* readout = pv.readoutRows().data();
      for (int j = 0; j < c; ++j)
        tiles::for_each_tile<S>(N, [&](int64_t i, auto len) {
          tiles::out(dy.row(j).data() + i, len) = tiles::combination(&dPred(j, 0), O, readout, N, i, len);
        });
      if (pb.needReadout) tiles::accumulate_outer(w.gBack.row(R).data(), O, dPred.data(), O, S(1), y.data(), c, N);
      spec_.outputTransfer.scale_by_derivative(y.array(), dy.array());
      w.g += dy;
      if (!rate && pb.needBias) add_rows(dy, w.gb);
    } else if (lb.lossOn == LossOn::Rates && !rate) {
      w.back = dPred;
      spec_.transfer.scale_by_derivative(step_rows(w.activity, t + 1, c).array(), w.back.array());
      w.g += w.back;
      if (pb.needBias) add_rows(w.back, w.gb);
    } else {
      w.g += dPred;
    }
  }

  // Back through the drive of step s (state s -> s+1), with w.g = dL/dx_{s+1}. Returns the drive gradient d of each
  // trial as d_rows * d_scale (the drive enters x_{s+1} as alpha * drive, inside f for the rate formulation), puts
  // m^T d into backCoefs, adds the m and input gradients, and for full-rank nets leaves wrec^T d in w.back.
  std::pair<const S*, S> drive_gradient(const ParamView<S>& pv, const Problem& pb, int s, int c,
                                        Workspace<S>& w) const {
    const int N = spec_.size, R = pv.rank, K = spec_.inputs;
    const S alpha = S(spec_.alpha);
    const S* d = w.g.data();
    S scale = alpha;
    if (spec_.formulation == Formulation::Rate || !spec_.lowRank()) {
      MapMat<S> dd = spec_.lowRank() ? w.ga : step_rows(w.driveGrads, s, c);
      dd = alpha * w.g;
      if (spec_.formulation == Formulation::Rate) {
        spec_.transfer.scale_by_derivative(step_rows(w.activity, s, c).array(), dd.array());
        if (pb.needBias) add_rows(dd, w.gb);
      }
      d = dd.data();
      scale = S(1);
    }
    if (spec_.lowRank()) tiles::project(d, c, N, pv.mRows().data(), R, scale, w.backCoefs.data(), R + spec_.outputs);
    else block_product::product(d, N, 1, c, N, pv.wrec().data(), N, N, w.back.data(), N);
    tiles::accumulate_outer(w.gDrive.data(), R + (pb.needInputs ? K : 0), step_rows(w.driveCoefs, s, c).data(),
                            R + K, scale, d, c, N);
    return {d, scale};
  }

  // dL/dx_s = (1 - alpha) dL/dx_{s+1} + the gradient through the presynaptic activity of state s: w.g becomes
  // dL/dx_s. That gradient is the combination of backCoefs columns [first, last) with the matching backRows (plus
  // wrec^T d in w.back for full-rank nets, minus the diagonal without autapses), times phi' in the current
  // formulation. The n and readout gradients of the same columns are added on the way.
  void state_gradient(const ParamView<S>& pv, const Problem& pb, int s, int c, int first, int last,
                      std::pair<const S*, S> drive, Workspace<S>& w) const {
    const int N = spec_.size, R = pv.rank, O = spec_.outputs;
    const bool rate = spec_.formulation == Formulation::Rate;
    const MapMat<S> presyn = step_rows(rate ? w.states : w.activity, s, c);
    const auto [d, dScale] = drive;
    const S* self = d && spec_.lowRank() && spec_.noAutapse ? pv.selfCoupling.data() : nullptr;
    const bool fullRec = d && !spec_.lowRank();
    const S* dirs = pv.backRows.data() + int64_t(first) * N;
    const S leak = S(1) - S(spec_.alpha);
    S* gb = !rate && pb.needBias ? w.gb.data() : nullptr;
    for (int j = 0; j < c; ++j) {
      const S* cf = &w.backCoefs(j, first);
      const S* pj = presyn.row(j).data();
      const S* dj = d ? d + int64_t(j) * N : nullptr;
      const S* rec = fullRec ? w.back.row(j).data() : nullptr;
      S* gj = w.g.row(j).data();
      tiles::for_each_tile<S>(N, [&](int64_t i, auto len) {
        using Tile = tiles::Tile<S, decltype(len)>;
        Tile et = tiles::combination(cf, last - first, dirs, N, i, len);
        if (rec) et += tiles::in(rec + i, len);
        if (self) {
          const Tile dt = dScale * tiles::in(dj + i, len);
          et -= tiles::in(self + i, len) * dt;
          tiles::out(w.gSelf.data() + i, len) += dt * tiles::in(pj + i, len);
        }
        if (!rate) spec_.transfer.scale_by_derivative(tiles::in(pj + i, len), et);
        if (gb) tiles::out(gb + i, len) += et;
        auto g = tiles::out(gj + i, len);  // d, when it is w.g, is not read after this tile
        g = leak * g + et;
      });
    }
    const int accLast = pb.needReadout ? last : std::min(last, R);
    if (accLast > first)
      tiles::accumulate_outer(w.gBack.data() + int64_t(first) * N, accLast - first, &w.backCoefs(0, first), R + O,
                              S(1), presyn.data(), c, N);
  }

  void backward(const ParamView<S>& pv, const Problem& pb, const LossBatch<S>& lb, int b0, int c, Workspace<S>& w,
                const MapMat<S>& readIn) const {
    const int N = spec_.size, T = lb.steps, R = pv.rank, O = spec_.outputs, K = spec_.inputs;
    // A readout of the activity itself: its loss gradient joins the recurrent one before the shared phi'.
    const bool foldReadout = lb.lossOn == LossOn::Outputs && readout_is_activity() && O > 0;
    for (MapMat<S>* acc : {&w.gDrive, &w.gBack, &w.gb, &w.gSelf}) acc->setZero();
    w.g.setZero();

    // State s from T down to 0; w.g holds dL/dx_{s+1} on entry and dL/dx_s on exit.
    for (int s = T; s >= 0; --s) {
      if (s < T && !foldReadout) add_loss_gradient(pv, pb, lb, s, c, w, readIn);
      std::pair<const S*, S> drive{nullptr, S(0)};
      int first = R, last = R;  // backCoefs columns in use: [0, R) back through step s, [R, R + O) the readout
      if (s < T) {
        drive = drive_gradient(pv, pb, s, c, w);
        first = 0;
      }
      if (foldReadout && s > 0) {
        const MapMat<S> dPred = step_rows(w.predGrad, s - 1, c);
        if (!dPred.isZero(0)) {
          w.backCoefs.rightCols(O) = dPred;
          last = R + O;
        }
      }
      if (s < T || last > first) state_gradient(pv, pb, s, c, first, last, drive, w);
    }

    // Gather the accumulators into the layout.
    w.grad.assign(layout_.total, S(0));
    auto gradMat = [&](int id, int rows, int cols) { return MapMat<S>(w.grad.data() + layout_.seg[id].offset, rows, cols); };
    auto gradVec = [&](int id, int len) { return Eigen::Map<Vec<S>>(w.grad.data() + layout_.seg[id].offset, len); };
    gradVec(kB, N) = w.gb.row(0);
    if (!lb.initialStates) {  // with given initial states, h0 is not used
      auto gh0 = gradVec(kH0, N);
      for (int j = 0; j < c; ++j) gh0 += w.g.row(j);
    }
    if (spec_.lowRank()) {
      auto gm = gradMat(kM, N, R);
      auto gn = gradMat(kN, N, R);
      gm = w.gDrive.topRows(R).transpose();
      gn = w.gBack.topRows(R).transpose() / S(N);
      if (spec_.noAutapse) {
        const auto m = pv.m();
        const auto n = pv.n();
        for (int r = 0; r < R; ++r) {
          gm.col(r).array() -= w.gSelf.row(0).transpose().array() * n.col(r).array() / S(N);
          gn.col(r).array() -= w.gSelf.row(0).transpose().array() * m.col(r).array() / S(N);
        }
      }
    } else {
      const bool rate = spec_.formulation == Formulation::Rate;
      const MapMat<S> presynAll(rate ? w.states.data() : w.activity.data(), int64_t(T) * c, N);
      block_product::product(w.driveGrads.data(), 1, N, N, T * c, presynAll.data(), N, N,
                             w.grad.data() + layout_.seg[kWrec].offset, N);  // driveGrads^T presynAll
    }
    if (K > 0) {
      auto gwi = gradMat(kWi, K, N);
      auto gsi = gradVec(kSi, K);
      const auto wi = pv.wi();
      const auto si = pv.si();
      for (int k = 0; k < K; ++k) {
        gwi.row(k) = w.gDrive.row(R + k) * si(k);
        gsi(k) = w.gDrive.row(R + k).dot(wi.row(k));
      }
    }
    if (lb.lossOn == LossOn::Outputs && O > 0) {
      const S scale = S(spec_.readoutScale());
      auto gwo = gradMat(kWo, N, O);
      auto gso = gradVec(kSo, O);
      const auto wo = pv.wo();
      const auto so = pv.so();
      for (int o = 0; o < O; ++o) {
        gwo.col(o) = w.gBack.row(R + o).transpose() * (so(o) * scale);
        gso(o) = w.gBack.row(R + o).dot(wo.col(o).transpose()) * scale;
      }
    }
  }

  ModelSpec spec_;
  ParamLayout layout_;
  AlignedVector<S> params_;
  int threads_;
  int threadLimit_ = 0;  // see limitThreads
  ThreadPool pool_;
  OptimizerState opt_;
  std::vector<Workspace<S>> workspaces_;
  AlignedVector<S> wrecT_;
};

}  // namespace

template <class S>
std::unique_ptr<Backend<S>> make_cpu_backend(const ModelSpec& spec, int threads) {
  return std::make_unique<CpuBackend<S>>(spec, threads);
}

template std::unique_ptr<Backend<float>> make_cpu_backend<float>(const ModelSpec&, int);
template std::unique_ptr<Backend<double>> make_cpu_backend<double>(const ModelSpec&, int);

}  // namespace lowrank
