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
  f.size = int_field(o, "size");
  f.rank = int_field(o, "rank");
  if (f.size < 1 || f.rank < 1) throw Napi::RangeError::New(o.Env(), "field: size and rank must be positive integers");
  const size_t nr = size_t(checked_product(o.Env(), {f.size, f.rank}, "field.m"));
  f.m = copy_array(o, "m", nr);
  f.n = copy_array(o, "n", nr);
  f.offset = copy_array(o, "offset", size_t(f.size));
  f.scale = copy_array(o, "scale", size_t(f.rank));
  f.shift = copy_array(o, "shift", size_t(f.rank));
  f.transfer = transfer_from(o, "activation", "slope");
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

// latentVelocity(field, kappa: Float64Array [points x rank], jacobians: boolean) -> Promise<{ velocity, jacobians? }>
Napi::Value LatentVelocity(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    LatentField f = field_from(object_arg(info, 0, "field"));
    const int points = count_of(env, info[1], size_t(f.rank), "kappa");
    auto kappa = hold_float_array<double>(env, info[1], "kappa", size_t(points) * f.rank);
    const bool wantJacobians = info.Length() > 2 && info[2].ToBoolean().Value();
    struct Out {
      std::vector<double> velocity, jacobians;
    };
    return queue_work(
        env,
        [f = std::move(f), kappa = std::move(kappa), points, wantJacobians] {
          const size_t R = size_t(f.rank);
          ensure_allocation_fits(double(points) * R * (R + 1) * sizeof(double), "latent velocity");
          Out out;
          out.velocity.resize(size_t(points) * R);
          if (wantJacobians) out.jacobians.resize(size_t(points) * R * R);
          latent_velocity(f, kappa.data, points, out.velocity.data(), wantJacobians ? out.jacobians.data() : nullptr);
          return out;
        },
        [wantJacobians](Napi::Env env, const Out& out) -> Napi::Value {
          auto r = Napi::Object::New(env);
          r.Set("velocity", copy_out(env, out.velocity));
          if (wantJacobians) r.Set("jacobians", copy_out(env, out.jacobians));
          return r;
        });
  });
}

// latentRoots(field, starts: Float64Array [count x rank], { tolerance, maxIterations }) -> Promise<roots>
Napi::Value LatentRoots_(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    LatentField f = field_from(object_arg(info, 0, "field"));
    const int count = count_of(env, info[1], size_t(f.rank), "starts");
    auto starts = hold_float_array<double>(env, info[1], "starts", size_t(count) * f.rank);
    const auto o = object_arg(info, 2, "options");
    NewtonOptions opts;
    opts.tolerance = number_field(o, "tolerance");
    opts.maxIterations = int_field(o, "maxIterations");
    return queue_work(
        env, [f = std::move(f), starts = std::move(starts), count, opts] { return latent_roots(f, starts.data, count, opts); },
        [](Napi::Env env, const LatentRoots& roots) -> Napi::Value {
          return arrays_out(env, named("points", roots.points), named("speed", roots.speed),
                            named("iterations", roots.iterations), named("converged", roots.converged),
                            named("jacobians", roots.jacobians), named("eigenRe", roots.eigenRe),
                            named("eigenIm", roots.eigenIm));
        });
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
    return arrays_out(env, named("nodes", rule.nodes), named("weights", rule.weights));
  });
}

// transferMoments(mu, delta, { activation, slope, points }) -> Promise<{ mean, meanDerivative }>
Napi::Value TransferMoments(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int count = count_of(env, info[0], 1, "mu");
    auto mu = hold_float_array<double>(env, info[0], "mu", size_t(count));
    auto delta = hold_float_array<double>(env, info[1], "delta", size_t(count));
    const auto o = object_arg(info, 2, "options");
    const Transfer t = transfer_from(o, "activation", "slope");
    const int points = int_field(o, "points");
    struct Out {
      std::vector<double> mean, slope;
    };
    return queue_work(
        env,
        [t, mu = std::move(mu), delta = std::move(delta), points] {
          Out out;
          out.mean.resize(mu.length);
          out.slope.resize(mu.length);
          transfer_moments(t, mu.data, delta.data, int(mu.length), points, out.mean.data(), out.slope.data());
          return out;
        },
        [](Napi::Env env, const Out& out) -> Napi::Value {
          return arrays_out(env, named("mean", out.mean), named("meanDerivative", out.slope));
        });
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
