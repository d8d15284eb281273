// Counter-based Gaussian noise (Philox4x32-10 + Box-Muller).
//
// Every normal variate is a pure function of (seed, neuron block, step, trial, stream), so results do not depend
// on how trials are split across threads, and a GPU thread can draw the value of "its" neuron directly.
// Stream layout: counter = {i / 4, t, trial, stream}, key = {seed low 32 bits, seed high 32 bits}. Each Philox call
// gives 4 uint32 words (u0..u3); Box-Muller turns (u0, u1) into neurons 4j, 4j+1 and (u2, u3) into 4j+2, 4j+3.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lowrank {

struct PhiloxKey {
  uint32_t k0, k1;
  explicit PhiloxKey(uint64_t seed) : k0(static_cast<uint32_t>(seed)), k1(static_cast<uint32_t>(seed >> 32)) {}
};

inline void philox4x32_10(const uint32_t ctr_in[4], PhiloxKey key, uint32_t out[4]) {
  uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
  uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// Uniform in the open interval (0, 1) from the top 24 bits, exactly representable in float and double.
template <class S>
inline S uint_to_open_unit(uint32_t x) {
  return (static_cast<S>(x >> 8) + S(0.5)) * S(5.9604644775390625e-8);  // 2^-24
}

// Fills out[0..n) with standard normal variates of one (step, trial, stream) row, scaled by `scale`.
// The Philox part runs over blocks of 16 counters at a time so that the compiler can vectorise it.
template <class S>
void fill_normal_row(S* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, S scale) {
  constexpr int kLanes = 16;
  const PhiloxKey key(seed);
  const int blocks = (n + 3) / 4;
  for (int j0 = 0; j0 < blocks; j0 += kLanes) {
    uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      c0[l] = static_cast<uint32_t>(j0 + l); c1[l] = step; c2[l] = trial; c3[l] = stream;
    }
    uint32_t k0 = key.k0, k1 = key.k1;
    for (int round = 0; round < 10; ++round) {
      for (int l = 0; l < kLanes; ++l) {
        const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0[l];
        const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2[l];
        const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
        const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
        c1[l] = static_cast<uint32_t>(p1);
        c3[l] = static_cast<uint32_t>(p0);
        c0[l] = n0;
        c2[l] = n2;
      }
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    // Box-Muller on whole lanes with Eigen's vectorised log/sqrt/sin/cos.
    using Lanes = Eigen::Array<S, kLanes, 1>;
    Lanes u[4];
    const uint32_t* words[4] = {c0, c1, c2, c3};
    for (int w = 0; w < 4; ++w)
      for (int l = 0; l < kLanes; ++l) u[w](l) = uint_to_open_unit<S>(words[w][l]);
    const S twoPi = S(6.283185307179586);
    const Lanes ra = (S(-2) * u[0].log()).sqrt(), rb = (S(-2) * u[2].log()).sqrt();
    const Lanes ta = twoPi * u[1], tb = twoPi * u[3];
    const Lanes za = ra * ta.cos(), zb = ra * ta.sin(), zc = rb * tb.cos(), zd = rb * tb.sin();
    S z[4 * kLanes];
    for (int l = 0; l < kLanes; ++l) {
      z[4 * l + 0] = za(l);
      z[4 * l + 1] = zb(l);
      z[4 * l + 2] = zc(l);
      z[4 * l + 3] = zd(l);
    }
    const int first = 4 * j0;
    const int count = std::min(4 * kLanes, n - first);
    for (int i = 0; i < count; ++i) out[first + i] = scale * z[i];
  }
}

}  // namespace lowrank
