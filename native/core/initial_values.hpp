// The reference initialisation of a model's parameters, drawn in the native core so that large nets (a full-rank
// wrec of N = 2000 holds 4 million normal variates) are drawn off the JavaScript thread. The generator is the
// package's seeded generator of ts/core/random.ts (xoshiro128** seeded through splitmix32, normal variates by
// Box-Muller, one generator walked through the parameters in layout order), so that a seed draws the same stream of
// uniforms in both layers. The normals agree with TypeScript's to the last bit of a float32; in double they may differ
// in the last bit, because the C library's log, sin and cos are not V8's.
#pragma once
#include <cstdint>

#include "model.hpp"

namespace lowrank {

// How one parameter starts. Zero and Ones draw nothing; Normal draws N(0, std^2); DaleNormal draws N(0, std^2) and,
// with the spec's Dale signs, keeps |w_ij| signed by presynaptic unit j, inhibitory columns scaled by nE / nI so that
// the expected input is balanced (full-rank wrec only).
enum class InitialDraw { Zero, Ones, Normal, DaleNormal };

struct InitialPlan {
  double seed = 0;  // any safe integer, as ts/core/random.ts takes it
  InitialDraw draw[kParamCount] = {};
  double std[kParamCount] = {};
  bool given[kParamCount] = {};  // given values: left as they are, and no variate is drawn for them
};

// The seeded generator of ts/core/random.ts (class Random), variate for variate.
class SeededRandom {
 public:
  explicit SeededRandom(double seed);
  uint32_t nextUint32();
  double uniform();  // [0, 1), 53 random bits
  double normal();

 private:
  uint32_t a_, b_, c_, d_;
  bool hasSpare_ = false;
  double spare_ = 0.0;
};

// Fills every parameter of `params` (layout order) that the plan does not mark as given, in layout order from one
// generator; values are computed in double and rounded to S once. The structural constraints (masks, no autapse) are
// the backend's setParams' business.
template <class S>
void draw_initial_values(const ModelSpec& spec, const ParamLayout& layout, const InitialPlan& plan, S* params);

}  // namespace lowrank
