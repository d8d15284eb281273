// The training workers of NativeModel: trainSteps (one model's Adam steps) and trainEnsemble (the Adam steps of
// several models of one shape in one call, members spread over threads), the model holder they share with the other
// NativeModel workers, and the parsing of one training call's arguments. Included by addon.cc only.
#pragma once
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../core/backend.hpp"
#include "../core/epoch_rules.hpp"
#include "../core/thread_pool.hpp"
#include "../cuda/gpu_backend.hpp"
#include "glue.hpp"

namespace lowrank {

class ModelBase {
 public:
  virtual ~ModelBase() = default;
  std::mutex mu;  // serialises calls on one model
  // Set while the initial parameters are being drawn on a worker thread (see InitialValuesWorker in addon.cc); every
  // call waits for it, and a failed draw makes every call throw its error.
  std::shared_future<void> initialised;

  // The model's lock, taken once its initial parameters are in place.
  std::unique_lock<std::mutex> lock() {
    if (initialised.valid()) initialised.get();
    return std::unique_lock<std::mutex>(mu);
  }
};

template <class S>
struct TypedModel : ModelBase {
  using Scalar = S;
  std::unique_ptr<Backend<S>> backend;
};

// Everything one model's training call needs, its arrays held for the life of the worker.
template <class S>
struct TrainCall {
  std::shared_ptr<TypedModel<S>> model;
  glue::HeldTrials<S> trials;
  glue::HeldArray<int32_t> indices;
  TrainData<S> data;
  AdamOptions adam{};
  uint64_t seed = 0;
  bool drawNoise = false;
  // An ensemble member's epochs when the engine strings several together (the indices then hold every epoch's
  // minibatches, epoch after epoch); absent: one epoch's steps, the caller doing the bookkeeping.
  std::optional<EpochPlan> epochs;

  // data with its array pointers set (they are held by this call).
  TrainData<S> bound() const {
    TrainData<S> d = data;
    d.inputs = trials.inputs.data;
    d.targets = trials.targets.data;
    d.mask = trials.mask.data;
    d.indices = indices.data;
    return d;
  }
};

// Adam's settings, and the decay of every parameter of the layout, from trainSteps' options.
inline AdamOptions adam_from(const Napi::Object& opts, const ParamLayout& layout) {
  using namespace glue;
  AdamOptions adam;
  adam.lr = finite_field(opts, "lr");
  adam.beta1 = finite_field(opts, "beta1");
  adam.beta2 = finite_field(opts, "beta2");
  adam.eps = finite_field(opts, "eps");
  adam.clip = finite_field(opts, "clip");
  const Napi::Value decay = required_field(opts, "weightDecay");
  if (!decay.IsObject()) throw Napi::TypeError::New(opts.Env(), "trainSteps: option 'weightDecay' must be an object");
  for (int id = 0; id < kParamCount; ++id) {
    adam.weightDecay[id] = 0.0;  // a parameter this kind of model lacks
    if (layout.seg[id].shape.empty()) continue;
    const std::string key = std::string("weightDecay.") + param_name(id);
    const Napi::Value v = decay.As<Napi::Object>().Get(param_name(id));
    if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() >= 0.0) || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
      throw Napi::TypeError::New(opts.Env(), "trainSteps: option '" + key + "' must be a finite number >= 0");
    adam.weightDecay[id] = v.As<Napi::Number>().DoubleValue();
  }
  return adam;
}

inline int loss_features(const ModelSpec& s, LossOn on) {
  if (on == LossOn::Outputs && s.outputs < 1)
    throw std::invalid_argument("lossOn 'outputs' needs a model with outputs; this one has none (use 'rates' or 'states')");
  return on == LossOn::Outputs ? s.outputs : s.size;
}

