// Dense linear algebra in double precision: svd and schur, each on a worker thread.
#include "linalg_binding.hpp"

#include "../core/linalg.hpp"
#include "../core/memory_guard.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != double(int(d))) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + name + " must be an integer");
  return int(d);
}

// svd(a: Float64Array, rows, cols, k) -> Promise<{ u: [rows, k], s: [k], v: [cols, k] }>
Napi::Value Svd(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int rows = int_arg(info, 1, "svd", "rows"), cols = int_arg(info, 2, "svd", "cols");
    const int k = int_arg(info, 3, "svd", "k");
    if (rows < 1 || cols < 1) throw Napi::RangeError::New(env, "svd: rows and cols must be positive");
    auto a = hold_float_array<double>(env, info[0], "a", size_t(checked_product(env, {rows, cols}, "a")));
    return queue_work(
        env,
        [a = std::move(a), rows, cols, k] {
          ensure_allocation_fits(double(rows) * cols * sizeof(double) * 3, "svd");
          return thin_svd(a.data, rows, cols, k);
        },
        [](Napi::Env env, const ThinSvd& r) -> Napi::Value {
          return arrays_out(env, named("u", r.u), named("s", r.s), named("v", r.v));
        });
  });
}

// schur(a: Float64Array, n, real: boolean) -> Promise<{ tRe, tIm, uRe, uIm }> (each n x n, row-major)
Napi::Value Schur(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int n = int_arg(info, 1, "schur", "n");
    if (n < 1) throw Napi::RangeError::New(env, "schur: n must be positive");
    if (info.Length() < 3 || !info[2].IsBoolean()) throw Napi::TypeError::New(env, "schur: real must be a boolean");
    const bool real = info[2].As<Napi::Boolean>().Value();
    auto a = hold_float_array<double>(env, info[0], "a", size_t(checked_product(env, {n, n}, "a")));
    return queue_work(
        env,
        [a = std::move(a), n, real] {
          ensure_allocation_fits(double(n) * n * sizeof(double) * 12, "schur");
          return schur(a.data, n, real);
        },
        [](Napi::Env env, const SchurForm& r) -> Napi::Value {
          return arrays_out(env, named("tRe", r.tRe), named("tIm", r.tIm), named("uRe", r.uRe), named("uIm", r.uIm));
        });
  });
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports) {
  exports.Set("svd", Napi::Function::New(env, Svd));
  exports.Set("schur", Napi::Function::New(env, Schur));
}

}  // namespace lowrank
