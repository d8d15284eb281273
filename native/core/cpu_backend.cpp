// CPU backend: batched forward pass, BPTT and Adam over trial chunks.
//
// Trials are processed in chunks of a fixed size (independent of the thread count); inside a chunk all arrays are
// time-major ([t * c + j, :] is trial j at step t) so every per-step operation is one small matrix product, and the
// weight gradients are one large product over all steps at the end. Chunk results are added in chunk order, so the
// same seed gives bit-identical results with any number of threads.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "backend.hpp"
#include "memory_guard.hpp"
#include "rng.hpp"

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
  Mat<S> inputWeights;   // diag(si) wi, K x N
  Mat<S> readoutWeights; // wo diag(so) * readoutScale, N x O
  Vec<S> selfCoupling;   // low-rank no-autapse: J_ii = sum_r m_ir n_ir / N

  ParamView(const ModelSpec& s, const ParamLayout& l, const S* p) : spec(s), layout(l), data(p) {
    const int N = s.size, K = s.inputs, O = s.outputs;
    inputWeights = wi();
    for (int k = 0; k < K; ++k) inputWeights.row(k) *= si()(k);
    readoutWeights = wo();
    for (int o = 0; o < O; ++o) readoutWeights.col(o) *= so()(o) * S(s.readoutScale());
    if (s.lowRank() && s.noAutapse)
      selfCoupling = (m().array() * n().array()).rowwise().sum().transpose() / S(N);
  }
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

struct Problem {
  int batch = 0, steps = 0, features = 0;
  LossOn lossOn = LossOn::Outputs;
  bool wantLoss = false, wantGrad = false;
};

// Per-thread scratch memory, kept between calls: one aligned arena carved into the views of the chunk at hand, so
// that no step allocates (fresh pages cost more than the arithmetic here).
template <class S>
struct Workspace {
  MapMat<S> states{nullptr, 0, 0};      // (T+1)c x N: x (current) or s (rate)
  MapMat<S> activity{nullptr, 0, 0};    // current: (T+1)c x N, phi(x + b); rate: Tc x N, f(pre)
  MapMat<S> overlaps{nullptr, 0, 0};    // Tc x R, kappa_t = n^T presyn_t / N (low-rank)
  MapMat<S> drive{nullptr, 0, 0};       // Tc x N, input drive u_t Win
  MapMat<S> chunkInputs{nullptr, 0, 0}; // Tc x K
  MapMat<S> readIn{nullptr, 0, 0};      // Tc x N, phi_out(...) when it is not already stored
  MapMat<S> outputs{nullptr, 0, 0};     // Tc x O
  MapMat<S> predGrad{nullptr, 0, 0};    // Tc x F, dL/dprediction
  MapMat<S> lossGrad{nullptr, 0, 0};    // Tc x N, dL/dstate_{t+1} from the loss
  MapMat<S> recGrad{nullptr, 0, 0};     // Tc x N, dL/d(recurrent input) per step
  MapMat<S> overlapGrad{nullptr, 0, 0}; // Tc x R
  MapMat<S> tmp{nullptr, 0, 0};         // Tc x N
  MapMat<S> g{nullptr, 0, 0}, back{nullptr, 0, 0}, deriv{nullptr, 0, 0};  // c x N
  MapMat<S> noiseRow{nullptr, 0, 0};    // 1 x N
  AlignedVector<S> grad;  // chunk gradient, layout order
  double loss = 0.0;

  static int64_t padded(int64_t n) { return (n + 15) / 16 * 16; }
  static int64_t arena_size(int64_t T, int64_t c, int64_t N, int64_t R, int64_t K, int64_t O, int64_t F) {
    return padded((T + 1) * c * N) * 2 + padded(T * c * N) * 5 + padded(T * c * R) * 2 + padded(T * c * K) +
           padded(T * c * O) + padded(T * c * F) + padded(c * N) * 3 + padded(N);
  }

