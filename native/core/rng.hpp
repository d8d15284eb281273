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
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

// Uniform in the open interval (0, 1) from the top 24 bits: (x >> 8) + 0.5 times 2^-24. Exact in double; in float the
// values >= 1/2 need 25 bits and round to nearest even (the vectorised float paths reproduce this rounding exactly).
template <class S>
inline S uint_to_open_unit(uint32_t x) {
  return (static_cast<S>(x >> 8) + S(0.5)) * S(5.9604644775390625e-8);  // 2^-24
}

namespace detail {

// Portable reference-shaped path: Philox over blocks of 16 counters (the compiler may vectorise it), then Box-Muller on
// whole lanes with Eigen's vectorised log/sqrt/sin/cos. Used for S = double and on targets without AVX2.
template <class S>
void fill_normal_row_generic(S* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, S scale) {
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

#if defined(__AVX2__)
// ---- AVX2 float path -----------------------------------------------------------------------------------------------
// Philox state layout: a __m256i holds one word of 4 counters, one counter per 64-bit lane, with the live 32-bit word
// in the low half. _mm256_mul_epu32 reads only the low halves, so its full 64-bit product gives lo (low half) and hi
// (>> 32) without shuffles, and the garbage left in the high halves never reaches a live word.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// Per-row Philox constants. Only word 0 of the counter (j) varies along a row, so round 0's product M1 * trial, its
// outputs A = c0' and B = c1', and round 1's product M0 * A are the same for every counter and are folded in here.
// (Round 0's M0 * j is formed as M0 * j0 + M0 * offset in 64 bits, which is exact because j < 2^32 for any int n.)
struct PhiloxRowAvx2 {
  __m256i k0[10], k1[10];  // round keys (every 32-bit lane; only the low halves matter)
  __m256i s0;              // round 0: c2' = hi(M0 j) ^ s0,             s0 = stream ^ k1_0
  __m256i x1, y1;          // round 1: c0' = hi(M1 c2) ^ x1, c2' = c3 ^ y1, x1 = B ^ k0_1, y1 = hi(M0 A) ^ k1_1
  __m256i z2;              // round 2: c2' = hi(M0 c0) ^ z2,            z2 = lo(M0 A) ^ k1_2
  PhiloxRowAvx2(PhiloxKey key, uint32_t step, uint32_t trial, uint32_t stream) {
    uint32_t kk0[10], kk1[10];
    for (int r = 0; r < 10; ++r) {
      kk0[r] = key.k0 + static_cast<uint32_t>(r) * kPhiloxW0;
      kk1[r] = key.k1 + static_cast<uint32_t>(r) * kPhiloxW1;
      k0[r] = _mm256_set1_epi32(static_cast<int>(kk0[r]));
      k1[r] = _mm256_set1_epi32(static_cast<int>(kk1[r]));
    }
    const uint64_t pt = static_cast<uint64_t>(kPhiloxM1) * trial;
    const uint32_t a = static_cast<uint32_t>(pt >> 32) ^ step ^ kk0[0];  // c0 after round 0
    const uint32_t b = static_cast<uint32_t>(pt);                        // c1 after round 0
    const uint64_t pa = static_cast<uint64_t>(kPhiloxM0) * a;
    s0 = _mm256_set1_epi32(static_cast<int>(stream ^ kk1[0]));
    x1 = _mm256_set1_epi32(static_cast<int>(b ^ kk0[1]));
    y1 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(pa >> 32) ^ kk1[1]));
    z2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(pa) ^ kk1[2]));
  }
};

