// The one interface every backend (CPU, CUDA) implements. Arrays are row-major and batch-major ([B, T, F]),
// allocated by the caller. No Node or CUDA types appear here.
#pragma once
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.hpp"

namespace lowrank {

struct NoiseOptions {
  bool enabled = true;    // false: deterministic dynamics whatever spec.noise says
  uint64_t seed = 0;
  uint32_t stream = 0;    // 0 for simulations; the optimizer step count during training
};

template <class S>
struct SimulateOutput {
  S* states = nullptr;   // [B, T+1, N] or null
  S* rates = nullptr;    // [B, T+1, N] or null
  S* outputs = nullptr;  // [B, T, O] or null
};

template <class S>
struct LossBatch {
  const S* inputs = nullptr;   // [B, T, K]
  const S* targets = nullptr;  // [B, T, F]
  const S* mask = nullptr;     // [B, T, F]
  const S* initialStates = nullptr;  // [B, N] or null (then h0)
  // Row of inputs/targets/mask/initialStates that batch position b reads: trials[b], or b when null (lets a minibatch
  // be a selection of a dataset's trials without copying them).
  const int32_t* trials = nullptr;
  int batch = 0, steps = 0, features = 0;
  LossOn lossOn = LossOn::Outputs;

  int64_t trial(int b) const { return trials ? trials[b] : b; }
};

// Adam's settings, with no defaults here: the caller sets every field (the defaults live in one table, TypeScript's
// TRAIN_DEFAULTS).
struct AdamOptions {
  double lr, beta1, beta2, eps;
  double clip;                       // global gradient-norm clip; 0 = off
  double weightDecay[kParamCount];   // L2 decay per parameter (PyTorch Adam's weight_decay); 0 = none
};

// The scalars of Adam update number `step` (1-based) for a gradient of global norm `gradNorm`, the same on every
// backend: the gradient is multiplied by clipScale (global-norm clipping), the parameter's decay is added
// (g = clipScale grad + weightDecay p: PyTorch's Adam adds it inside step(), after clip_grad_norm_ ran), then with
// moments m and v, p -= stepSize m / (sqrt(v) / sqrtBc2 + eps).
struct AdamScalars {
  double clipScale, stepSize, sqrtBc2;
};
inline AdamScalars adam_scalars(const AdamOptions& a, int64_t step, double gradNorm) {
  AdamScalars s;
  s.clipScale = a.clip > 0.0 && gradNorm > a.clip ? a.clip / (gradNorm + 1e-6) : 1.0;
  s.stepSize = a.lr / (1.0 - std::pow(a.beta1, double(step)));
  s.sqrtBc2 = std::sqrt(1.0 - std::pow(a.beta2, double(step)));
  return s;
}

struct TrainStepReport {
  int step = 0;          // 0-based within the call
  double loss = 0.0;     // loss of the minibatch before the update
  double gradNorm = 0.0; // before clipping
};

// The dataset a training call samples minibatches from, plus the minibatch indices to use.
template <class S>
struct TrainData {
  const S* inputs = nullptr;   // [D, T, K]
  const S* targets = nullptr;  // [D, T, F]
  const S* mask = nullptr;     // [D, T, F]
  int examples = 0, steps = 0, features = 0;
  LossOn lossOn = LossOn::Outputs;
  const int32_t* indices = nullptr;  // [optimizerSteps, batch]
  int optimizerSteps = 0, batch = 0;
};

struct OptimizerState {
  int64_t step = 0;
  std::vector<double> m, v;  // Adam moments, one per parameter entry
};

template <class S>
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const ModelSpec& spec() const = 0;
  virtual const ParamLayout& layout() const = 0;
  virtual std::string name() const = 0;

  virtual void getParams(S* out) const = 0;  // layout().total entries
  virtual void setParams(const S* in) = 0;   // applies the structural constraints (Dale, masks, no autapse)

  virtual void simulate(const S* inputs, const S* initialStates, int batch, int steps, const NoiseOptions& noise,
                        const SimulateOutput<S>& out) = 0;
  // Loss of a batch and, when grad is not null, its gradient with respect to every parameter (frozen ones included).
  virtual double lossAndGradient(const LossBatch<S>& batch, const NoiseOptions& noise, S* grad) = 0;

  // Runs data.optimizerSteps Adam steps. Noise for a step (when drawNoise) is keyed by (seed, optimizer step count).
  // `onStep` is called after each step; `abort` (this call's own flag) is polled before each step. Returns the number
  // of steps run.
  virtual int trainSteps(const TrainData<S>& data, const AdamOptions& adam, uint64_t seed, bool drawNoise,
                         const std::function<void(const TrainStepReport&)>& onStep,
                         const std::atomic<bool>* abort) = 0;

  virtual OptimizerState optimizerState() const = 0;
  virtual void setOptimizerState(const OptimizerState& state) = 0;

  // Caps the threads the following calls use (0: all the backend's threads); results do not depend on it. An
  // ensemble's members run side by side, one or a few threads each.
  virtual void limitThreads(int /*threads*/) {}

  // Device memory this backend holds (0 for the CPU backend); freed with the backend.
  virtual size_t deviceMemoryBytes() const { return 0; }
};

// Threads used by the CPU backend; results do not depend on it.
template <class S>
std::unique_ptr<Backend<S>> make_cpu_backend(const ModelSpec& spec, int threads);

}  // namespace lowrank