  // Points every view at its part of the arena, for a chunk of c trials.
  void bind(int64_t T, int64_t c, int64_t N, int64_t R, int64_t K, int64_t O, int64_t F) {
    const int64_t need = arena_size(T, c, N, R, K, O, F);
    if (int64_t(arena_.size()) < need) arena_.resize(need);
    S* next = arena_.data();
    auto take = [&](MapMat<S>& view, int64_t rows, int64_t cols) {
      new (&view) MapMat<S>(next, rows, cols);
      next += padded(rows * cols);
    };
    take(states, (T + 1) * c, N);
    take(activity, (T + 1) * c, N);
    take(drive, T * c, N);
    take(readIn, T * c, N);
    take(lossGrad, T * c, N);
    take(recGrad, T * c, N);
    take(tmp, T * c, N);
    take(overlaps, T * c, R);
    take(overlapGrad, T * c, R);
    take(chunkInputs, T * c, K);
    take(outputs, T * c, O);
    take(predGrad, T * c, F);
    take(g, c, N);
    take(back, c, N);
    take(deriv, c, N);
    take(noiseRow, 1, N);
  }

 private:
  AlignedVector<S> arena_;
};

inline int chunk_size(const ModelSpec& s) { return s.lowRank() ? 8 : 16; }

template <class S>
class CpuBackend final : public Backend<S> {
 public:
  CpuBackend(const ModelSpec& spec, int threads)
      : spec_(spec), layout_(spec), params_(layout_.total, S(0)),
        threads_(std::max(1, threads)) {
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
    pb.batch = batch;
    pb.steps = steps;
    LossBatch<S> lb;
    lb.inputs = inputs;
    lb.initialStates = initialStates;
    lb.batch = batch;
    lb.steps = steps;
    run(pb, lb, noise, params_.data(), nullptr, &out);
  }

  double lossAndGradient(const LossBatch<S>& lb, const NoiseOptions& noise, S* grad) override {
    Problem pb;
    pb.batch = lb.batch;
    pb.steps = lb.steps;
    pb.features = lb.features;
    pb.lossOn = lb.lossOn;
    pb.wantLoss = true;
    pb.wantGrad = grad != nullptr;
    return run(pb, lb, noise, params_.data(), grad, nullptr);
  }