// Philox4x32-10 of kSets * 4 counters: set s holds counters j + 4s + (0, 2, 1, 3) (the order box_muller16_avx2 wants).
// Returns per set the radius words rw = (c0, c2) and the angle words aw = (c1, c3) of each counter as 32-bit lanes.
// between(r) is called after rounds r = 0..8; the caller uses it to interleave independent work (Box-Muller of the
// previous pass) with the latency-bound rounds.
template <int kSets, class Between>
inline void philox_avx2(uint32_t j, const PhiloxRowAvx2& pc, __m256i (&rw)[kSets], __m256i (&aw)[kSets],
                        Between&& between) {
  const __m256i m0 = _mm256_set1_epi64x(kPhiloxM0), m1 = _mm256_set1_epi64x(kPhiloxM1);
  __m256i c0[kSets], c1[kSets], c2[kSets], c3[kSets];
  // Round 0: M0 * (j + offset) = M0 * j + M0 * offset, exact in 64 bits.
  const __m256i pj = _mm256_set1_epi64x(static_cast<long long>(static_cast<uint64_t>(kPhiloxM0) * j));
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const uint64_t o = 4u * static_cast<uint64_t>(s);
    const __m256i p0 = _mm256_add_epi64(
        pj, _mm256_setr_epi64x(static_cast<long long>(kPhiloxM0 * (o + 0)), static_cast<long long>(kPhiloxM0 * (o + 2)),
                               static_cast<long long>(kPhiloxM0 * (o + 1)), static_cast<long long>(kPhiloxM0 * (o + 3))));
    c2[s] = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), pc.s0);
    c3[s] = p0;
  }
  between(0);
  // Round 1 (c0, c1 are row constants).
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const __m256i p1 = _mm256_mul_epu32(c2[s], m1);
    c0[s] = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), pc.x1);
    c1[s] = p1;
    c2[s] = _mm256_xor_si256(c3[s], pc.y1);
  }
  between(1);
  // Round 2 (c3 is a row constant).
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const __m256i p0 = _mm256_mul_epu32(c0[s], m0), p1 = _mm256_mul_epu32(c2[s], m1);
    c0[s] = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(c1[s], pc.k0[2]));
    c2[s] = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), pc.z2);
    c1[s] = p1;
    c3[s] = p0;
  }
  between(2);
  // Rounds 3-8.
#pragma GCC unroll 6
  for (int r = 3; r < 9; ++r) {
#pragma GCC unroll 8
    for (int s = 0; s < kSets; ++s) {
      const __m256i p0 = _mm256_mul_epu32(c0[s], m0), p1 = _mm256_mul_epu32(c2[s], m1);
      c0[s] = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(c1[s], pc.k0[r]));
      c2[s] = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), _mm256_xor_si256(c3[s], pc.k1[r]));
      c1[s] = p1;
      c3[s] = p0;
    }
    between(r);
  }
  // Round 9, producing word 2 directly in the high halves, then packing.
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const __m256i p0 = _mm256_mul_epu32(c0[s], m0), p1 = _mm256_mul_epu32(c2[s], m1);
    const __m256i w0 = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(c1[s], pc.k0[9]));
    const __m256i w2 = _mm256_xor_si256(p0, _mm256_slli_epi64(_mm256_xor_si256(c3[s], pc.k1[9]), 32));
    rw[s] = _mm256_blend_epi32(w0, w2, 0xAA);
    aw[s] = _mm256_blend_epi32(p1, _mm256_slli_epi64(p0, 32), 0xAA);
  }
}

// Per-row constants of the float Box-Muller: the sin/cos polynomial coefficients pre-multiplied by `scale`.
struct BoxMullerConsts {
  // sin(pi f) = f S(f^2), cos(pi f) = C(f^2), minimax on |f| <= 1/2 (5e-9 relative, 5e-8 absolute).
  static constexpr float kSin[5] = {3.141592637e+00f, -5.167709685e+00f, 2.550069725e+00f, -5.982421167e-01f,
                                    7.756036524e-02f};
  static constexpr float kCos[5] = {9.999999535e-01f, -4.934792859e+00f, 4.058411910e+00f, -1.331880133e+00f,
                                    2.196967339e-01f};
  __m256 s[5], c[5];
  explicit BoxMullerConsts(float scale) {
    for (int i = 0; i < 5; ++i) {
      s[i] = _mm256_set1_ps(kSin[i] * scale);
      c[i] = _mm256_set1_ps(kCos[i] * scale);
    }
  }
};

