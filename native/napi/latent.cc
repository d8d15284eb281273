// Latent dynamics of low-rank nets and the Gaussian integrals of mean-field theory, on worker threads.
#include "latent_binding.hpp"

#include "../core/gauss_hermite.hpp"
#include "../core/latent.hpp"
#include "../core/memory_guard.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

std::vector<double> copy_array(const Napi::Object& o, const char* key, size_t length) {
  auto h = hold_float_array<double>(o.Env(), o.Get(key), key, length);
  return std::vector<double>(h.data, h.data + h.length);
}

// { size, rank, m, n, offset, scale, shift, activation, slope }
LatentField field_from(const Napi::Object& o) {
  LatentField f;
  f.size = int_field(o, "size", 0);
  f.rank = int_field(o, "rank", 0);
  if (f.size < 1 || f.rank < 1) throw Napi::RangeError::New(o.Env(), "field: size and rank must be positive integers");
  const size_t nr = size_t(checked_product(o.Env(), {f.size, f.rank}, "field.m"));
  f.m = copy_array(o, "m", nr);
  f.n = copy_array(o, "n", nr);
  f.offset = copy_array(o, "offset", size_t(f.size));
  f.scale = copy_array(o, "scale", size_t(f.rank));
  f.shift = copy_array(o, "shift", size_t(f.rank));
  f.transfer = transfer_from(o, "activation", "slope", nullptr);
  validate_latent_field(f);
  return f;
}

int count_of(const Napi::Env& env, const Napi::Value& v, size_t per, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float64Array");
  const size_t len = v.As<Napi::Float64Array>().ElementLength();
  if (len % per != 0)
    throw Napi::RangeError::New(env, std::string(name) + " must hold a whole number of points of " + std::to_string(per) +
                                         " values; got " + std::to_string(len));
  return int(len / per);
}

class VelocityWorker : public PromiseWorker {
 public:
  VelocityWorker(Napi::Env env, LatentField f, HeldArray<double> kappa, int points, bool jacobians)
      : PromiseWorker(env), f_(std::move(f)), kappa_(std::move(kappa)), points_(points), wantJac_(jacobians) {}

 protected:
  void Run() override {
    const size_t R = size_t(f_.rank);
    ensure_allocation_fits(double(points_) * R * (R + 1) * sizeof(double), "latent velocity");
    velocity_.resize(size_t(points_) * R);
    if (wantJac_) jacobians_.resize(size_t(points_) * R * R);
    latent_velocity(f_, kappa_.data, points_, velocity_.data(), wantJac_ ? jacobians_.data() : nullptr);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("velocity", copy_out(env, velocity_));
    if (wantJac_) r.Set("jacobians", copy_out(env, jacobians_));
    return r;
  }

 private:
  LatentField f_;
  HeldArray<double> kappa_;
  int points_;
  bool wantJac_;
  std::vector<double> velocity_, jacobians_;
};

// latentVelocity(field, kappa: Float64Array [points x rank], jacobians: boolean) -> Promise<{ velocity, jacobians? }>
Napi::Value LatentVelocity(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    LatentField f = field_from(object_arg(info, 0, "field"));
    const int points = count_of(env, info[1], size_t(f.rank), "kappa");
    auto kappa = hold_float_array<double>(env, info[1], "kappa", size_t(points) * f.rank);
    const bool jac = info.Length() > 2 && info[2].ToBoolean().Value();
    auto* w = new VelocityWorker(env, std::move(f), std::move(kappa), points, jac);
    w->Queue();
    return w->promise();
  });
}

class RootsWorker : public PromiseWorker {
 public:
  RootsWorker(Napi::Env env, LatentField f, HeldArray<double> starts, int count, NewtonOptions opts)
      : PromiseWorker(env), f_(std::move(f)), starts_(std::move(starts)), count_(count), opts_(opts) {}

