// crossCovariances on a worker thread (native/core/covariance.hpp).
#include "covariance_binding.hpp"

#include <algorithm>
#include <thread>

#include "../core/covariance.hpp"
#include "../core/memory_guard.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

template <class S>
Napi::Value queue_covariances(Napi::Env env, const Napi::Value& x, int B, int T, int N, int lags, int threads) {
  auto held = hold_array<S>(env, x, "x", size_t(checked_product(env, {B, T, N}, "x")));
  return queue_work(
      env,
      [held = std::move(held), B, T, N, lags, threads] {
        ensure_allocation_fits((double(B) * T * N + double(lags) * N * N) * sizeof(double), "crossCovariances");
        return cross_covariances(held.data, B, T, N, lags, threads);
      },
      [](Napi::Env env, const std::vector<double>& r) -> Napi::Value { return copy_out(env, r); });
}

// crossCovariances(x: Float32Array | Float64Array [B, T, N], { batch, steps, size, lags, threads }) -> Promise<Float64Array>
Napi::Value CrossCovariances(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const auto opts = object_arg(info, 1, "options");
    const int B = int_field(opts, "batch"), T = int_field(opts, "steps"), N = int_field(opts, "size");
    const int lags = int_field(opts, "lags");
    int threads = int_field(opts, "threads");
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    if (B < 1 || T < 2 || N < 1 || lags < 1 || lags > T - 1)
      throw Napi::RangeError::New(env, "crossCovariances: needs batch >= 1, steps >= 2, size >= 1, 1 <= lags < steps");
    const bool single = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
    return single ? queue_covariances<float>(env, info[0], B, T, N, lags, threads)
                  : queue_covariances<double>(env, info[0], B, T, N, lags, threads);
  });
}

}  // namespace

void register_covariance(Napi::Env env, Napi::Object exports) {
  exports.Set("crossCovariances", Napi::Function::New(env, CrossCovariances));
}

}  // namespace lowrank