// One training call from (inputs, targets, mask, indices, { examples, steps, lossOn, batch, optimizerSteps, lr,
// beta1, beta2, eps, clip, weightDecay: { <param>: number }, seed, drawNoise }). Every option is required. The indices
// hold `epochs` epochs of optimizerSteps minibatches.
template <class S>
TrainCall<S> train_call_from(Napi::Env env, std::shared_ptr<TypedModel<S>> model, const Napi::Value& inputs,
                             const Napi::Value& targets, const Napi::Value& mask, const Napi::Value& indices,
                             const Napi::Object& opts, int epochs = 1) {
  using namespace glue;
  const auto& s = model->backend->spec();
  TrainCall<S> c;
  TrainData<S>& d = c.data;
  d.examples = int_field(opts, "examples");
  d.steps = int_field(opts, "steps");
  d.lossOn = parse_loss_on(string_field(opts, "lossOn"));
  d.features = loss_features(s, d.lossOn);
  d.batch = int_field(opts, "batch");
  d.optimizerSteps = int_field(opts, "optimizerSteps");
  if (d.examples < 1 || d.steps < 1 || d.batch < 1 || d.optimizerSteps < 0)
    throw Napi::RangeError::New(env, "examples, steps and batch must be positive integers, optimizerSteps >= 0");
  const size_t targetLen = size_t(checked_product(env, {d.examples, d.steps, d.features}, "targets"));
  c.trials.inputs = hold_float_array<S>(env, inputs, "inputs", size_t(checked_product(env, {d.examples, d.steps, s.inputs}, "inputs")));
  c.trials.targets = hold_float_array<S>(env, targets, "targets", targetLen);
  c.trials.mask = hold_float_array<S>(env, mask, "mask", targetLen);
  if (!indices.IsTypedArray() || indices.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "indices must be an Int32Array");
  auto ia = indices.As<Napi::Int32Array>();
  if (ia.ElementLength() != size_t(epochs) * size_t(d.batch) * size_t(d.optimizerSteps))
    throw Napi::RangeError::New(env, epochs == 1 ? "indices must have batch * optimizerSteps entries"
                                                 : "indices must have epochs.count * batch * optimizerSteps entries");
  c.indices.ref = Napi::Persistent(indices);
  c.indices.data = ia.Data();
  c.indices.length = ia.ElementLength();
  c.adam = adam_from(opts, model->backend->layout());
  c.seed = seed_field(opts, "seed");
  c.drawNoise = bool_field(opts, "drawNoise");
  c.model = std::move(model);
  return c;
}

// An ensemble member's epoch plan from { count, first, last, bestLoss, plateauEpochs, schedule: 'none' | 'step' |
// 'plateau', every, factor, patience, threshold, minLr, earlyStop: number | null }: train()'s settings and state.
inline EpochPlan epoch_plan_from(const Napi::Object& o) {
  using namespace glue;
  EpochPlan p;
  p.count = int_field(o, "count");
  p.first = int_field(o, "first");
  p.last = int_field(o, "last");
  p.bestLoss = number_field(o, "bestLoss");
  p.plateauEpochs = int_field(o, "plateauEpochs");
  if (p.count < 1 || p.first < 1 || p.last < p.first + p.count - 1 || p.plateauEpochs < 0)
    throw Napi::RangeError::New(o.Env(), "epochs: count and first must be >= 1, last >= first + count - 1, plateauEpochs >= 0");
  const std::string kind = string_field(o, "schedule");
  EpochSchedule& s = p.schedule;
  if (kind == "step") {
    s.kind = EpochSchedule::Kind::Step;
    s.every = int_field(o, "every");
    s.factor = finite_field(o, "factor");
    if (s.every < 1) throw Napi::RangeError::New(o.Env(), "epochs.every must be >= 1");
  } else if (kind == "plateau") {
    s.kind = EpochSchedule::Kind::Plateau;
    s.factor = finite_field(o, "factor");
    s.patience = int_field(o, "patience");
    s.threshold = finite_field(o, "threshold");
    s.minLr = finite_field(o, "minLr");
  } else if (kind != "none") {
    throw Napi::RangeError::New(o.Env(), "epochs.schedule must be 'none', 'step' or 'plateau'; got '" + kind + "'");
  }
  const Napi::Value stop = o.Get("earlyStop");
  if (!stop.IsNull() && !stop.IsUndefined()) {
    p.earlyStop = true;
    p.earlyStopBelow = number_field(o, "earlyStop");
  }
  return p;
}

