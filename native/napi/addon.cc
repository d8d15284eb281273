// The addon's entry point: the NativeModel class (simulate, loss and gradient, training steps with progress and
// per-call cancellation) and backendInfo; the other exports come from their own binding files (register_<topic>). Every C++
// exception becomes a JavaScript error (RangeError for sizes and shapes, TypeError for kinds); the shared helpers
// are in glue.hpp.
//
// Why one file of this size: NativeModel's methods share its private model holder and workers (simulate, loss,
// training); the analysis, latent and linear-algebra bindings already live in their own files.
#include <napi.h>

#include <Eigen/Core>
#include <atomic>
#include <cmath>
#include <memory>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>

#include "../core/backend.hpp"
#include "../core/lapack.hpp"
#include "../core/memory_guard.hpp"
#include "../cuda/device_info.hpp"
#include "analysis.hpp"
#include "backends.hpp"
#include "covariance_binding.hpp"
#include "predictive_information_binding.hpp"
#include "glue.hpp"
#include "initial_values.hpp"
#include "latent_binding.hpp"
#include "linalg_binding.hpp"
#include "mixture_binding.hpp"
#include "partial_observation_binding.hpp"
#include "training.hpp"
#include "neighbours_binding.hpp"

namespace lowrank {
namespace {

using namespace glue;

// ---- workers ----------------------------------------------------------------------------------------------------

// Draws a model's initial parameters on a libuv worker thread (a full-rank net of N = 2000 draws 4 million normal
// variates: about 100 ms that the JavaScript thread does not wait for). It is queued when the model is made, before
// any call on the model can be, so the calls that wait for it never hold the pool threads it needs.
template <class S>
class InitialValuesWorker : public Napi::AsyncWorker {
 public:
  InitialValuesWorker(Napi::Env env, std::shared_ptr<TypedModel<S>> model, InitialValues<S> initial)
      : Napi::AsyncWorker(env), model_(std::move(model)), initial_(std::move(initial)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    model_->initialised = done_.get_future().share();
  }

  // Resolves on the main thread once the parameters are in place (or the draw failed: the model's calls then throw).
  Napi::Promise promise() { return deferred_.Promise(); }

  static void set(const std::shared_ptr<TypedModel<S>>& m, InitialValues<S>& initial) {
    draw_initial_values(m->backend->spec(), m->backend->layout(), initial.plan, initial.params.get());
    std::lock_guard<std::mutex> guard(m->mu);
    m->backend->setParams(initial.params.get());
  }

 protected:
  void Execute() override {
    try {
      set(model_, initial_);
      done_.set_value();
    } catch (...) {
      done_.set_exception(std::current_exception());
    }
    initial_.params.reset();
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  std::shared_ptr<TypedModel<S>> model_;
  InitialValues<S> initial_;
  std::promise<void> done_;
  Napi::Promise::Deferred deferred_;
};

// Below this many parameters the initial values are drawn and set at once (a thread hand-off would cost more than it
// saves); from it on, on a worker thread, given values included (copying them into the backend and applying its
// constraints is a pass over every weight too).
constexpr int64_t kParamsOnWorker = int64_t(1) << 16;


template <class S>
class SimulateWorker : public PromiseWorker {
 public:
  SimulateWorker(Napi::Env env, std::shared_ptr<TypedModel<S>> model, HeldArray<S> inputs, HeldArray<S> init,
                 int batch, int steps, NoiseOptions noise, bool wantStates, bool wantRates, bool wantOutputs)
      : PromiseWorker(env), model_(std::move(model)), inputs_(std::move(inputs)), init_(std::move(init)),
        batch_(batch), steps_(steps), noise_(noise), wantStates_(wantStates), wantRates_(wantRates),
        wantOutputs_(wantOutputs) {}