  int trainSteps(const TrainData<S>& d, const AdamOptions& adam, uint64_t seed, bool noise,
                 const std::function<void(const TrainStepReport&)>& onStep,
                 const std::atomic<bool>* abort) override {
    const int B = d.batch, T = d.steps, K = spec_.inputs, F = d.features;
    std::vector<S> inputs(size_t(B) * T * K), targets(size_t(B) * T * F), mask(size_t(B) * T * F);
    AlignedVector<S> grad(layout_.total);
    ensure_optimizer();
    int done = 0;
    for (int s = 0; s < d.optimizerSteps; ++s) {
      if (abort && abort->load()) break;
      const int32_t* idx = d.indices + size_t(s) * B;
      for (int j = 0; j < B; ++j) {
        const int e = idx[j];
        if (e < 0 || e >= d.examples) throw std::range_error("minibatch index out of range");
        std::copy_n(d.inputs + size_t(e) * T * K, size_t(T) * K, inputs.data() + size_t(j) * T * K);
        std::copy_n(d.targets + size_t(e) * T * F, size_t(T) * F, targets.data() + size_t(j) * T * F);
        std::copy_n(d.mask + size_t(e) * T * F, size_t(T) * F, mask.data() + size_t(j) * T * F);
      }
      LossBatch<S> lb;
      lb.inputs = inputs.data();
      lb.targets = targets.data();
      lb.mask = mask.data();
      lb.batch = B;
      lb.steps = T;
      lb.features = F;
      lb.lossOn = d.lossOn;
      Problem pb;
      pb.batch = B;
      pb.steps = T;
      pb.features = F;
      pb.lossOn = d.lossOn;
      pb.wantLoss = pb.wantGrad = true;
      NoiseOptions nz{noise, seed, static_cast<uint32_t>(opt_.step + 1)};
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
    double sq = 0.0;
    for (int64_t i = 0; i < layout_.total; ++i) sq += double(grad[i]) * double(grad[i]);
    const double norm = std::sqrt(sq);
    double scale = 1.0;
    if (a.clip > 0.0 && norm > a.clip) scale = a.clip / (norm + 1e-6);
    opt_.step += 1;
    const double bc1 = 1.0 - std::pow(a.beta1, double(opt_.step));
    const double bc2 = 1.0 - std::pow(a.beta2, double(opt_.step));
    const double stepSize = a.lr / bc1, sqrtBc2 = std::sqrt(bc2);
    for (int id = 0; id < kParamCount; ++id) {
      const auto& sg = layout_.seg[id];
      if (!sg.count || !spec_.trainable[id]) continue;
      for (int64_t i = sg.offset; i < sg.offset + sg.count; ++i) {
        const double g = double(grad[i]) * scale;
        opt_.m[i] = a.beta1 * opt_.m[i] + (1.0 - a.beta1) * g;
        opt_.v[i] = a.beta2 * opt_.v[i] + (1.0 - a.beta2) * g * g;
        const double denom = std::sqrt(opt_.v[i]) / sqrtBc2 + a.eps;
        params_[i] = S(double(params_[i]) - stepSize * opt_.m[i] / denom);
      }
    }
    apply_constraints(params_.data());
    return norm;
  }

  // Forward pass over all trials (and BPTT when asked), chunk by chunk on the thread pool.
  double run(const Problem& pb, const LossBatch<S>& lb, const NoiseOptions& noise, const S* params, S* grad,
             const SimulateOutput<S>* out) {
    const ParamView<S> pv(spec_, layout_, params);
    const int c = chunk_size(spec_);
    const int chunks = (pb.batch + c - 1) / c;
    const int workers = std::min(threads_, chunks);
    check_workspace_fits(pb, c, workers);

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
          const int b0 = k * c, cc = std::min(c, pb.batch - b0);
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
    if (workers == 1) {
      worker(0);
    } else {
      std::vector<std::thread> pool;
      for (int w = 0; w < workers; ++w) pool.emplace_back(worker, w);
      for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);
    return totalLoss;
  }

  void check_workspace_fits(const Problem& pb, int c, int workers) const {
    const double arena = double(Workspace<S>::arena_size(pb.steps, c, spec_.size, std::max(spec_.rank, 1), spec_.inputs,
                                                         spec_.outputs, std::max(pb.features, 1)));
    const double bytes = (arena + (pb.wantGrad ? double(layout_.total) : 0.0)) * sizeof(S) * workers;
    ensure_allocation_fits(bytes, "working memory for the forward and backward passes");
  }

  void process_chunk(const ParamView<S>& pv, const Problem& pb, const LossBatch<S>& lb, const NoiseOptions& noise,
                     int b0, int c, Workspace<S>& w, const SimulateOutput<S>* out) const {
    const int N = spec_.size, T = pb.steps, K = spec_.inputs, R = spec_.rank, O = spec_.outputs;
    const bool rate = spec_.formulation == Formulation::Rate;
    const S alpha = S(spec_.alpha), leak = S(1) - alpha;
    const bool noisy = noise.enabled && spec_.noise > 0.0;
    const S noiseScale = rate ? S(std::sqrt(2.0 * spec_.noise * spec_.noise / spec_.alpha)) : S(spec_.noise);
    const bool lowRank = spec_.lowRank();
    const bool sharedReadout = !rate && spec_.outputTransfer.kind == spec_.transfer.kind &&
                               spec_.outputTransfer.slope == spec_.transfer.slope;
    const bool needOutputs = (out && out->outputs) || (pb.wantLoss && pb.lossOn == LossOn::Outputs);

    w.bind(T, c, N, std::max(R, 1), K, O, std::max(pb.features, 1));

    // Gather inputs time-major and compute every step's input drive in one product.
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < c; ++j)
        for (int k = 0; k < K; ++k) w.chunkInputs(int64_t(t) * c + j, k) = lb.inputs[(int64_t(b0 + j) * T + t) * K + k];
    if (K > 0) w.drive.noalias() = w.chunkInputs * pv.inputWeights;
    else w.drive.setZero();

    for (int j = 0; j < c; ++j) {
      if (lb.initialStates) w.states.row(j) = CMapVec<S>(lb.initialStates + int64_t(b0 + j) * N, N);
      else w.states.row(j) = pv.h0();
    }
    const auto bias = pv.b();

    auto recurrent = [&](int t, const auto& pre, auto&& dst) {
      // dst = J pre, J = m n^T / N (minus its diagonal without autapses) or wrec.
      if (lowRank) {
        auto kap = w.overlaps.middleRows(int64_t(t) * c, c);
        kap.noalias() = pre * pv.n() * (S(1) / S(N));
        dst.noalias() = kap * pv.m().transpose();
        if (spec_.noAutapse) dst.array() -= pre.array().rowwise() * pv.selfCoupling.array();
      } else {
        dst.noalias() = pre * pv.wrec().transpose();
      }
    };

    for (int t = 0; t < T; ++t) {
      auto xt = w.states.middleRows(int64_t(t) * c, c);
      auto xn = w.states.middleRows(int64_t(t + 1) * c, c);
      const auto dr = w.drive.middleRows(int64_t(t) * c, c);
      if (!rate) {
        auto rt = w.activity.middleRows(int64_t(t) * c, c);
        // (bias added in place first: Eigen does not vectorise transcendental functions of broadcast expressions)
        rt = xt;
        rt.rowwise() += bias;
        spec_.transfer.apply(rt.array(), rt.array());
        recurrent(t, rt, xn);
        xn = leak * xt + alpha * (xn + dr);
        if (noisy)
          for (int j = 0; j < c; ++j) {
            fill_normal_row<S>(w.noiseRow.data(), N, noise.seed, uint32_t(t), uint32_t(b0 + j), noise.stream, noiseScale);
            xn.row(j) += w.noiseRow;
          }
      } else {
        auto ft = w.activity.middleRows(int64_t(t) * c, c);
        recurrent(t, xt, xn);
        xn += dr;
        xn.rowwise() += bias;
        if (noisy)
          for (int j = 0; j < c; ++j) {
            fill_normal_row<S>(w.noiseRow.data(), N, noise.seed, uint32_t(t), uint32_t(b0 + j), noise.stream, noiseScale);
            xn.row(j) += w.noiseRow;
          }
        spec_.transfer.apply(xn.array(), ft.array());
        xn = leak * xt + alpha * ft;
      }
    }
    if (!rate) {
      auto rT = w.activity.middleRows(int64_t(T) * c, c);
      rT = w.states.middleRows(int64_t(T) * c, c);
      rT.rowwise() += bias;
      spec_.transfer.apply(rT.array(), rT.array());
    }

    // Readout input y_t = phi_out(state_{t+1} (+ b)), rows t = 0..T-1.
    auto nextStates = w.states.middleRows(c, int64_t(T) * c);
    const MapMat<S>* readIn = nullptr;
    if (needOutputs) {
      if (sharedReadout) {
        new (&w.readIn) MapMat<S>(w.activity.data() + int64_t(c) * N, int64_t(T) * c, N);
      } else if (rate) {
        spec_.outputTransfer.apply(nextStates.array(), w.readIn.array());
      } else {
        w.readIn = nextStates;
        w.readIn.rowwise() += bias;
        spec_.outputTransfer.apply(w.readIn.array(), w.readIn.array());
      }
      readIn = &w.readIn;
      w.outputs.noalias() = w.readIn * pv.readoutWeights;
    }

    if (out) write_simulation(*out, w, b0, c, T, rate);
    w.loss = 0.0;
    if (!pb.wantLoss) return;

    // The predicted quantity at step t and its loss gradient.
    const int F = pb.features;
    auto prediction = [&]() -> Eigen::Ref<const Mat<S>> {
      if (pb.lossOn == LossOn::Outputs) return w.outputs;
      if (pb.lossOn == LossOn::Rates && !rate) return w.activity.middleRows(c, int64_t(T) * c);
      return nextStates;
    };
    const Eigen::Ref<const Mat<S>> pred = prediction();
    for (int j = 0; j < c; ++j) {
      const int64_t base = int64_t(b0 + j) * T;
      double masked = 0.0;
      for (int t = 0; t < T; ++t) masked += double(lb.mask[(base + t) * F]);
      double sse = 0.0;
      const double norm = masked > 0.0 ? 1.0 / (double(F) * masked * double(pb.batch)) : 0.0;
      for (int t = 0; t < T; ++t)
        for (int f = 0; f < F; ++f) {
          const double mk = lb.mask[(base + t) * F + f];
          const double e = mk * (double(lb.targets[(base + t) * F + f]) - double(pred(int64_t(t) * c + j, f)));
          sse += e * e;
          w.predGrad(int64_t(t) * c + j, f) = S(-2.0 * mk * e * norm);
        }
      w.loss += sse * norm;
    }
    if (!pb.wantGrad) return;
    backward(pv, pb, w, c, readIn);
  }