// What one model's training call did: the losses and gradient norms of its steps, or the error that stopped it.
struct TrainOutcome {
  int completed = 0;
  std::vector<double> losses, gradNorms;
  bool failed = false;
  glue::ClassifiedError error;

  Napi::Object value(Napi::Env env, int optimizerSteps) const {
    auto r = Napi::Object::New(env);
    r.Set("steps", completed);
    r.Set("aborted", !failed && completed < optimizerSteps);
    r.Set("losses", glue::copy_out(env, losses));
    r.Set("gradNorms", glue::copy_out(env, gradNorms));
    if (failed) r.Set("error", glue::make_error(env, error).Value());
    return r;
  }
};

// An ensemble member's outcome: its steps as above and, for a member whose epochs the engine strung together, each
// completed epoch's learning rate and seconds, the parameters of the best of them and its number (0: none beat the
// loss before the call), and whether the call's abort stopped it.
template <class S>
struct MemberOutcome : TrainOutcome {
  std::vector<double> epochLr, epochSeconds;
  std::vector<S> bestParams;
  int bestEpoch = 0;
  bool aborted = false;

  Napi::Object value(Napi::Env env, const TrainCall<S>& call) {
    if (!call.epochs) return TrainOutcome::value(env, call.data.optimizerSteps);
    Napi::Object r = TrainOutcome::value(env, 0);
    r.Set("aborted", aborted);
    auto e = Napi::Object::New(env);
    e.Set("lr", glue::copy_out(env, epochLr));
    e.Set("seconds", glue::copy_out(env, epochSeconds));
    e.Set("bestEpoch", bestEpoch);
    if (bestEpoch > 0) e.Set("bestParams", glue::move_out(env, std::move(bestParams)));
    r.Set("epochs", e);
    return r;
  }
};

// Caps the threads a model's backend uses while it lives (`threads` > 0), and lifts the cap afterwards.
template <class S>
struct ThreadCap {
  Backend<S>& backend;
  ThreadCap(Backend<S>& b, int threads) : backend(b) { backend.limitThreads(threads); }
  ~ThreadCap() { backend.limitThreads(0); }
};

// One call's steps on its model (the caller holds the model's lock), recording every step into `out`; returns the
// steps done.
template <class S>
int train_steps(const TrainCall<S>& c, const TrainData<S>& data, const AdamOptions& adam, TrainOutcome& out,
                const std::atomic<bool>& abort, const std::function<void(const TrainStepReport&)>& report) {
  const int done = c.model->backend->trainSteps(
      data, adam, c.seed, c.drawNoise,
      [&](const TrainStepReport& r) {
        out.losses.push_back(r.loss);
        out.gradNorms.push_back(r.gradNorm);
        if (report) report(r);
      },
      &abort);
  out.completed += done;
  return done;
}

// Runs one call's steps on its model (under the model's lock), recording every step; `threads` > 0 caps the threads
// the backend uses for this call.
template <class S>
void run_train_call(const TrainCall<S>& c, TrainOutcome& out, const std::atomic<bool>& abort,
                    const std::function<void(const TrainStepReport&)>& report, int threads = 0) {
  auto lock = c.model->lock();
  ThreadCap<S> cap(*c.model->backend, threads);
  train_steps(c, c.bound(), c.adam, out, abort, report);
}

