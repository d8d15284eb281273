// Cosine nearest neighbours for ePAIRS, on a worker thread.
#include <thread>

#include "../core/memory_guard.hpp"
#include "../core/neighbours.hpp"
#include "glue.hpp"
#include "neighbours_binding.hpp"

namespace lowrank {
namespace {

using namespace glue;

int int_at(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string("meanTopCosines: ") + name + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (v != double(int(v))) throw Napi::RangeError::New(info.Env(), std::string("meanTopCosines: ") + name + " must be an integer");
  return int(v);
}

// meanTopCosines(x: Float64Array [n, d] unit rows, n, d, k, threads) -> Promise<{ values: Float64Array [n] }>
Napi::Value MeanTopCosines(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int n = int_at(info, 1, "n"), d = int_at(info, 2, "d"), k = int_at(info, 3, "k");
    int threads = int_at(info, 4, "threads");
    if (n < 2 || d < 1 || k < 1 || k >= n) throw Napi::RangeError::New(env, "meanTopCosines: need n >= 2, d >= 1 and 1 <= k < n");
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    auto x = hold_float_array<double>(env, info[0], "x", size_t(checked_product(env, {n, d}, "x")));
    return queue_work(
        env,
        [x = std::move(x), n, d, k, threads] {
          ensure_allocation_fits(double(threads) * 256.0 * n * sizeof(double), "cosine neighbours");
          return mean_top_cosines(x.data, n, d, k, threads);
        },
        [](Napi::Env env, const std::vector<double>& r) -> Napi::Value { return arrays_out(env, named("values", r)); });
  });
}

}  // namespace

void register_neighbours(Napi::Env env, Napi::Object exports) {
  exports.Set("meanTopCosines", Napi::Function::New(env, MeanTopCosines));
}

}  // namespace lowrank