 protected:
  void Run() override {
    auto lock = model_->lock();
    const auto& s = model_->backend->spec();
    const size_t stateLen = size_t(batch_) * (steps_ + 1) * s.size;
    ensure_allocation_fits(double(stateLen) * sizeof(S) * (int(wantStates_) + int(wantRates_)), "simulation results");
    if (wantStates_) states_.resize(stateLen);
    if (wantRates_) rates_.resize(stateLen);
    if (wantOutputs_) outputs_.resize(size_t(batch_) * steps_ * s.outputs);
    SimulateOutput<S> out;
    out.states = wantStates_ ? states_.data() : nullptr;
    out.rates = wantRates_ ? rates_.data() : nullptr;
    out.outputs = wantOutputs_ ? outputs_.data() : nullptr;
    model_->backend->simulate(inputs_.data, init_.data, batch_, steps_, noise_, out);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    if (wantStates_) r.Set("states", move_out(env, std::move(states_)));
    if (wantRates_) r.Set("rates", move_out(env, std::move(rates_)));
    if (wantOutputs_) r.Set("outputs", move_out(env, std::move(outputs_)));
    return r;
  }

 private:
  std::shared_ptr<TypedModel<S>> model_;
  HeldArray<S> inputs_, init_;
  int batch_, steps_;
  NoiseOptions noise_;
  bool wantStates_, wantRates_, wantOutputs_;
  std::vector<S> states_, rates_, outputs_;
};

template <class S>
class LossWorker : public PromiseWorker {
 public:
  LossWorker(Napi::Env env, std::shared_ptr<TypedModel<S>> model, HeldTrials<S> trials, HeldArray<S> init,
             LossBatch<S> batch, NoiseOptions noise, bool wantGrad)
      : PromiseWorker(env), model_(std::move(model)), trials_(std::move(trials)), init_(std::move(init)), batch_(batch),
        noise_(noise), wantGrad_(wantGrad) {}

 protected:
  void Run() override {
    auto lock = model_->lock();
    batch_.inputs = trials_.inputs.data;
    batch_.targets = trials_.targets.data;
    batch_.mask = trials_.mask.data;
    batch_.initialStates = init_.data;
    if (wantGrad_) grad_.resize(model_->backend->layout().total);
    loss_ = model_->backend->lossAndGradient(batch_, noise_, wantGrad_ ? grad_.data() : nullptr);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("loss", loss_);
    if (wantGrad_) r.Set("grad", move_out(env, std::move(grad_)));
    return r;
  }

 private:
  std::shared_ptr<TypedModel<S>> model_;
  HeldTrials<S> trials_;
  HeldArray<S> init_;
  LossBatch<S> batch_;
  NoiseOptions noise_;
  bool wantGrad_;
  double loss_ = 0.0;
  std::vector<S> grad_;
};

// ---- the NativeModel class --------------------------------------------------------------------------------------

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeModel",
                       {InstanceMethod("layout", &NativeModel::Layout),
                        InstanceMethod("getParams", &NativeModel::GetParams),
                        InstanceMethod("setParams", &NativeModel::SetParams),
                        InstanceMethod("simulate", &NativeModel::Simulate),
                        InstanceMethod("lossAndGradient", &NativeModel::LossAndGradient),
                        InstanceMethod("trainSteps", &NativeModel::TrainSteps),
                        InstanceMethod("optimizerState", &NativeModel::GetOptimizerState),
                        InstanceMethod("setOptimizerState", &NativeModel::SetOptimizerState),
                        InstanceMethod("dispose", &NativeModel::Dispose),
                        InstanceMethod("initialised", &NativeModel::Initialised),
                        InstanceAccessor("dtype", &NativeModel::DType, nullptr),
                        InstanceAccessor("backend", &NativeModel::BackendName, nullptr),
                        InstanceAccessor("deviceMemory", &NativeModel::DeviceMemory, nullptr),
                        StaticMethod("trainEnsemble", &NativeModel::TrainEnsemble)});
  }

