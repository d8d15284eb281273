#include "initial_values.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace lowrank {
namespace {

uint32_t splitmix32(int32_t& state) {
  state = int32_t(uint32_t(state) + 0x9e3779b9u);
  uint32_t z = uint32_t(state);
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// JavaScript's ToInt32 of an integral double whose magnitude is below 2^53.
int32_t to_int32(double d) { return int32_t(uint32_t(uint64_t(int64_t(d)))); }

}  // namespace

SeededRandom::SeededRandom(double seed) {
  if (!(std::fabs(seed) <= 9007199254740991.0) || seed != std::floor(seed))
    throw std::range_error("seed must be a safe integer");
  // (seed >>> 0) ^ Math.imul(Math.floor(seed / 2^32) | 0, 0x27d4eb2f)
  const uint32_t low = uint32_t(uint64_t(int64_t(seed)));
  const uint32_t high = uint32_t(to_int32(std::floor(seed / 4294967296.0)));
  int32_t state = int32_t(low ^ (high * 0x27d4eb2fu));
  a_ = splitmix32(state);
  b_ = splitmix32(state);
  c_ = splitmix32(state);
  d_ = splitmix32(state);
  if ((a_ | b_ | c_ | d_) == 0) a_ = 1;
}

uint32_t SeededRandom::nextUint32() {
  const uint32_t result = rotl(b_ * 5u, 7) * 9u;
  const uint32_t t = b_ << 9;
  c_ ^= a_;
  d_ ^= b_;
  b_ ^= c_;
  a_ ^= d_;
  c_ ^= t;
  d_ = rotl(d_, 11);
  return result;
}

double SeededRandom::uniform() {
  const uint32_t hi = nextUint32() >> 5;
  const uint32_t lo = nextUint32() >> 6;
  return (double(hi) * 67108864.0 + double(lo)) / 9007199254740992.0;
}

double SeededRandom::normal() {
  if (hasSpare_) {
    hasSpare_ = false;
    return spare_;
  }
  double u = 0.0;
  while (u == 0.0) u = uniform();
  const double v = uniform();
  const double r = std::sqrt(-2.0 * std::log(u));
  const double angle = 2.0 * M_PI * v;
  spare_ = r * std::sin(angle);
  hasSpare_ = true;
  return r * std::cos(angle);
}

template <class S>
void draw_initial_values(const ModelSpec& spec, const ParamLayout& layout, const InitialPlan& plan, S* params) {
  SeededRandom rng(plan.seed);
  std::vector<double> values;
  for (int id = 0; id < kParamCount; ++id) {
    const ParamSegment& seg = layout.seg[id];
    if (seg.count == 0 || plan.given[id]) continue;
    S* out = params + seg.offset;
    switch (plan.draw[id]) {
      case InitialDraw::Zero: std::fill_n(out, seg.count, S(0)); continue;
      case InitialDraw::Ones: std::fill_n(out, seg.count, S(1)); continue;
      default: break;
    }
    values.resize(size_t(seg.count));
    for (double& v : values) v = 0.0 + plan.std[id] * rng.normal();  // 0 + x as TypeScript's mean + std * z
    if (plan.draw[id] == InitialDraw::DaleNormal && !spec.daleSigns.empty()) {
      if (id != kWrec) throw std::invalid_argument("Dale's law initialisation applies to wrec only");
      const int N = spec.size;
      int nE = 0;
      for (int8_t s : spec.daleSigns) nE += s > 0;
      const int nI = N - nE;
      const double inhibitoryScale = nI > 0 && nE > 0 ? double(nE) / double(nI) : 1.0;
      for (int64_t i = 0; i < N; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double& w = values[size_t(i * N + j)];
          const double a = std::fabs(w);
          w = spec.daleSigns[size_t(j)] > 0 ? a : -a * inhibitoryScale;
        }
    }
    for (int64_t i = 0; i < seg.count; ++i) out[i] = S(values[size_t(i)]);
  }
}

template void draw_initial_values<float>(const ModelSpec&, const ParamLayout&, const InitialPlan&, float*);
template void draw_initial_values<double>(const ModelSpec&, const ParamLayout&, const InitialPlan&, double*);

}  // namespace lowrank