// -2 ln(u) for u = 2^-25 v, v a positive normal float. v = 2^e m with m in [sqrt(1/2), sqrt(2)), g = 2 - 2m (exact),
// -2 ln(m) = g + g^2/4 + g^3 Q(g) (minimax Q, 2.6e-7 relative), -2 ln(u) = -2 ln(m) - 2 (e - 25) ln2.
inline __m256 minus2log_scaled_avx2(__m256 v) {
  const __m256i iv = _mm256_castps_si256(v);
  const __m256i ix = _mm256_sub_epi32(iv, _mm256_set1_epi32(0x3F3504F3 + (25 << 23)));  // exponent field - 25
  const __m256 e = _mm256_cvtepi32_ps(_mm256_srai_epi32(ix, 23));
  const __m256 m = _mm256_castsi256_ps(
      _mm256_add_epi32(_mm256_and_si256(ix, _mm256_set1_epi32(0x007FFFFF)), _mm256_set1_epi32(0x3F3504F3)));
  const __m256 g = _mm256_fnmadd_ps(m, _mm256_set1_ps(2.0f), _mm256_set1_ps(2.0f));
  __m256 q = _mm256_set1_ps(7.962308208e-04f);
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(2.503814284e-03f));
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(5.355353567e-03f));
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(1.245281298e-02f));
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(3.122908323e-02f));
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(8.333561440e-02f));
  q = _mm256_fmadd_ps(q, g, _mm256_set1_ps(0.25f));
  const __m256 hm = _mm256_fmadd_ps(_mm256_mul_ps(g, g), q, g);          // -2 ln(m)
  return _mm256_fmadd_ps(e, _mm256_set1_ps(-1.3862943611198906f), hm);  // - 2 (e - 25) ln2
}

// Radius sqrt(-2 ln u) of 8 words, u = uint_to_open_unit<float>(w) = (m + 0.5) 2^-24, m = w >> 8. The float
// 2^25 u = fl(2m + 1) comes from one conversion with the same rounding as uint_to_open_unit<float>.
inline __m256 bm_radius_avx2(__m256i w) {
  const __m256 v = _mm256_cvtepi32_ps(_mm256_or_si256(_mm256_srli_epi32(w, 7), _mm256_set1_epi32(1)));
  return _mm256_sqrt_ps(minus2log_scaled_avx2(v));
}

// Angle 2 pi u of 8 words with one exact range reduction: y = 2u, q = round(y) in {0, 1, 2}, f = y - q in [-1/2, 1/2],
// (cos, sin)(2 pi u) = (-1)^q (cos, sin)(pi f) = sign * (C(f^2), f S(f^2)) / scale.
// Returns the sign bit of (-1)^q (bit 23 of the float 1.0f shifted into bit 31), f, C and S.
inline void bm_angle_avx2(__m256i w, const BoxMullerConsts& k, __m256& sign, __m256& f, __m256& cp, __m256& sp) {
  const __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)), _mm256_set1_ps(1.1920928955078125e-7f),
                                   _mm256_set1_ps(5.9604644775390625e-8f));  // 2 * uint_to_open_unit, same rounding
  const __m256 q = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  f = _mm256_sub_ps(y, q);
  sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(q), 8));
  const __m256 t = _mm256_mul_ps(f, f);
  sp = _mm256_fmadd_ps(k.s[4], t, k.s[3]);
  cp = _mm256_fmadd_ps(k.c[4], t, k.c[3]);
  sp = _mm256_fmadd_ps(sp, t, k.s[2]);
  cp = _mm256_fmadd_ps(cp, t, k.c[2]);
  sp = _mm256_fmadd_ps(sp, t, k.s[1]);
  cp = _mm256_fmadd_ps(cp, t, k.c[1]);
  sp = _mm256_fmadd_ps(sp, t, k.s[0]);
  cp = _mm256_fmadd_ps(cp, t, k.c[0]);
}