  // new NativeModel(spec, { dtype: 'float32' | 'float64', device: 'cpu' | 'cuda' | 'cuda-emulated', threads }, initial?)
  // 'cuda-emulated' runs the CUDA backend's kernels on host threads: for tests on machines without a GPU. `initial`
  // (initial_values.hpp) sets the parameters; without it they start at zero.
  explicit NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
    guarded(info.Env(), [&] {
      const ModelSpec spec = spec_from(object_arg(info, 0, "spec"));
      const Napi::Object opts = object_arg(info, 1, "options");
      const std::string dtype = string_field(opts, "dtype");
      const Device device = device_field(opts);
      int threads = int_field(opts, "threads");
      if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
      const Napi::Value initial = info.Length() > 2 ? info[2] : info.Env().Undefined();
      if (dtype == "float32") {
        model_ = make_model<float>(info.Env(), spec, device, threads, initial, initialised_);
      } else if (dtype == "float64") {
        model_ = make_model<double>(info.Env(), spec, device, threads, initial, initialised_);
      } else {
        throw std::invalid_argument("dtype must be 'float32' or 'float64'; got '" + dtype + "'");
      }
      return 0;
    });
  }

 private:
  template <class S>
  static std::shared_ptr<TypedModel<S>> make_model(Napi::Env env, const ModelSpec& spec, Device device, int threads,
                                                   const Napi::Value& initial, Napi::Reference<Napi::Promise>& pending) {
    auto m = std::make_shared<TypedModel<S>>();
    m->backend = make_backend<S>(spec, device, threads);
    if (initial.IsUndefined()) return m;
    if (!initial.IsObject()) throw Napi::TypeError::New(env, "initial must be an object");
    auto values = initial_values_from<S>(initial.As<Napi::Object>(), m->backend->layout());
    if (m->backend->layout().total < kParamsOnWorker) {
      InitialValuesWorker<S>::set(m, values);
    } else {
      auto* worker = new InitialValuesWorker<S>(env, m, std::move(values));
      pending = Napi::Persistent(worker->promise());
      worker->Queue();
    }
    return m;
  }

  using AnyModel = std::variant<std::monostate, std::shared_ptr<TypedModel<float>>, std::shared_ptr<TypedModel<double>>>;

  // Calls f(model) with the typed model, or throws when the model was disposed.
  template <class F>
  Napi::Value with_model(Napi::Env env, F&& f) {
    return guarded(env, [&]() -> Napi::Value {
      if (std::holds_alternative<std::shared_ptr<TypedModel<float>>>(model_))
        return f(std::get<std::shared_ptr<TypedModel<float>>>(model_));
      if (std::holds_alternative<std::shared_ptr<TypedModel<double>>>(model_))
        return f(std::get<std::shared_ptr<TypedModel<double>>>(model_));
      throw Napi::Error::New(env, "this model has been disposed");
    });
  }

  Napi::Value DType(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      return Napi::String::New(info.Env(), std::is_same_v<S, float> ? "float32" : "float64");
    });
  }

  Napi::Value BackendName(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value { return Napi::String::New(info.Env(), m->backend->name()); });
  }

  Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      auto lock = m->lock();
      return Napi::Number::New(info.Env(), double(m->backend->deviceMemoryBytes()));
    });
  }

  Napi::Value Layout(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      const auto& l = m->backend->layout();
      auto arr = Napi::Array::New(info.Env());
      uint32_t k = 0;
      for (int id = 0; id < kParamCount; ++id) {
        if (l.seg[id].shape.empty()) continue;  // not part of this kind of model
        auto o = Napi::Object::New(info.Env());
        o.Set("name", param_name(id));
        o.Set("offset", double(l.seg[id].offset));
        auto shape = Napi::Array::New(info.Env());
        for (size_t d = 0; d < l.seg[id].shape.size(); ++d) shape.Set(uint32_t(d), double(l.seg[id].shape[d]));
        o.Set("shape", shape);
        arr.Set(k++, o);
      }
      return arr;
    });
  }

  Napi::Value GetParams(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      auto lock = m->lock();
      std::vector<S> p(m->backend->layout().total);
      m->backend->getParams(p.data());
      return move_out(info.Env(), std::move(p));
    });
  }

  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      auto h = hold_float_array<S>(info.Env(), info[0], "params", size_t(m->backend->layout().total));
      auto lock = m->lock();
      m->backend->setParams(h.data);
      return info.Env().Undefined();
    });
  }

  // The noise of one simulation or loss call: { noise (on/off), seed }; such calls draw from stream 0 (the training
  // steps use the optimizer step count as their stream).
  static NoiseOptions noise_from(const Napi::Object& o) {
    NoiseOptions n;
    n.enabled = bool_field(o, "noise");
    n.seed = seed_field(o, "seed");
    n.stream = 0;
    return n;
  }

  // simulate(inputs, initialStates | null, { batch, steps, seed, noise, states, rates, outputs })
  Napi::Value Simulate(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      const Napi::Env env = info.Env();
      const auto opts = object_arg(info, 2, "options");
      const auto& s = m->backend->spec();
      const int B = int_field(opts, "batch"), T = int_field(opts, "steps");
      if (B < 1 || T < 1) throw Napi::RangeError::New(env, "batch and steps must be positive integers");
      auto inputs = hold_float_array<S>(env, info[0], "inputs", size_t(checked_product(env, {B, T, s.inputs}, "inputs")));
      auto init = hold_float_array<S>(env, info[1], "initialStates", size_t(checked_product(env, {B, s.size}, "initialStates")), true);
      auto* w = new SimulateWorker<S>(env, m, std::move(inputs), std::move(init), B, T, noise_from(opts),
                                      bool_field(opts, "states"), bool_field(opts, "rates"),
                                      bool_field(opts, "outputs"));
      w->Queue();
      return w->promise();
    });
  }


  // lossAndGradient(inputs, targets, mask, initialStates | null, { batch, steps, lossOn, seed, noise, gradient })
  Napi::Value LossAndGradient(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      const Napi::Env env = info.Env();
      const auto opts = object_arg(info, 4, "options");
      const auto& s = m->backend->spec();
      LossBatch<S> lb;
      lb.batch = int_field(opts, "batch");
      lb.steps = int_field(opts, "steps");
      lb.lossOn = parse_loss_on(string_field(opts, "lossOn"));
      lb.features = loss_features(s, lb.lossOn);
      if (lb.batch < 1 || lb.steps < 1) throw Napi::RangeError::New(env, "batch and steps must be positive integers");
      auto held = hold_trials<S>(info, lb.batch, lb.steps, s.inputs, lb.features);
      auto init = hold_float_array<S>(env, info[3], "initialStates", size_t(checked_product(env, {lb.batch, s.size}, "initialStates")), true);
      auto* w = new LossWorker<S>(env, m, std::move(held), std::move(init), lb, noise_from(opts), bool_field(opts, "gradient"));
      w->Queue();
      return w->promise();
    });
  }

  // trainSteps(inputs, targets, mask, indices, { examples, steps, lossOn, batch, optimizerSteps, lr, beta1, beta2,
  //            eps, clip, weightDecay: { <param>: number }, seed, drawNoise }, onStep?) -> { promise, abort }
  // Every option is required (no defaults here).
  Napi::Value TrainSteps(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      using S = typename std::decay_t<decltype(*m)>::Scalar;
      const Napi::Env env = info.Env();
      auto call = train_call_from<S>(env, m, info[0], info[1], info[2], info[3], object_arg(info, 4, "options"));
      auto* w = new TrainWorker<S>(env, std::move(call), info.Length() > 5 ? info[5] : env.Undefined());
      return w->start(env);
    });
  }

  // NativeModel.trainEnsemble(members: [{ model, inputs, targets, mask, indices, options, epochs? }], { threads })
  //   -> { promise (one trainSteps result per member, with `error` for a member that failed), abort }
  // `epochs` (CPU members only) is an epoch plan (epoch_plan_from): the indices then hold its epochs' minibatches and
  // the member's result adds `epochs: { lr, seconds, bestEpoch, bestParams? }` (MemberOutcome).
  // The members' models must share one dtype; the caller checks that they share one shape.
  static Napi::Value TrainEnsemble(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      const Napi::Env env = info.Env();
      if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0)
        throw Napi::TypeError::New(env, "members must be a non-empty array");
      if (!info.This().IsFunction()) throw Napi::TypeError::New(env, "trainEnsemble must be called as NativeModel.trainEnsemble");
      const auto members = info[0].As<Napi::Array>();
      const auto cls = info.This().As<Napi::Function>();
      const int threads = int_field(object_arg(info, 1, "options"), "threads");
      if (std::holds_alternative<std::shared_ptr<TypedModel<float>>>(member_model(cls, members, 0)))
        return start_ensemble<float>(env, cls, members, threads);
      return start_ensemble<double>(env, cls, members, threads);
    });
  }

  static AnyModel member_model(const Napi::Function& cls, const Napi::Array& members, uint32_t e) {
    const Napi::Value v = members.Get(e);
    const Napi::Value handle = v.IsObject() ? v.As<Napi::Object>().Get("model") : v;
    if (!handle.IsObject() || !handle.As<Napi::Object>().InstanceOf(cls))
      throw Napi::TypeError::New(members.Env(), "members[" + std::to_string(e) + "].model must be a NativeModel");
    const AnyModel m = Unwrap(handle.As<Napi::Object>())->model_;
    if (std::holds_alternative<std::monostate>(m))
      throw Napi::Error::New(members.Env(), "members[" + std::to_string(e) + "].model has been disposed");
    return m;
  }

  template <class S>
  static Napi::Value start_ensemble(Napi::Env env, const Napi::Function& cls, const Napi::Array& members, int threads) {
    std::vector<TrainCall<S>> calls;
    for (uint32_t e = 0; e < members.Length(); ++e) {
      const AnyModel any = member_model(cls, members, e);
      if (!std::holds_alternative<std::shared_ptr<TypedModel<S>>>(any))
        throw Napi::TypeError::New(env, "members[" + std::to_string(e) + "].model has another dtype than members[0].model");
      const auto o = members.Get(e).As<Napi::Object>();
      const auto model = std::get<std::shared_ptr<TypedModel<S>>>(any);
      std::optional<EpochPlan> plan;
      if (const Napi::Value p = o.Get("epochs"); !p.IsUndefined()) {
        if (!p.IsObject()) throw Napi::TypeError::New(env, "members[" + std::to_string(e) + "].epochs must be an object");
        if (model->backend->name() != "cpu")
          throw Napi::RangeError::New(env, "members[" + std::to_string(e) + "].epochs: epoch plans run on the CPU backend only");
        plan = epoch_plan_from(p.As<Napi::Object>());
      }
      calls.push_back(train_call_from<S>(env, model, o.Get("inputs"), o.Get("targets"), o.Get("mask"), o.Get("indices"),
                                         o.Get("options").As<Napi::Object>(), plan ? plan->count : 1));
      calls.back().epochs = plan;
    }
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    return (new EnsembleTrainWorker<S>(env, std::move(calls), threads))->start(env);
  }

  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      auto lock = m->lock();
      OptimizerState st = m->backend->optimizerState();
      auto o = Napi::Object::New(info.Env());
      o.Set("step", double(st.step));
      o.Set("m", move_out(info.Env(), std::move(st.m)));
      o.Set("v", move_out(info.Env(), std::move(st.v)));
      return o;
    });
  }

  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info) {
    return with_model(info.Env(), [&](auto m) -> Napi::Value {
      const auto o = object_arg(info, 0, "state");
      const size_t total = size_t(m->backend->layout().total);
      OptimizerState st;
      st.step = int_field(o, "step");
      auto mArr = hold_float_array<double>(info.Env(), o.Get("m"), "state.m", total);
      auto vArr = hold_float_array<double>(info.Env(), o.Get("v"), "state.v", total);
      st.m.assign(mArr.data, mArr.data + total);
      st.v.assign(vArr.data, vArr.data + total);
      auto lock = m->lock();
      m->backend->setOptimizerState(st);
      return info.Env().Undefined();
    });
  }

  // initialised() -> a promise that resolves once the initial parameters are in place (at once unless they are being
  // drawn on a worker thread), so that JavaScript can wait for them without blocking.
  Napi::Value Initialised(const Napi::CallbackInfo& info) {
    if (!initialised_.IsEmpty()) return initialised_.Value();
    auto done = Napi::Promise::Deferred::New(info.Env());
    done.Resolve(info.Env().Undefined());
    return done.Promise();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    model_ = std::monostate{};  // running workers keep their own reference until they finish
    return info.Env().Undefined();
  }

  AnyModel model_;
  Napi::Reference<Napi::Promise> initialised_;
};

