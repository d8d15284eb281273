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

#include "philox.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lowrank {

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
// ---- SIMD float path (AVX2, and AVX-512 where compiled for it) -----------------------------------------------------
// One template serves both widths, with the same operations lane by lane, so the two give bit-identical normals.
// Philox state layout: a vector holds one word of kCounters counters, one counter per 64-bit lane, with the live
// 32-bit word in the low half. mul_epu32 reads only the low halves, so its full 64-bit product gives lo (low half) and
// hi (the high half, swapped down), and the garbage left in the high halves never reaches a live word.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// The operations the kernels use, on 256-bit vectors (4 counters) ...
struct Avx2 {
  using I = __m256i;
  using F = __m256;
  static constexpr int kCounters = 4;
  static I set1_32(uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
  static I set1_64(uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
  static I load(const uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I add64(I a, I b) { return _mm256_add_epi64(a, b); }
  static I mul_lo32(I a, I b) { return _mm256_mul_epu32(a, b); }
  static I xor_(I a, I b) { return _mm256_xor_si256(a, b); }
  static I xor3(I a, I b, I c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static I hi_to_lo(I a) { return _mm256_shuffle_epi32(a, 0xB1); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
  template <int n> static I sll64(I a) { return _mm256_slli_epi64(a, n); }
  template <int n> static I srl32(I a) { return _mm256_srli_epi32(a, n); }
  template <int n> static I sra32(I a) { return _mm256_srai_epi32(a, n); }
  template <int n> static I sll32(I a) { return _mm256_slli_epi32(a, n); }
  static I odd32_from(I even, I odd) { return _mm256_blend_epi32(even, odd, 0xAA); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static F as_float(I a) { return _mm256_castsi256_ps(a); }
  static I as_int(F a) { return _mm256_castps_si256(a); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F xor_(F a, F b) { return _mm256_xor_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F unpacklo(F a, F b) { return _mm256_unpacklo_ps(a, b); }
  static F unpackhi(F a, F b) { return _mm256_unpackhi_ps(a, b); }
  static void store(float* p, F a) { _mm256_storeu_ps(p, a); }
};

#if defined(__AVX512F__)
// ... and on 512-bit vectors (8 counters).
struct Avx512 {
  using I = __m512i;
  using F = __m512;
  static constexpr int kCounters = 8;
  static I set1_32(uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
  static I set1_64(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
  static I load(const uint64_t* p) { return _mm512_loadu_si512(p); }
  static I add64(I a, I b) { return _mm512_add_epi64(a, b); }
  static I mul_lo32(I a, I b) { return _mm512_mul_epu32(a, b); }
  static I xor_(I a, I b) { return _mm512_xor_si512(a, b); }
  static I xor3(I a, I b, I c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
  static I hi_to_lo(I a) { return _mm512_shuffle_epi32(a, _MM_PERM_CDAB); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
  template <int n> static I sll64(I a) { return _mm512_slli_epi64(a, n); }
  template <int n> static I srl32(I a) { return _mm512_srli_epi32(a, n); }
  template <int n> static I sra32(I a) { return _mm512_srai_epi32(a, n); }
  template <int n> static I sll32(I a) { return _mm512_slli_epi32(a, n); }
  static I odd32_from(I even, I odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F to_float(I a) { return _mm512_cvtepi32_ps(a); }
  static F as_float(I a) { return _mm512_castsi512_ps(a); }
  static I as_int(F a) { return _mm512_castps_si512(a); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F xor_(F a, F b) { return _mm512_castsi512_ps(_mm512_xor_si512(as_int(a), as_int(b))); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F unpacklo(F a, F b) { return _mm512_unpacklo_ps(a, b); }
  static F unpackhi(F a, F b) { return _mm512_unpackhi_ps(a, b); }
  static void store(float* p, F a) { _mm512_storeu_ps(p, a); }
};
using SimdWidest = Avx512;
#else
using SimdWidest = Avx2;
#endif

// Counter (relative to the set's first) in 64-bit lane l: lane 2q holds counter q, lane 2q+1 counter kCounters/2 + q,
// so that unpacklo/unpackhi of each 128-bit lane give the normals of the first and second half of the set in order.
template <class V>
constexpr uint32_t counter_of_lane(int l) {
  return static_cast<uint32_t>(l % 2 == 0 ? l / 2 : V::kCounters / 2 + l / 2);
}

// Per-row Philox constants. Only word 0 of the counter (j) varies along a row, so round 0's product M1 * trial, its
// outputs A = c0' and B = c1', and round 1's product M0 * A are the same for every counter and are folded in here.
// (Round 0's M0 * j is formed as M0 * j0 + M0 * offset in 64 bits, which is exact because j < 2^32 for any int n.)
template <class V>
struct PhiloxRow {
  using I = typename V::I;
  I k0[10], k1[10];  // round keys (every 32-bit lane; only the low halves matter)
  I s0;              // round 0: c2' = hi(M0 j) ^ s0,             s0 = stream ^ k1_0
  I x1, y1;          // round 1: c0' = hi(M1 c2) ^ x1, c2' = c3 ^ y1, x1 = B ^ k0_1, y1 = hi(M0 A) ^ k1_1
  I z2;              // round 2: c2' = hi(M0 c0) ^ z2,            z2 = lo(M0 A) ^ k1_2
  PhiloxRow(PhiloxKey key, uint32_t step, uint32_t trial, uint32_t stream) {
    uint32_t kk0[10], kk1[10];
    for (int r = 0; r < 10; ++r) {
      kk0[r] = key.k0 + static_cast<uint32_t>(r) * kPhiloxW0;
      kk1[r] = key.k1 + static_cast<uint32_t>(r) * kPhiloxW1;
      k0[r] = V::set1_32(kk0[r]);
      k1[r] = V::set1_32(kk1[r]);
    }
    const uint64_t pt = static_cast<uint64_t>(kPhiloxM1) * trial;
    const uint32_t a = static_cast<uint32_t>(pt >> 32) ^ step ^ kk0[0];  // c0 after round 0
    const uint32_t b = static_cast<uint32_t>(pt);                        // c1 after round 0
    const uint64_t pa = static_cast<uint64_t>(kPhiloxM0) * a;
    s0 = V::set1_32(stream ^ kk1[0]);
    x1 = V::set1_32(b ^ kk0[1]);
    y1 = V::set1_32(static_cast<uint32_t>(pa >> 32) ^ kk1[1]);
    z2 = V::set1_32(static_cast<uint32_t>(pa) ^ kk1[2]);
  }
};

// Philox4x32-10 of kSets * kCounters counters: set s holds counters j + kCounters s + counter_of_lane(l).
// Returns per set the radius words rw = (c0, c2) and the angle words aw = (c1, c3) of each counter as 32-bit lanes.
// between(r) is called after rounds r = 0..8; the caller uses it to interleave independent work (Box-Muller of the
// previous pass) with the latency-bound rounds.
template <class V, int kSets, class Between>
inline void philox(uint32_t j, const PhiloxRow<V>& pc, typename V::I (&rw)[kSets], typename V::I (&aw)[kSets],
                   Between&& between) {
  using I = typename V::I;
  const I m0 = V::set1_64(kPhiloxM0), m1 = V::set1_64(kPhiloxM1);
  I c0[kSets], c1[kSets], c2[kSets], c3[kSets];
  // Round 0: M0 * (j + offset) = M0 * j + M0 * offset, exact in 64 bits.
  const I pj = V::set1_64(static_cast<uint64_t>(kPhiloxM0) * j);
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    alignas(64) uint64_t offsets[V::kCounters];
    for (int l = 0; l < V::kCounters; ++l)
      offsets[l] = kPhiloxM0 * (static_cast<uint64_t>(V::kCounters) * s + counter_of_lane<V>(l));
    const I p0 = V::add64(pj, V::load(offsets));
    c2[s] = V::xor_(V::hi_to_lo(p0), pc.s0);
    c3[s] = p0;
  }
  between(0);
  // Round 1 (c0, c1 are row constants).
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const I p1 = V::mul_lo32(c2[s], m1);
    c0[s] = V::xor_(V::hi_to_lo(p1), pc.x1);
    c1[s] = p1;
    c2[s] = V::xor_(c3[s], pc.y1);
  }
  between(1);
  // Round 2 (c3 is a row constant).
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const I p0 = V::mul_lo32(c0[s], m0), p1 = V::mul_lo32(c2[s], m1);
    c0[s] = V::xor3(V::hi_to_lo(p1), c1[s], pc.k0[2]);
    c2[s] = V::xor_(V::hi_to_lo(p0), pc.z2);
    c1[s] = p1;
    c3[s] = p0;
  }
  between(2);
  // Rounds 3-8.
#pragma GCC unroll 6
  for (int r = 3; r < 9; ++r) {
#pragma GCC unroll 8
    for (int s = 0; s < kSets; ++s) {
      const I p0 = V::mul_lo32(c0[s], m0), p1 = V::mul_lo32(c2[s], m1);
      c0[s] = V::xor3(V::hi_to_lo(p1), c1[s], pc.k0[r]);
      c2[s] = V::xor3(V::hi_to_lo(p0), c3[s], pc.k1[r]);
      c1[s] = p1;
      c3[s] = p0;
    }
    between(r);
  }
  // Round 9, producing word 2 directly in the high halves, then packing.
#pragma GCC unroll 8
  for (int s = 0; s < kSets; ++s) {
    const I p0 = V::mul_lo32(c0[s], m0), p1 = V::mul_lo32(c2[s], m1);
    const I w0 = V::xor3(V::hi_to_lo(p1), c1[s], pc.k0[9]);
    const I w2 = V::xor_(p0, V::template sll64<32>(V::xor_(c3[s], pc.k1[9])));
    rw[s] = V::odd32_from(w0, w2);
    aw[s] = V::odd32_from(p1, V::template sll64<32>(p0));
  }
}

// Per-row constants of the float Box-Muller: the sin/cos polynomial coefficients pre-multiplied by `scale`.
template <class V>
struct BoxMullerConsts {
  // sin(pi f) = f S(f^2), cos(pi f) = C(f^2), minimax on |f| <= 1/2 (5e-9 relative, 5e-8 absolute).
  static constexpr float kSin[5] = {3.141592637e+00f, -5.167709685e+00f, 2.550069725e+00f, -5.982421167e-01f,
                                    7.756036524e-02f};
  static constexpr float kCos[5] = {9.999999535e-01f, -4.934792859e+00f, 4.058411910e+00f, -1.331880133e+00f,
                                    2.196967339e-01f};
  typename V::F s[5], c[5];
  explicit BoxMullerConsts(float scale) {
    for (int i = 0; i < 5; ++i) {
      s[i] = V::set1(kSin[i] * scale);
      c[i] = V::set1(kCos[i] * scale);
    }
  }
};

// -2 ln(u) for u = 2^-25 v, v a positive normal float. v = 2^e m with m in [sqrt(1/2), sqrt(2)), g = 2 - 2m (exact),
// -2 ln(m) = g + g^2/4 + g^3 Q(g) (minimax Q, 2.6e-7 relative), -2 ln(u) = -2 ln(m) - 2 (e - 25) ln2.
template <class V>
inline typename V::F minus2log_scaled(typename V::F v) {
  using I = typename V::I;
  using F = typename V::F;
  const I ix = V::sub32(V::as_int(v), V::set1_32(0x3F3504F3 + (25 << 23)));  // exponent field - 25
  const F e = V::to_float(V::template sra32<23>(ix));
  const F m = V::as_float(V::add32(V::and_(ix, V::set1_32(0x007FFFFF)), V::set1_32(0x3F3504F3)));
  const F g = V::fnmadd(m, V::set1(2.0f), V::set1(2.0f));
  F q = V::set1(7.962308208e-04f);
  q = V::fmadd(q, g, V::set1(2.503814284e-03f));
  q = V::fmadd(q, g, V::set1(5.355353567e-03f));
  q = V::fmadd(q, g, V::set1(1.245281298e-02f));
  q = V::fmadd(q, g, V::set1(3.122908323e-02f));
  q = V::fmadd(q, g, V::set1(8.333561440e-02f));
  q = V::fmadd(q, g, V::set1(0.25f));
  const F hm = V::fmadd(V::mul(g, g), q, g);                 // -2 ln(m)
  return V::fmadd(e, V::set1(-1.3862943611198906f), hm);  // - 2 (e - 25) ln2
}

// Radius sqrt(-2 ln u) of one vector of words, u = uint_to_open_unit<float>(w) = (m + 0.5) 2^-24, m = w >> 8. The
// float 2^25 u = fl(2m + 1) comes from one conversion with the same rounding as uint_to_open_unit<float>.
template <class V>
inline typename V::F bm_radius(typename V::I w) {
  const auto v = V::to_float(V::or_(V::template srl32<7>(w), V::set1_32(1)));
  return V::sqrt(minus2log_scaled<V>(v));
}

// Angle 2 pi u of one vector of words with one exact range reduction: y = 2u, q = round(y) in {0, 1, 2},
// f = y - q in [-1/2, 1/2], (cos, sin)(2 pi u) = (-1)^q (cos, sin)(pi f) = sign * (C(f^2), f S(f^2)) / scale.
// Returns the sign bit of (-1)^q (bit 23 of the float 1.0f shifted into bit 31), f, C and S.
template <class V>
inline void bm_angle(typename V::I w, const BoxMullerConsts<V>& k, typename V::F& sign, typename V::F& f,
                     typename V::F& cp, typename V::F& sp) {
  using F = typename V::F;
  const F y = V::fmadd(V::to_float(V::template srl32<8>(w)), V::set1(1.1920928955078125e-7f),
                       V::set1(5.9604644775390625e-8f));  // 2 * uint_to_open_unit, same rounding
  const F q = V::round(y);
  f = V::sub(y, q);
  sign = V::as_float(V::template sll32<8>(V::as_int(q)));
  const F t = V::mul(f, f);
  sp = V::fmadd(k.s[4], t, k.s[3]);
  cp = V::fmadd(k.c[4], t, k.c[3]);
  sp = V::fmadd(sp, t, k.s[2]);
  cp = V::fmadd(cp, t, k.c[2]);
  sp = V::fmadd(sp, t, k.s[1]);
  cp = V::fmadd(cp, t, k.c[1]);
  sp = V::fmadd(sp, t, k.s[0]);
  cp = V::fmadd(cp, t, k.c[0]);
}

// Box-Muller of one set of counters from their radius words rw = (c0, c2) and angle words aw = (c1, c3), the
// counters in the lane order of counter_of_lane. Writes the set's 4 kCounters normals (times scale) to out in order.
template <class V>
inline void box_muller_set(typename V::I rw, typename V::I aw, const BoxMullerConsts<V>& k, float* out) {
  typename V::F sign, f, cp, sp;
  bm_angle<V>(aw, k, sign, f, cp, sp);
  const auto r = V::xor_(bm_radius<V>(rw), sign);
  const auto zc = V::mul(r, cp), zs = V::mul(V::mul(r, f), sp);
  // unpacklo -> the first half of the set's counters, unpackhi -> the second half.
  V::store(out, V::unpacklo(zc, zs));
  V::store(out + 2 * V::kCounters, V::unpackhi(zc, zs));
}

template <class V>
inline void fill_normal_row_simd(float* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream,
                                 float scale) {
  constexpr int kSets = 4;
  constexpr int kPerSet = 4 * V::kCounters;  // normals
  constexpr int kPerPass = kPerSet * kSets;
  if (n <= 0) return;
  const PhiloxRow<V> pc(PhiloxKey(seed), step, trial, stream);
  const BoxMullerConsts<V> bm(scale);
  // Software pipeline: while the Philox rounds of pass i+1 run (a latency-bound dependency chain), the Box-Muller of
  // pass i (independent, floating-point heavy) is issued between them, set s after round s + 1.
  using I = typename V::I;
  I rw[kSets], aw[kSets];
  philox<V, kSets>(0, pc, rw, aw, [](int) {});
  int first = 0;
  for (; first + kPerPass < n; first += kPerPass) {
    float* o = out + first;
    I rw2[kSets], aw2[kSets];
    philox<V, kSets>(static_cast<uint32_t>((first + kPerPass) / 4), pc, rw2, aw2, [&](int r) {
      for (int s = 0; s < kSets; ++s)
        if (r == s + 1) box_muller_set<V>(rw[s], aw[s], bm, o + kPerSet * s);
    });
    for (int s = 0; s < kSets; ++s) {
      rw[s] = rw2[s];
      aw[s] = aw2[s];
    }
  }
  if (n - first == kPerPass) {
    for (int s = 0; s < kSets; ++s) box_muller_set<V>(rw[s], aw[s], bm, out + first + kPerSet * s);
  } else {  // partial last pass
    alignas(64) float tmp[kPerPass];
    for (int s = 0; s < kSets; ++s) box_muller_set<V>(rw[s], aw[s], bm, tmp + kPerSet * s);
    std::copy(tmp, tmp + (n - first), out + first);
  }
}
#endif  // __AVX2__


}  // namespace detail

// Fills out[0..n) with standard normal variates of one (step, trial, stream) row, scaled by `scale`.
// float with AVX2: hand-vectorised Philox + Box-Muller with a minimax log and a single-reduction sincos
// (max abs deviation from double-precision Box-Muller on the same uniforms ~1e-6), on 512-bit vectors when compiled
// for AVX-512 (the same values bit for bit). Otherwise: the portable path.
template <class S>
void fill_normal_row(S* out, int n, uint64_t seed, uint32_t step, uint32_t trial, uint32_t stream, S scale) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<S, float>) {
    detail::fill_normal_row_simd<detail::SimdWidest>(out, n, seed, step, trial, stream, scale);
    return;
  } else
#endif
  {
    detail::fill_normal_row_generic<S>(out, n, seed, step, trial, stream, scale);
  }
}

}  // namespace lowrank
