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

class SvdWorker : public PromiseWorker {
 public:
  SvdWorker(Napi::Env env, HeldArray<double> a, int rows, int cols, int k)
      : PromiseWorker(env), a_(std::move(a)), rows_(rows), cols_(cols), k_(k) {}

 protected:
  void Run() override {
    ensure_allocation_fits(double(rows_) * cols_ * sizeof(double) * 3, "svd");
    result_ = thin_svd(a_.data, rows_, cols_, k_);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("u", copy_out(env, result_.u));
    r.Set("s", copy_out(env, result_.s));
    r.Set("v", copy_out(env, result_.v));
    return r;
  }

 private:
  HeldArray<double> a_;
  int rows_, cols_, k_;
  ThinSvd result_;
};

// svd(a: Float64Array, rows, cols, k) -> Promise<{ u: [rows, k], s: [k], v: [cols, k] }>
Napi::Value Svd(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int rows = int_arg(info, 1, "svd", "rows"), cols = int_arg(info, 2, "svd", "cols");
    const int k = int_arg(info, 3, "svd", "k");
    if (rows < 1 || cols < 1) throw Napi::RangeError::New(env, "svd: rows and cols must be positive");
    auto a = hold_float_array<double>(env, info[0], "a", size_t(checked_product(env, {rows, cols}, "a")));
    auto* w = new SvdWorker(env, std::move(a), rows, cols, k);
    w->Queue();
    return w->promise();
  });
}

class SchurWorker : public PromiseWorker {
 public:
  SchurWorker(Napi::Env env, HeldArray<double> a, int n, bool real)
      : PromiseWorker(env), a_(std::move(a)), n_(n), real_(real) {}

 protected:
  void Run() override {
    ensure_allocation_fits(double(n_) * n_ * sizeof(double) * 12, "schur");
    result_ = schur(a_.data, n_, real_);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("tRe", copy_out(env, result_.tRe));
    r.Set("tIm", copy_out(env, result_.tIm));
    r.Set("uRe", copy_out(env, result_.uRe));
    r.Set("uIm", copy_out(env, result_.uIm));
    return r;
  }

 private:
  HeldArray<double> a_;
  int n_;
  bool real_;
  SchurForm result_;
};

// schur(a: Float64Array, n, real: boolean) -> Promise<{ tRe, tIm, uRe, uIm }> (each n x n, row-major)
Napi::Value Schur(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int n = int_arg(info, 1, "schur", "n");
    if (n < 1) throw Napi::RangeError::New(env, "schur: n must be positive");
    if (info.Length() < 3 || !info[2].IsBoolean()) throw Napi::TypeError::New(env, "schur: real must be a boolean");
    auto a = hold_float_array<double>(env, info[0], "a", size_t(checked_product(env, {n, n}, "a")));
    auto* w = new SchurWorker(env, std::move(a), n, info[2].As<Napi::Boolean>().Value());
    w->Queue();
    return w->promise();
  });
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports) {
  exports.Set("svd", Napi::Function::New(env, Svd));
  exports.Set("schur", Napi::Function::New(env, Schur));
}

}  // namespace lowrank