// The vector instruction sets this binary was compiled for (Eigen's own report names AVX for AVX2 + FMA builds).
std::string compiled_simd() {
  std::string s;
  auto add = [&](const char* name) { s += s.empty() ? name : std::string(" ") + name; };
#if defined(__AVX512F__)
  add("avx512f");
#endif
#if defined(__AVX2__)
  add("avx2");
#endif
#if defined(__FMA__)
  add("fma");
#endif
#if defined(__AVX__)
  add("avx");
#endif
#if defined(__SSE4_2__)
  add("sse4.2");
#endif
#if defined(__SSE2__)
  add("sse2");
#endif
#if defined(__ARM_NEON)
  add("neon");
#endif
  return s.empty() ? "none" : s;
}

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto r = Napi::Object::New(env);
  const CudaInfo cuda = query_cuda();
  auto compiled = Napi::Array::New(env);
  compiled.Set(0u, "cpu");
  if (cuda.compiled) compiled.Set(1u, "cuda");
  r.Set("compiled", compiled);
  r.Set("threads", double(std::max(1u, std::thread::hardware_concurrency())));
  r.Set("eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                     std::to_string(EIGEN_MINOR_VERSION));
  r.Set("simd", compiled_simd());
  const lapack::Status& la = lapack::status();
  auto l = Napi::Object::New(env);
  l.Set("loaded", la.loaded);
  l.Set("mode", la.mode);
  if (la.loaded) l.Set("library", la.library);
  if (!la.config.empty()) l.Set("config", la.config);
  l.Set("threads", la.threads);
  if (!la.loaded) l.Set("reason", la.reason);
  r.Set("lapack", l);
  auto c = Napi::Object::New(env);
  c.Set("compiled", cuda.compiled);
  c.Set("runtimeVersion", cuda.runtimeVersion);
  c.Set("driverVersion", cuda.driverVersion);
  auto devices = Napi::Array::New(env);
  for (size_t i = 0; i < cuda.devices.size(); ++i) {
    auto d = Napi::Object::New(env);
    d.Set("name", cuda.devices[i].name);
    d.Set("computeCapability", std::to_string(cuda.devices[i].major) + "." + std::to_string(cuda.devices[i].minor));
    d.Set("totalMemory", double(cuda.devices[i].totalMemory));
    d.Set("multiprocessors", cuda.devices[i].multiprocessors);
    devices.Set(uint32_t(i), d);
  }
  c.Set("devices", devices);
  if (!cuda.unavailableReason.empty()) c.Set("reason", cuda.unavailableReason);
  r.Set("cuda", c);
  return r;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeModel", NativeModel::Define(env));
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo));
  register_linalg(env, exports);
  register_latent(env, exports);
  register_analysis(env, exports);
  register_mixture(env, exports);
  register_partial_observation(env, exports);
  register_neighbours(env, exports);
  register_covariance(env, exports);
  register_predictive_information(env, exports);
  return exports;
}

}  // namespace lowrank

static Napi::Object InitLowrankAddon(Napi::Env env, Napi::Object exports) { return lowrank::Init(env, exports); }

NODE_API_MODULE(lowrank_rnn, InitLowrankAddon)
