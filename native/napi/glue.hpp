// N-API glue shared by every binding file: error mapping, argument helpers, typed-array holders, the model spec
// parser and a promise-returning async worker. Only native/napi/ includes it.
#pragma once
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../core/device.hpp"
#include "../core/model.hpp"

namespace lowrank {
namespace glue {

enum class ErrorKind { Plain, Range, Type };

// Carries the JavaScript error class across the worker thread boundary.
struct ClassifiedError {
  ErrorKind kind = ErrorKind::Plain;
  std::string message;
};

inline ClassifiedError classify_current_exception() {
  try {
    throw;
  } catch (const std::range_error& e) {
    return {ErrorKind::Range, e.what()};
  } catch (const std::length_error& e) {
    return {ErrorKind::Range, e.what()};
  } catch (const std::bad_alloc&) {
    return {ErrorKind::Range, "out of memory: use a smaller batch, fewer time steps or a smaller network"};
  } catch (const std::invalid_argument& e) {
    return {ErrorKind::Type, e.what()};
  } catch (const std::exception& e) {
    return {ErrorKind::Plain, e.what()};
  } catch (...) {
    return {ErrorKind::Plain, "unknown native error"};
  }
}

inline Napi::Error make_error(Napi::Env env, const ClassifiedError& e) {
  switch (e.kind) {
    case ErrorKind::Range: return Napi::RangeError::New(env, e.message);
    case ErrorKind::Type: return Napi::TypeError::New(env, e.message);
    default: return Napi::Error::New(env, e.message);
  }
}

// Runs `body` and rethrows any C++ exception as the matching JavaScript error.
template <class F>
inline auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw make_error(env, classify_current_exception());
  }
}

// ---- argument helpers -------------------------------------------------------------------------------------------

inline Napi::Object object_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be an object");
  return info[i].As<Napi::Object>();
}

// Option readers. The options of every call are complete: the TypeScript layer merges the user's options over its
// defaults tables and passes every field, so a missing field is a bug there and throws; the native layer has no
// defaults of its own.
inline Napi::Value required_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' is required");
  return v;
}

inline double number_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = required_field(o, key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline int int_field(const Napi::Object& o, const char* key) {
  const double d = number_field(o, key);
  // Range first: converting a double outside int's range (or NaN) to int is undefined behaviour.
  if (std::isnan(d)) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be an integer; got NaN");
  if (!(d >= -2147483648.0 && d <= 2147483647.0)) {
    std::ostringstream got;
    got << d;
    throw Napi::RangeError::New(o.Env(), std::string(key) + " is too large: it must be an integer in [-2147483648, 2147483647]; got " + got.str());
  }
  if (d != std::floor(d)) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be an integer; got " + std::to_string(d));
  return static_cast<int>(d);
}

inline bool bool_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = required_field(o, key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

inline std::string string_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = required_field(o, key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// A number that must be finite (learning rates, Adam's constants, clip norms).
inline double finite_field(const Napi::Object& o, const char* key) {
  const double d = number_field(o, key);
  if (!std::isfinite(d)) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be finite");
  return d;
}

// The `device` option of a model or an analysis ('cpu', 'cuda' or 'cuda-emulated').
inline Device device_field(const Napi::Object& o) { return parse_device(string_field(o, "device")); }

inline uint64_t seed_field(const Napi::Object& o, const char* key) {
  const double d = number_field(o, key);
  if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a non-negative safe integer");
  return static_cast<uint64_t>(d);
}

template <class T>
struct TypedArrayOf;
template <>
struct TypedArrayOf<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayOf<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "Float64Array";
};
template <>
struct TypedArrayOf<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedArrayOf<uint8_t> {
  static constexpr napi_typedarray_type type = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};

// A typed array argument kept alive (by reference) while a worker reads it on another thread.
template <class T>
struct HeldArray {
  Napi::Reference<Napi::Value> ref;
  const T* data = nullptr;
  size_t length = 0;
};

// `why` ends the type error message (e.g. " for this model's dtype").
template <class T>
HeldArray<T> hold_array(Napi::Env env, const Napi::Value& v, const char* name, size_t expectedLength,
                        bool optional = false, const char* why = "") {
  HeldArray<T> h;
  if (optional && (v.IsUndefined() || v.IsNull())) return h;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayOf<T>::type)
    throw Napi::TypeError::New(env, std::string(name) + " must be a " + TypedArrayOf<T>::name + why);
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() != expectedLength)
    throw Napi::RangeError::New(env, std::string(name) + " must have " + std::to_string(expectedLength) +
                                         " values; got " + std::to_string(arr.ElementLength()));
  h.ref = Napi::Persistent(v);
  h.data = arr.Data();
  h.length = arr.ElementLength();
  return h;
}

