// The third argument of `new NativeModel(spec, options, initial)`: how the parameters start. Given values are copied
// (and converted to the model's dtype) at once, on the calling thread, so the caller may reuse its arrays; the random
// draws of the reference initialisation are made by draw_initial_values, which the model runs on a worker thread
// when they are many.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "../core/initial_values.hpp"
#include "glue.hpp"

namespace lowrank {

template <class S>
struct InitialValues {
  InitialPlan plan;
  // Layout order; the given parameters filled, the others to draw. Not zeroed: the draw writes every entry it owns,
  // on the worker thread, so the calling thread does not touch pages it does not fill.
  std::unique_ptr<S[]> params;
};

inline InitialDraw parse_initial_draw(const std::string& s) {
  if (s == "zeros") return InitialDraw::Zero;
  if (s == "ones") return InitialDraw::Ones;
  if (s == "normal") return InitialDraw::Normal;
  if (s == "dale-normal") return InitialDraw::DaleNormal;
  throw std::invalid_argument("initial draw must be 'zeros', 'ones', 'normal' or 'dale-normal'; got '" + s + "'");
}

// { seed, draws: { <param>: { kind, std } }, given: { <param>: Float32Array | Float64Array } }: every parameter of the
// layout has a draw or a given value (a given one wins).
template <class S>
InitialValues<S> initial_values_from(const Napi::Object& o, const ParamLayout& layout) {
  using namespace glue;
  const Napi::Env env = o.Env();
  InitialValues<S> out;
  out.plan.seed = number_field(o, "seed");
  const Napi::Value drawsValue = required_field(o, "draws");
  const Napi::Value givenValue = required_field(o, "given");
  if (!drawsValue.IsObject() || !givenValue.IsObject()) throw Napi::TypeError::New(env, "initial: draws and given must be objects");
  const auto draws = drawsValue.As<Napi::Object>();
  const auto given = givenValue.As<Napi::Object>();
  out.params.reset(new S[size_t(layout.total)]);
  for (int id = 0; id < kParamCount; ++id) {
    const ParamSegment& seg = layout.seg[id];
    if (seg.shape.empty()) continue;  // not part of this kind of model
    const std::string name = param_name(id);
    const Napi::Value value = given.Get(name);
    if (!value.IsUndefined()) {
      if (!value.IsTypedArray()) throw Napi::TypeError::New(env, "initial.given." + name + " must be a Float32Array or Float64Array");
      const auto type = value.As<Napi::TypedArray>().TypedArrayType();
      const size_t n = size_t(seg.count);
      S* to = out.params.get() + seg.offset;
      if (type == napi_float32_array) {
        auto h = hold_array<float>(env, value, ("initial.given." + name).c_str(), n);
        std::copy(h.data, h.data + n, to);
      } else {
        auto h = hold_array<double>(env, value, ("initial.given." + name).c_str(), n);
        for (size_t i = 0; i < n; ++i) to[i] = S(h.data[i]);
      }
      out.plan.given[id] = true;
      continue;
    }
    const Napi::Value draw = draws.Get(name);
    if (!draw.IsObject()) throw Napi::TypeError::New(env, "initial: parameter '" + name + "' has neither a draw nor a given value");
    out.plan.draw[id] = parse_initial_draw(string_field(draw.As<Napi::Object>(), "kind"));
    out.plan.std[id] = finite_field(draw.As<Napi::Object>(), "std");
  }
  return out;
}

}  // namespace lowrank
