// The partial-observation experiments' linear algebra (native/core/partial_observation.hpp), each on a worker thread.
#include "partial_observation_binding.hpp"

#include "../core/memory_guard.hpp"
#include "../core/partial_observation.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

// ridgeDynamics(x: Float64Array, { trials, steps, units, alpha, ridge, tanh }) -> Promise<Float64Array> (A [units, units])
Napi::Value RidgeDynamics(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const Napi::Object o = object_arg(info, 1, "ridgeDynamics: options");
    const int trials = int_field(o, "trials"), steps = int_field(o, "steps"), units = int_field(o, "units");
    const double alpha = finite_field(o, "alpha"), ridge = finite_field(o, "ridge");
    const bool tanh = bool_field(o, "tanh");
    if (trials < 1 || steps < 2 || units < 1) throw Napi::RangeError::New(env, "ridgeDynamics: trials, steps - 1 and units must be positive");
    auto x = hold_array<double>(env, info[0], "x", size_t(checked_product(env, {trials, steps, units}, "x")));
    return queue_work(
        env,
        [x = std::move(x), trials, steps, units, alpha, ridge, tanh] {
          ensure_allocation_fits(double(steps) * units * sizeof(double) * 2 + double(units) * units * sizeof(double) * 6, "ridgeDynamics");
          return ridge_dynamics(x.data, trials, steps, units, alpha, ridge, tanh);
        },
        [](Napi::Env env, const std::vector<double>& a) -> Napi::Value { return copy_out(env, a); });
  });
}

// Two n x n matrices (arguments 0 and 1, named `first`, `second`) and n (argument 2) -> a promise of the n x n
// matrix `op` computes on a worker thread (`memory`: doubles per n^2 it may allocate).
template <class Op>
Napi::Value square_pair_call(const Napi::CallbackInfo& info, const char* fn, const char* first, const char* second, double memory, Op op) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, std::string(fn) + ": n must be a number");
    const int n = info[2].As<Napi::Number>().Int32Value();
    if (n < 1) throw Napi::RangeError::New(env, std::string(fn) + ": n must be positive");
    const size_t len = size_t(checked_product(env, {n, n}, first));
    auto a = hold_array<double>(env, info[0], first, len);
    auto b = hold_array<double>(env, info[1], second, len);
    return queue_work(
        env,
        [a = std::move(a), b = std::move(b), n, fn, memory, op] {
          ensure_allocation_fits(double(n) * n * memory * sizeof(double), fn);
          return op(a.data, b.data, n);
        },
        [](Napi::Env env, const std::vector<double>& out) -> Napi::Value { return copy_out(env, out); });
  });
}

// discreteLyapunov(f: Float64Array, q: Float64Array, n) -> Promise<Float64Array> (S [n, n] with S = F S F^T + Q)
Napi::Value DiscreteLyapunov(const Napi::CallbackInfo& info) {
  return square_pair_call(info, "discreteLyapunov", "f", "q", 16, discrete_lyapunov);
}

// rotateCanonical(u: Float64Array, t: Float64Array, n) -> Promise<Float64Array> (U T U^T [n, n])
Napi::Value RotateCanonical(const Napi::CallbackInfo& info) {
  return square_pair_call(info, "rotateCanonical", "u", "t", 4, rotate_canonical);
}

// stationaryLimit(b: Float64Array, observed: Int32Array, { n, alpha, noise, measurement }) -> Promise<{ covariance, limit }>
Napi::Value StationaryLimitCall(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const Napi::Object o = object_arg(info, 2, "stationaryLimit: options");
    const int n = int_field(o, "n");
    const double alpha = finite_field(o, "alpha"), noise = finite_field(o, "noise"), measurement = finite_field(o, "measurement");
    if (n < 1) throw Napi::RangeError::New(env, "stationaryLimit: n must be positive");
    if (info.Length() < 2 || !info[1].IsTypedArray()) throw Napi::TypeError::New(env, "stationaryLimit: observed must be an Int32Array");
    const int d = int(info[1].As<Napi::TypedArray>().ElementLength());
    auto b = hold_array<double>(env, info[0], "b", size_t(checked_product(env, {n, n}, "b")));
    auto observed = hold_array<int32_t>(env, info[1], "observed", size_t(d));
    return queue_work(
        env,
        [b = std::move(b), observed = std::move(observed), n, d, alpha, noise, measurement] {
          ensure_allocation_fits(double(n) * n * 20 * 8, "stationaryLimit");
          return stationary_limit(b.data, n, alpha, noise, measurement, observed.data, d);
        },
        [](Napi::Env env, const StationaryLimit& r) -> Napi::Value {
          return arrays_out(env, named("covariance", r.covariance), named("limit", r.limit));
        });
  });
}

}  // namespace

void register_partial_observation(Napi::Env env, Napi::Object exports) {
  exports.Set("ridgeDynamics", Napi::Function::New(env, RidgeDynamics));
  exports.Set("discreteLyapunov", Napi::Function::New(env, DiscreteLyapunov));
  exports.Set("stationaryLimit", Napi::Function::New(env, StationaryLimitCall));
  exports.Set("rotateCanonical", Napi::Function::New(env, RotateCanonical));
}

}  // namespace lowrank
