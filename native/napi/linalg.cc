// Dense linear algebra in double precision: svd, schur and the dense eigendecomposition, each on a worker thread.
#include "linalg_binding.hpp"

#include "../core/eigen_decomposition.hpp"
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

// svd(a: Float64Array, rows, cols, k, threads?) -> Promise<{ u: [rows, k], s: [k], v: [cols, k] }> (threads: LAPACK's
// for this call, 0 or absent: its default)
Napi::Value Svd(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int rows = int_arg(info, 1, "svd", "rows"), cols = int_arg(info, 2, "svd", "cols");
    const int k = int_arg(info, 3, "svd", "k");
    const int threads = info.Length() > 4 && !info[4].IsUndefined() ? int_arg(info, 4, "svd", "threads") : 0;
    if (rows < 1 || cols < 1) throw Napi::RangeError::New(env, "svd: rows and cols must be positive");
    auto a = hold_float_array<double>(env, info[0], "a", size_t(checked_product(env, {rows, cols}, "a")));
    return queue_work(
        env,
        [a = std::move(a), rows, cols, k, threads] {
          ensure_allocation_fits(double(rows) * cols * sizeof(double) * 3, "svd");
          return thin_svd(a.data, rows, cols, k, threads);
        },
        [](Napi::Env env, ThinSvd& r) -> Napi::Value {
          auto o = Napi::Object::New(env);
          o.Set("u", move_out(env, std::move(r.u)));
          o.Set("s", move_out(env, std::move(r.s)));
          o.Set("v", move_out(env, std::move(r.v)));
          return o;
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

Napi::Value dense_eigen(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const auto opts = object_arg(info, 1, "options");
    const int n = int_field(opts, "n");
    if (n < 1) throw Napi::RangeError::New(env, "n must be a positive integer");
    const bool right = bool_field(opts, "right"), left = bool_field(opts, "left");
    const int threads = opts.Has("threads") && !opts.Get("threads").IsUndefined() ? int_field(opts, "threads") : 0;
    ensure_allocation_fits(double(n) * n * 8.0 * (3 + 2 * (int(right) + int(left))), "the eigendecomposition");
    // copied once, here (a memcpy: the caller may change its array while the worker runs), into LAPACK's work array
    const auto held = hold_array<double>(env, info[0], "a", size_t(checked_product(env, {n, n}, "a")));
    std::vector<double> a(held.data, held.data + held.length);
    return queue_work(
        env, [a = std::move(a), n, right, left, threads]() mutable {
          return eigen_dense_rows(std::move(a), n, right, left, threads);
        },
        [right, left](Napi::Env env, PlanarEigenpairs& e) -> Napi::Value {
          auto r = Napi::Object::New(env);  // handed over without copies: no stall for a large n
          r.Set("count", e.n);
          r.Set("dim", right || left ? e.n : 0);
          r.Set("re", move_out(env, std::move(e.re)));
          r.Set("im", move_out(env, std::move(e.im)));
          if (right) {
            r.Set("rightRe", move_out(env, std::move(e.rightRe)));
            r.Set("rightIm", move_out(env, std::move(e.rightIm)));
          }
          if (left) {
            r.Set("leftRe", move_out(env, std::move(e.leftRe)));
            r.Set("leftIm", move_out(env, std::move(e.leftIm)));
            r.Set("rcond", move_out(env, std::vector<double>{e.rcond}));
          }
          return r;
        });
  });
}

void register_linalg(Napi::Env env, Napi::Object exports) {
  exports.Set("svd", Napi::Function::New(env, Svd));
  exports.Set("schur", Napi::Function::New(env, Schur));
}

}  // namespace lowrank