  void write_simulation(const SimulateOutput<S>& out, const Workspace<S>& w, int b0, int c, int T, bool rate) const {
    const int N = spec_.size, O = spec_.outputs;
    for (int j = 0; j < c; ++j)
      for (int t = 0; t <= T; ++t) {
        const int64_t row = int64_t(t) * c + j, dst = (int64_t(b0 + j) * (T + 1) + t) * N;
        if (out.states) Eigen::Map<Vec<S>>(out.states + dst, N) = w.states.row(row);
        if (out.rates) Eigen::Map<Vec<S>>(out.rates + dst, N) = rate ? w.states.row(row) : w.activity.row(row);
        if (out.outputs && t < T) Eigen::Map<Vec<S>>(out.outputs + (int64_t(b0 + j) * T + t) * O, O) = w.outputs.row(row);
      }
  }

  void backward(const ParamView<S>& pv, const Problem& pb, Workspace<S>& w, int c, const MapMat<S>* readIn) const {
    const int N = spec_.size, T = pb.steps, R = spec_.rank, O = spec_.outputs;
    const bool rate = spec_.formulation == Formulation::Rate;
    const bool lowRank = spec_.lowRank();
    const S alpha = S(spec_.alpha), leak = S(1) - alpha;
    w.grad.assign(layout_.total, S(0));
    auto gradMat = [&](int id, int rows, int cols) { return MapMat<S>(w.grad.data() + layout_.seg[id].offset, rows, cols); };
    auto gradVec = [&](int id, int len) { return Eigen::Map<Vec<S>>(w.grad.data() + layout_.seg[id].offset, len); };
    auto gb = gradVec(kB, N);

    // Loss gradient with respect to state_{t+1}.
    if (pb.lossOn == LossOn::Outputs) {
      const S scale = S(spec_.readoutScale());
      Mat<S> gradReadout = readIn->transpose() * w.predGrad;  // d/d(wo diag(so) * scale), N x O
      auto gwo = gradMat(kWo, N, O);
      auto gso = gradVec(kSo, O);
      const auto wo = pv.wo();
      const auto so = pv.so();
      for (int o = 0; o < O; ++o) {
        gwo.col(o) = gradReadout.col(o) * (so(o) * scale);
        gso(o) = (gradReadout.col(o).array() * wo.col(o).array()).sum() * scale;
      }
      w.lossGrad.noalias() = w.predGrad * pv.readoutWeights.transpose();
      spec_.outputTransfer.derivative_from_output(readIn->array(), w.tmp.array());
      w.lossGrad.array() *= w.tmp.array();
      if (!rate) gb += w.lossGrad.colwise().sum();
    } else if (pb.lossOn == LossOn::Rates && !rate) {
      spec_.transfer.derivative_from_output(w.activity.middleRows(c, int64_t(T) * c).array(), w.tmp.array());
      w.lossGrad = w.predGrad.array() * w.tmp.array();
      gb += w.lossGrad.colwise().sum();
    } else {
      w.lossGrad = w.predGrad;
    }

    // Backward through time. recGrad_t is the gradient with respect to the recurrent+input drive at step t
    // (current: alpha * g; rate: alpha * g * f'), whose presynaptic factor is activity_t (current) or state_t (rate).
    w.g.setZero();
    auto& back = w.back;
    auto& deriv = w.deriv;
    for (int t = T - 1; t >= 0; --t) {
      w.g += w.lossGrad.middleRows(int64_t(t) * c, c);
      auto ga = w.recGrad.middleRows(int64_t(t) * c, c);
      const auto presyn = rate ? w.states.middleRows(int64_t(t) * c, c) : w.activity.middleRows(int64_t(t) * c, c);
      if (rate) {
        spec_.transfer.derivative_from_output(w.activity.middleRows(int64_t(t) * c, c).array(), deriv.array());
        ga = alpha * w.g.array() * deriv.array();
        gb += ga.colwise().sum();
      } else {
        ga = alpha * w.g;
      }
      if (lowRank) {
        auto gk = w.overlapGrad.middleRows(int64_t(t) * c, c);
        gk.noalias() = ga * pv.m();
        back.noalias() = gk * pv.n().transpose() * (S(1) / S(N));
        if (spec_.noAutapse) back.array() -= ga.array().rowwise() * pv.selfCoupling.array();
      } else {
        back.noalias() = ga * pv.wrec();
      }
      if (rate) {
        w.g = leak * w.g + back;
      } else {
        spec_.transfer.derivative_from_output(presyn.array(), deriv.array());
        back.array() *= deriv.array();
        gb += back.colwise().sum();
        w.g = leak * w.g + back;
      }
    }
    gradVec(kH0, N) = w.g.colwise().sum();

    // Weight gradients as single products over all steps.
    const auto presynAll = rate ? w.states.topRows(int64_t(T) * c) : w.activity.topRows(int64_t(T) * c);
    if (lowRank) {
      auto gm = gradMat(kM, N, R);
      auto gn = gradMat(kN, N, R);
      gm.noalias() = w.recGrad.transpose() * w.overlaps;
      gn.noalias() = presynAll.transpose() * w.overlapGrad * (S(1) / S(N));
      if (spec_.noAutapse) {
        const Vec<S> self = (w.recGrad.array() * presynAll.array()).colwise().sum() / S(N);
        const auto m = pv.m();
        const auto n = pv.n();
        for (int r = 0; r < R; ++r) {
          gm.col(r).array() -= self.transpose().array() * n.col(r).array();
          gn.col(r).array() -= self.transpose().array() * m.col(r).array();
        }
      }
    } else {
      gradMat(kWrec, N, N).noalias() = w.recGrad.transpose() * presynAll;
    }
    const int K = spec_.inputs;
    if (K > 0) {
      const Mat<S> gWin = w.chunkInputs.transpose() * w.recGrad;  // K x N
      auto gwi = gradMat(kWi, K, N);
      auto gsi = gradVec(kSi, K);
      const auto wi = pv.wi();
      const auto si = pv.si();
      for (int k = 0; k < K; ++k) {
        gwi.row(k) = gWin.row(k) * si(k);
        gsi(k) = (gWin.row(k).array() * wi.row(k).array()).sum();
      }
    }
  }

  ModelSpec spec_;
  ParamLayout layout_;
  AlignedVector<S> params_;
  int threads_;
  OptimizerState opt_;
  std::vector<Workspace<S>> workspaces_;
};

}  // namespace

template <class S>
std::unique_ptr<Backend<S>> make_cpu_backend(const ModelSpec& spec, int threads) {
  return std::make_unique<CpuBackend<S>>(spec, threads);
}

template std::unique_ptr<Backend<float>> make_cpu_backend<float>(const ModelSpec&, int);
template std::unique_ptr<Backend<double>> make_cpu_backend<double>(const ModelSpec&, int);

}  // namespace lowrank