template <class S>
HeldArray<S> hold_float_array(Napi::Env env, const Napi::Value& v, const char* name, size_t expectedLength,
                              bool optional = false) {
  return hold_array<S>(env, v, name, expectedLength, optional, " for this model's dtype");
}

inline int64_t checked_product(Napi::Env env, std::initializer_list<int64_t> dims, const char* what) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0) throw Napi::RangeError::New(env, std::string(what) + ": negative size");
    if (d != 0 && p > (int64_t(1) << 53) / d) throw Napi::RangeError::New(env, std::string(what) + ": size overflows");
    p *= d;
  }
  return p;
}

// Inputs [trials, steps, K], targets and mask [trials, steps, features]: checked and kept alive for a worker.
template <class S>
struct HeldTrials {
  HeldArray<S> inputs, targets, mask;
};

template <class S>
HeldTrials<S> hold_trials(const Napi::CallbackInfo& info, int trials, int steps, int inputs, int features) {
  const Napi::Env env = info.Env();
  const size_t targetLen = size_t(checked_product(env, {trials, steps, features}, "targets"));
  HeldTrials<S> h;
  h.inputs = hold_float_array<S>(env, info[0], "inputs", size_t(checked_product(env, {trials, steps, inputs}, "inputs")));
  h.targets = hold_float_array<S>(env, info[1], "targets", targetLen);
  h.mask = hold_float_array<S>(env, info[2], "mask", targetLen);
  return h;
}

template <class S>
Napi::Value copy_out(Napi::Env env, const std::vector<S>& v) {
  auto arr = Napi::TypedArrayOf<S>::New(env, v.size());
  std::copy(v.begin(), v.end(), arr.Data());
  return arr;
}

// Hands `values` to JavaScript without copying them: the typed array's memory is the vector's own, freed when the
// array is collected, so a large result costs the main thread nothing. Where the runtime refuses external buffers
// (some embedders do), it is copied.
template <class S>
Napi::Value move_out(Napi::Env env, std::vector<S>&& values) {
  if (values.empty()) return Napi::TypedArrayOf<S>::New(env, 0);
  auto* held = new std::vector<S>(std::move(values));
  napi_value buffer;
  const auto release = [](napi_env, void*, void* hint) { delete static_cast<std::vector<S>*>(hint); };
  if (napi_create_external_arraybuffer(env, held->data(), held->size() * sizeof(S), release, held, &buffer) != napi_ok) {
    Napi::Value copy = copy_out(env, *held);
    delete held;
    return copy;
  }
  return Napi::TypedArrayOf<S>::New(env, held->size(), Napi::ArrayBuffer(env, buffer), 0);
}

// One named array of a result object: arrays_out(env, named("u", r.u), named("s", r.s)) -> { u, s } (copies).
template <class S>
struct Named {
  const char* name;
  const std::vector<S>& values;
};
template <class S>
Named<S> named(const char* name, const std::vector<S>& values) {
  return {name, values};
}
template <class... S>
Napi::Object arrays_out(Napi::Env env, Named<S>... fields) {
  auto o = Napi::Object::New(env);
  (o.Set(fields.name, copy_out(env, fields.values)), ...);
  return o;
}

// ---- model spec from a JS object --------------------------------------------------------------------------------

inline Transfer transfer_from(const Napi::Object& o, const char* key, const char* slopeKey) {
  Transfer t;
  t.kind = parse_activation(string_field(o, key));
  t.slope = number_field(o, slopeKey);
  return t;
}

// Every field but daleSigns and connectivityMask (full-rank constraints, absent when unused) is required.
inline ModelSpec spec_from(const Napi::Object& o) {
  ModelSpec s;
  s.size = int_field(o, "size");
  s.rank = int_field(o, "rank");
  s.inputs = int_field(o, "inputs");
  s.outputs = int_field(o, "outputs");
  s.formulation = parse_formulation(string_field(o, "formulation"));
  s.transfer = transfer_from(o, "activation", "slope");
  s.outputTransfer = transfer_from(o, "outputActivation", "outputSlope");
  s.alpha = number_field(o, "alpha");
  s.noise = number_field(o, "noise");
  s.noAutapse = bool_field(o, "noAutapse");
  const Napi::Value dale = o.Get("daleSigns");
  if (dale.IsTypedArray()) {
    auto a = dale.As<Napi::Int8Array>();
    s.daleSigns.assign(a.Data(), a.Data() + a.ElementLength());
  }
  const Napi::Value mask = o.Get("connectivityMask");
  if (mask.IsTypedArray()) {
    auto a = mask.As<Napi::Uint8Array>();
    s.connectivityMask.assign(a.Data(), a.Data() + a.ElementLength());
  }
  const Napi::Value trainable = required_field(o, "trainable");
  if (!trainable.IsObject()) throw Napi::TypeError::New(o.Env(), "trainable must be an object");
  for (int id = 0; id < kParamCount; ++id) {
    const Napi::Value flag = trainable.As<Napi::Object>().Get(param_name(id));
    s.trainable[id] = flag.IsBoolean() && flag.As<Napi::Boolean>().Value();  // parameters the model lacks are absent
  }
  validate_spec(s);
  return s;
}

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      Run();
    } catch (...) {
      error_ = classify_current_exception();
      SetError(error_.message);
    }
  }
  void OnOK() override { deferred_.Resolve(Result(Env())); }
  void OnError(const Napi::Error&) override { deferred_.Reject(make_error(Env(), error_).Value()); }
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  Napi::Promise::Deferred deferred_;
  ClassifiedError error_;
};

