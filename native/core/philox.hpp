// Philox4x32-10 and its uniform mapping: plain scalar code that host and CUDA device code share, so that the CPU and
// the GPU draw the same bits for the same (seed, counter). No Eigen, no standard library beyond <cstdint>.
#pragma once
#include <cstdint>

#include "host_device.hpp"

namespace lowrank {

struct PhiloxKey {
  uint32_t k0, k1;
  LOWRANK_HOST_DEVICE explicit PhiloxKey(uint64_t seed)
      : k0(static_cast<uint32_t>(seed)), k1(static_cast<uint32_t>(seed >> 32)) {}
};

LOWRANK_HOST_DEVICE inline void philox4x32_10(const uint32_t ctr_in[4], PhiloxKey key, uint32_t out[4]) {
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

// Uniform in the open interval (0, 1) from the top 24 bits: (x >> 8) + 0.5 times 2^-24. Exact in double; in float the
// values >= 1/2 need 25 bits and round to nearest even (the vectorised float paths reproduce this rounding exactly).
template <class S>
LOWRANK_HOST_DEVICE inline S uint_to_open_unit(uint32_t x) {
  return (static_cast<S>(x >> 8) + S(0.5)) * S(5.9604644775390625e-8);  // 2^-24
}

}  // namespace lowrank
