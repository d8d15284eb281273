// predictiveInformation (value and, on request, gradient) on a worker thread (native/core/predictive_information.hpp).
#include "predictive_information_binding.hpp"

#include "../core/memory_guard.hpp"
#include "../core/predictive_information.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

// predictiveInformation(lags: Float64Array [2 window, N, N], v: Float64Array [N, d], { size, window, dimension,
// gradient }) -> Promise<{ value, gradient?: Float64Array [N, d] }>
Napi::Value PredictiveInformationCall(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const auto opts = object_arg(info, 2, "options");
    const int N = int_field(opts, "size"), window = int_field(opts, "window"), d = int_field(opts, "dimension");
    const bool gradient = bool_field(opts, "gradient");
    if (N < 1 || window < 1 || d < 1 || d > N)
      throw Napi::RangeError::New(env, "predictiveInformation: needs size >= 1, window >= 1, 1 <= dimension <= size");
    auto lags = hold_array<double>(env, info[0], "lags", size_t(checked_product(env, {2 * window, N, N}, "lags")));
    auto v = hold_array<double>(env, info[1], "projection", size_t(checked_product(env, {N, d}, "projection")));
    return queue_work(
        env,
        [lags = std::move(lags), v = std::move(v), N, window, d, gradient] {
          const double k = 2.0 * window * d;
          ensure_allocation_fits((4.0 * window * N * d + 3 * k * k) * sizeof(double), "predictiveInformation");
          return predictive_information(lags.data, N, window, v.data, d, gradient);
        },
        [](Napi::Env env, PredictiveInformation& r) -> Napi::Value {
          auto o = Napi::Object::New(env);
          o.Set("value", r.value);
          if (!r.gradient.empty()) o.Set("gradient", move_out(env, std::move(r.gradient)));
          return o;
        });
  });
}

}  // namespace

void register_predictive_information(Napi::Env env, Napi::Object exports) {
  exports.Set("predictiveInformation", Napi::Function::New(env, PredictiveInformationCall));
}

}  // namespace lowrank