// Runs the epochs of a member's plan one after another, each followed by train()'s bookkeeping (epoch_rules.hpp):
// the epoch's learning rate and time recorded, the best epoch's parameters kept, the next epoch's learning rate set;
// it stops after the run's last epoch, on early stopping, or at the call's abort (the epoch under way is dropped, as
// train() drops it). A loss that stops being finite throws, the completed epochs staying recorded.
template <class S>
void run_planned_epochs(const TrainCall<S>& c, MemberOutcome<S>& out, const std::atomic<bool>& abort, int threads) {
  auto lock = c.model->lock();
  Backend<S>& backend = *c.model->backend;
  ThreadCap<S> cap(backend, threads);
  const EpochPlan& plan = *c.epochs;
  TrainData<S> data = c.bound();
  AdamOptions adam = c.adam;
  const int steps = data.optimizerSteps;
  EpochBook book{adam.lr, plan.bestLoss, 0, plan.plateauEpochs};
  for (int k = 0; k < plan.count; ++k) {
    if (abort.load()) {
      out.aborted = true;
      return;
    }
    const int epoch = plan.first + k;
    const auto t0 = std::chrono::steady_clock::now();
    data.indices = c.indices.data + size_t(k) * size_t(steps) * size_t(data.batch);
    adam.lr = book.lr;
    const size_t before = out.losses.size();
    if (train_steps(c, data, adam, out, abort, nullptr) < steps) {
      out.aborted = true;
      return;
    }
    const double loss = EpochBook::mean_loss(out.losses.data() + before, steps);
    out.epochLr.push_back(adam.lr);
    if (book.record(plan, epoch, loss)) {
      out.bestParams.resize(size_t(backend.layout().total));
      backend.getParams(out.bestParams.data());
      out.bestEpoch = epoch;
    }
    out.epochSeconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (EpochBook::stops(plan, epoch, loss)) return;
  }
}

// Training steps with per-step progress delivered in order to an optional JavaScript callback. Each call is a job
// with its own abort flag ({ promise, abort }): aborting one training call never cancels another call on the model.
template <class S>
class TrainWorker : public glue::AbortableWorker<TrainStepReport> {
 public:
  TrainWorker(Napi::Env env, TrainCall<S> call, const Napi::Value& onStep)
      : glue::AbortableWorker<TrainStepReport>(env, onStep), call_(std::move(call)) {}

 protected:
  void Run(const std::function<void(const TrainStepReport&)>& report, const std::atomic<bool>& abort) override {
    run_train_call(call_, outcome_, abort, report);
  }
  Napi::Value ReportValue(Napi::Env env, const TrainStepReport& r) override {
    auto o = Napi::Object::New(env);
    o.Set("step", r.step);
    o.Set("loss", r.loss);
    o.Set("gradNorm", r.gradNorm);
    return o;
  }
  Napi::Value Result(Napi::Env env) override { return outcome_.value(env, call_.data.optimizerSteps); }

 private:
  TrainCall<S> call_;
  TrainOutcome outcome_;
};

// The training calls of an ensemble's members (models of one shape, each with its own data, Adam settings and seed)
// in one job with one abort flag. On the CPU the members are dealt to `threads` threads (a member's steps run on one
// thread when there are at least as many members as threads; otherwise each member gets threads / members of them);
// each member's result is the one its own trainSteps call would give, since the CPU backend's results do not depend
// on its thread count. A CPU member with an epoch plan runs several epochs with train()'s bookkeeping between them
// (run_planned_epochs), so a call lasts long enough that returning to JavaScript costs next to nothing. When every member is on the CUDA backend (or every member on its emulation) the members go to
// the backend's ensemble trainer (train_cuda_ensemble: memory planned first, chunks of members, low-rank steps of all
// members of a chunk in one launch per kernel), each member's result again the one its own call would give. A member
// whose loss stops being finite stops alone: its outcome carries the error and the other members go on.
template <class S>
class EnsembleTrainWorker : public glue::AbortableWorker<TrainStepReport> {
 public:
  EnsembleTrainWorker(Napi::Env env, std::vector<TrainCall<S>> calls, int threads)
      : glue::AbortableWorker<TrainStepReport>(env, env.Undefined()), calls_(std::move(calls)),
        outcomes_(calls_.size()), threads_(std::max(1, threads)) {}