 protected:
  void Run() override { roots_ = latent_roots(f_, starts_.data, count_, opts_); }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("points", copy_out(env, roots_.points));
    r.Set("speed", copy_out(env, roots_.speed));
    r.Set("iterations", copy_out(env, roots_.iterations));
    r.Set("converged", copy_out(env, roots_.converged));
    r.Set("jacobians", copy_out(env, roots_.jacobians));
    r.Set("eigenRe", copy_out(env, roots_.eigenRe));
    r.Set("eigenIm", copy_out(env, roots_.eigenIm));
    return r;
  }

 private:
  LatentField f_;
  HeldArray<double> starts_;
  int count_;
  NewtonOptions opts_;
  LatentRoots roots_;
};

// latentRoots(field, starts: Float64Array [count x rank], { tolerance, maxIterations }) -> Promise<roots>
Napi::Value LatentRoots_(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    LatentField f = field_from(object_arg(info, 0, "field"));
    const int count = count_of(env, info[1], size_t(f.rank), "starts");
    auto starts = hold_float_array<double>(env, info[1], "starts", size_t(count) * f.rank);
    const auto o = object_arg(info, 2, "options");
    NewtonOptions opts;
    opts.tolerance = number_field(o, "tolerance", opts.tolerance);
    opts.maxIterations = int_field(o, "maxIterations", opts.maxIterations);
    auto* w = new RootsWorker(env, std::move(f), std::move(starts), count, opts);
    w->Queue();
    return w->promise();
  });
}

// gaussHermite(n) -> { nodes, weights } (physicists' convention, weight exp(-x^2))
Napi::Value GaussHermite_(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "gaussHermite: n must be a number");
    const double n = info[0].As<Napi::Number>().DoubleValue();
    if (n != double(int(n))) throw Napi::RangeError::New(env, "gaussHermite: n must be an integer");
    const GaussHermite rule = gauss_hermite(int(n));
    auto r = Napi::Object::New(env);
    r.Set("nodes", copy_out(env, rule.nodes));
    r.Set("weights", copy_out(env, rule.weights));
    return r;
  });
}

class MomentsWorker : public PromiseWorker {
 public:
  MomentsWorker(Napi::Env env, Transfer t, HeldArray<double> mu, HeldArray<double> delta, int points)
      : PromiseWorker(env), t_(t), mu_(std::move(mu)), delta_(std::move(delta)), points_(points) {}

 protected:
  void Run() override {
    mean_.resize(mu_.length);
    slope_.resize(mu_.length);
    transfer_moments(t_, mu_.data, delta_.data, int(mu_.length), points_, mean_.data(), slope_.data());
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("mean", copy_out(env, mean_));
    r.Set("meanDerivative", copy_out(env, slope_));
    return r;
  }

 private:
  Transfer t_;
  HeldArray<double> mu_, delta_;
  int points_;
  std::vector<double> mean_, slope_;
};

// transferMoments(mu, delta, { activation, slope, points }) -> Promise<{ mean, meanDerivative }>
Napi::Value TransferMoments(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int count = count_of(env, info[0], 1, "mu");
    auto mu = hold_float_array<double>(env, info[0], "mu", size_t(count));
    auto delta = hold_float_array<double>(env, info[1], "delta", size_t(count));
    const auto o = object_arg(info, 2, "options");
    const Transfer t = transfer_from(o, "activation", "slope", nullptr);
    const int points = int_field(o, "points", 200);
    auto* w = new MomentsWorker(env, t, std::move(mu), std::move(delta), points);
    w->Queue();
    return w->promise();
  });
}

}  // namespace

void register_latent(Napi::Env env, Napi::Object exports) {
  exports.Set("latentVelocity", Napi::Function::New(env, LatentVelocity));
  exports.Set("latentRoots", Napi::Function::New(env, LatentRoots_));
  exports.Set("gaussHermite", Napi::Function::New(env, GaussHermite_));
  exports.Set("transferMoments", Napi::Function::New(env, TransferMoments));
}

}  // namespace lowrank
