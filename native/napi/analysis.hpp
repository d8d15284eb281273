// Dynamics analysis bindings (analysis.cc): exports.dynamics: {velocity, jacobian, linearize, eigen, findFixedPoints,
// settle}.
#pragma once
#include <napi.h>

namespace lowrank {
void register_analysis(Napi::Env env, Napi::Object exports);
}