// A PromiseWorker from two functions: `work()` runs on the worker thread and returns a result, `finish(env, result)`
// turns it into the promise's value on the main thread. The functions own what they capture (held arrays included).
template <class Work, class Finish>
class FunctionWorker : public PromiseWorker {
 public:
  FunctionWorker(Napi::Env env, Work work, Finish finish)
      : PromiseWorker(env), work_(std::move(work)), finish_(std::move(finish)) {}

 protected:
  void Run() override { result_ = work_(); }
  Napi::Value Result(Napi::Env env) override { return finish_(env, result_); }

 private:
  Work work_;
  Finish finish_;
  decltype(std::declval<Work&>()()) result_{};
};

template <class Work, class Finish>
Napi::Promise queue_work(Napi::Env env, Work work, Finish finish) {
  auto* w = new FunctionWorker<Work, Finish>(env, std::move(work), std::move(finish));
  w->Queue();
  return w->promise();
}

// A promise-returning worker that reports progress, in order on the main thread, to an optional JavaScript
// callback, and that can be aborted: start() queues it and returns { promise, abort() }. Run() polls the abort flag.
// An exception thrown by the callback aborts the work and rejects the promise with it.
template <class Report>
class AbortableWorker : public Napi::AsyncProgressQueueWorker<Report> {
 public:
  AbortableWorker(Napi::Env env, const Napi::Value& onProgress)
      : Napi::AsyncProgressQueueWorker<Report>(env), deferred_(Napi::Promise::Deferred::New(env)),
        abort_(std::make_shared<std::atomic<bool>>(false)) {
    if (onProgress.IsFunction()) callback_ = Napi::Persistent(onProgress.As<Napi::Function>());
  }

  Napi::Object start(Napi::Env env) {
    auto job = Napi::Object::New(env);
    job.Set("promise", deferred_.Promise());
    auto flag = abort_;
    job.Set("abort", Napi::Function::New(env, [flag](const Napi::CallbackInfo& info) {
              flag->store(true);
              return info.Env().Undefined();
            }));
    this->Queue();
    return job;
  }

 protected:
  using Progress = typename Napi::AsyncProgressQueueWorker<Report>::ExecutionProgress;
  virtual void Run(const std::function<void(const Report&)>& report, const std::atomic<bool>& abort) = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  virtual Napi::Value ReportValue(Napi::Env env, const Report& r) = 0;

  void Execute(const Progress& progress) override {
    try {
      const bool wanted = !callback_.IsEmpty();
      Run([&](const Report& r) {
            if (wanted) progress.Send(&r, 1);
          },
          *abort_);
    } catch (...) {
      error_ = classify_current_exception();
      this->SetError(error_.message);
    }
  }
  void OnProgress(const Report* r, size_t count) override {
    Napi::HandleScope scope(this->Env());
    for (size_t i = 0; i < count && callbackError_.IsEmpty(); ++i) {
      try {
        callback_.Call({ReportValue(this->Env(), r[i])});
      } catch (const Napi::Error& e) {
        callbackError_ = Napi::Persistent(e.Value());
        abort_->store(true);
      }
    }
  }
  void OnOK() override {
    if (!callbackError_.IsEmpty()) deferred_.Reject(callbackError_.Value());
    else deferred_.Resolve(Result(this->Env()));
  }
  void OnError(const Napi::Error&) override {
    if (!callbackError_.IsEmpty()) deferred_.Reject(callbackError_.Value());
    else deferred_.Reject(make_error(this->Env(), error_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> abort_;
  Napi::FunctionReference callback_;
  Napi::ObjectReference callbackError_;
  ClassifiedError error_;
};

}  // namespace glue
}  // namespace lowrank