 protected:
  void Run(const std::function<void(const TrainStepReport&)>&, const std::atomic<bool>& abort) override {
    const int E = int(calls_.size());
    for (const char* device : {"cuda", "cuda-emulated"})
      if (std::all_of(calls_.begin(), calls_.end(), [&](const TrainCall<S>& c) { return c.model->backend->name() == device; })) {
        run_on_gpu(std::string(device) == "cuda", abort);
        return;
      }
    const bool cpu = std::all_of(calls_.begin(), calls_.end(), [](const TrainCall<S>& c) { return c.model->backend->name() == "cpu"; });
    const int workers = cpu ? std::min(threads_, E) : 1;
    const int perMember = std::max(1, threads_ / E);
    std::atomic<int> next{0};
    const auto deal = [&](int) {
      for (int e = next.fetch_add(1); e < E; e = next.fetch_add(1)) run_member(e, perMember, abort);
    };
    // The process's ensemble pool when no other ensemble holds it (one call per epoch: threads are not created per
    // call), else a pool of this call's own.
    static std::mutex poolMutex;
    static std::unique_ptr<ThreadPool> shared;
    std::unique_lock<std::mutex> lock(poolMutex, std::try_to_lock);
    if (lock.owns_lock()) {
      if (!shared || shared->size() < workers) shared = std::make_unique<ThreadPool>(workers);
      shared->run(workers, deal);
    } else {
      ThreadPool(workers).run(workers, deal);
    }
  }
  Napi::Value ReportValue(Napi::Env env, const TrainStepReport&) override { return env.Undefined(); }
  Napi::Value Result(Napi::Env env) override {
    auto arr = Napi::Array::New(env, calls_.size());
    for (size_t e = 0; e < calls_.size(); ++e) arr.Set(uint32_t(e), outcomes_[e].value(env, calls_[e]));
    return arr;
  }

 private:
  // Every member's model locked (in member order; a model is in an ensemble once), then one ensemble call.
  void run_on_gpu(bool device, const std::atomic<bool>& abort) {
    std::vector<std::unique_lock<std::mutex>> locks;
    std::vector<GpuEnsembleMember<S>> members(calls_.size());
    for (size_t e = 0; e < calls_.size(); ++e) {
      locks.emplace_back(calls_[e].model->mu);
      members[e].backend = calls_[e].model->backend.get();
      members[e].data = calls_[e].bound();
      members[e].adam = calls_[e].adam;
      members[e].seed = calls_[e].seed;
      members[e].drawNoise = calls_[e].drawNoise;
    }
    try {
      if (device) train_cuda_ensemble<S>(members, &abort);
      else train_emulated_cuda_ensemble<S>(members, &abort);
    } catch (...) {  // a failure of the call as a whole (a launch, a transfer) is every unfinished member's error
      const std::exception_ptr failure = std::current_exception();
      for (GpuEnsembleMember<S>& m : members)
        if (!m.error && m.completed < m.data.optimizerSteps) m.error = failure;
    }
    for (size_t e = 0; e < calls_.size(); ++e) {
      TrainOutcome& out = outcomes_[e];
      out.completed = members[e].completed;
      out.losses = std::move(members[e].losses);
      out.gradNorms = std::move(members[e].gradNorms);
      if (!members[e].error) continue;
      try {
        std::rethrow_exception(members[e].error);
      } catch (...) {
        out.failed = true;
        out.error = glue::classify_current_exception();
      }
    }
  }

  void run_member(int e, int threads, const std::atomic<bool>& abort) {
    try {
      if (calls_[e].epochs) run_planned_epochs(calls_[e], outcomes_[e], abort, threads);
      else run_train_call(calls_[e], outcomes_[e], abort, nullptr, threads);
    } catch (...) {
      outcomes_[e].failed = true;
      outcomes_[e].error = glue::classify_current_exception();
    }
  }

  std::vector<TrainCall<S>> calls_;
  std::vector<MemberOutcome<S>> outcomes_;
  int threads_;
};

}  // namespace lowrank