// Box-Muller of 4 counters from their radius words rw = (c0, c2) and angle words aw = (c1, c3), the counters in lane
// order (j, j+2, j+1, j+3). Writes the 16 normals 4j..4j+15 (times scale) to out.
inline void box_muller16_avx2(__m256i rw, __m256i aw, const BoxMullerConsts& k, float* out) {
  __m256 sign, f, cp, sp;
  bm_angle_avx2(aw, k, sign, f, cp, sp);
  const __m256 r = _mm256_xor_ps(bm_radius_avx2(rw), sign);
  const __m256 zc = _mm256_mul_ps(r, cp), zs = _mm256_mul_ps(_mm256_mul_ps(r, f), sp);
  // unpacklo -> counters j, j+1 (lanes 0 and 2); unpackhi -> counters j+2, j+3 (lanes 1 and 3).
  _mm256_storeu_ps(out, _mm256_unpacklo_ps(zc, zs));
  _mm256_storeu_ps(out + 8, _mm256_unpackhi_ps(zc, zs));
}

inline void fill_normal_row_avx2(float* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream,
                                 float scale) {
  constexpr int kSets = 4;  // a pass: 4 sets x 4 counters x 4 normals = 64 normals
  constexpr int kPerPass = 16 * kSets;
  if (n <= 0) return;
  const PhiloxRowAvx2 pc(PhiloxKey(seed), step, trial, stream);
  const BoxMullerConsts bm(scale);
  // Software pipeline: while the Philox rounds of pass i+1 run (a latency-bound dependency chain), the Box-Muller of
  // pass i (independent, floating-point heavy) is issued between them, set s after round s + 1.
  __m256i rw[kSets], aw[kSets];
  philox_avx2<kSets>(0, pc, rw, aw, [](int) {});
  int first = 0;
  for (; first + kPerPass < n; first += kPerPass) {
    float* o = out + first;
    __m256i rw2[kSets], aw2[kSets];
    philox_avx2<kSets>(static_cast<uint32_t>((first + kPerPass) / 4), pc, rw2, aw2, [&](int r) {
      for (int s = 0; s < kSets; ++s)
        if (r == s + 1) box_muller16_avx2(rw[s], aw[s], bm, o + 16 * s);
    });
    for (int s = 0; s < kSets; ++s) {
      rw[s] = rw2[s];
      aw[s] = aw2[s];
    }
  }
  if (n - first == kPerPass) {
    for (int s = 0; s < kSets; ++s) box_muller16_avx2(rw[s], aw[s], bm, out + first + 16 * s);
  } else {  // partial last pass
    alignas(32) float tmp[kPerPass];
    for (int s = 0; s < kSets; ++s) box_muller16_avx2(rw[s], aw[s], bm, tmp + 16 * s);
    std::copy(tmp, tmp + (n - first), out + first);
  }
}
#endif  // __AVX2__


}  // namespace detail

// Fills out[0..n) with standard normal variates of one (step, trial, stream) row, scaled by `scale`.
// float with AVX2: hand-vectorised Philox + Box-Muller with a minimax log and a single-reduction sincos
// (max abs deviation from double-precision Box-Muller on the same uniforms ~1e-6). Otherwise: the portable path.
template <class S>
void fill_normal_row(S* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, S scale) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<S, float>) {
    detail::fill_normal_row_avx2(out, n, seed, step, trial, stream, scale);
    return;
  } else
#endif
  {
    detail::fill_normal_row_generic<S>(out, n, seed, step, trial, stream, scale);
  }
}

}  // namespace lowrank
