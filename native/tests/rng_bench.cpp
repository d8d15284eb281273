// Correctness checks and micro-benchmark for rng.hpp (Philox4x32-10 + Box-Muller).
// Returns non-zero on any failure. Build, e.g.:
//   g++ -std=c++17 -O3 -march=x86-64-v4 -I/usr/include/eigen3 -Inative/core native/tests/rng_bench.cpp -o rng_bench
#include "rng.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.hpp"

using namespace lowrank;

// ---- Straightforward scalar reference: philox4x32_10 + uint_to_open_unit<S> + double-precision Box-Muller. -----
template <class S>
static void reference_row(std::vector<double>& out, int n, uint64_t seed, uint32_t step, uint32_t trial,
                          uint32_t stream, double scale) {
  out.assign(n, 0.0);
  const PhiloxKey key(seed);
  const double twoPi = 6.283185307179586476925286766559;
  for (int j = 0; 4 * j < n; ++j) {
    const uint32_t ctr[4] = {static_cast<uint32_t>(j), step, trial, stream};
    uint32_t w[4];
    philox4x32_10(ctr, key, w);
    double u[4];
    for (int k = 0; k < 4; ++k) u[k] = static_cast<double>(uint_to_open_unit<S>(w[k]));
    const double ra = std::sqrt(-2.0 * std::log(u[0])), rb = std::sqrt(-2.0 * std::log(u[2]));
    const double z[4] = {ra * std::cos(twoPi * u[1]), ra * std::sin(twoPi * u[1]), rb * std::cos(twoPi * u[3]),
                         rb * std::sin(twoPi * u[3])};
    for (int k = 0; k < 4 && 4 * j + k < n; ++k) out[4 * j + k] = scale * z[k];
  }
}

static void check_known_answers() {
  struct Kat { uint32_t ctr[4]; uint32_t k0, k1; uint32_t expect[4]; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, 0, 0, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffu, 0xffffffffu,
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, 0xa4093822u, 0x299f31d0u,
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Kat& k : kats) {
    const PhiloxKey key((static_cast<uint64_t>(k.k1) << 32) | k.k0);
    uint32_t out[4];
    philox4x32_10(k.ctr, key, out);
    for (int i = 0; i < 4; ++i)
      CHECK(out[i] == k.expect[i], "Philox KAT word %d: got 0x%08x expected 0x%08x", i, out[i], k.expect[i]);
  }
  std::printf("Philox4x32-10 known-answer vectors: done\n");
}

struct Case { uint64_t seed; uint32_t step, trial, stream; double scale; };
static const Case kCases[] = {
    {0, 0, 0, 0, 1.0},
    {12345, 7, 3, 1, 1.0},
    {0xDEADBEEFCAFEF00Dull, 74, 31, 2, 0.37},
    {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, -2.5},
    {42, 1000000, 17, 0xABCDu, 1.0},
};
static const int kSizes[] = {1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 127, 128, 129, 512, 1000};

template <class S>
static double check_against_reference(const char* name, double tol) {
  double worst = 0.0, worstLegacy = 0.0;
  std::vector<double> ref;
  for (const Case& c : kCases) {
    for (int n : kSizes) {
      reference_row<S>(ref, n, c.seed, c.step, c.trial, c.stream, c.scale);
      const S sentinel = S(-12345.0);
      std::vector<S> got(n + 8, sentinel), old(n + 8, sentinel);
      fill_normal_row<S>(got.data(), n, c.seed, c.step, c.trial, c.stream, S(c.scale));
      detail::fill_normal_row_generic<S>(old.data(), n, c.seed, c.step, c.trial, c.stream, S(c.scale));
      double maxDiff = 0.0, maxLegacy = 0.0;
      for (int i = 0; i < n; ++i) {
        const double d = std::abs(static_cast<double>(got[i]) - ref[i]);
        if (!(d <= maxDiff)) maxDiff = d;  // catches NaN
        maxLegacy = std::max(maxLegacy, std::abs(static_cast<double>(got[i]) - static_cast<double>(old[i])));
      }
      for (int i = n; i < n + 8; ++i) CHECK(got[i] == sentinel, "%s wrote past the end (n=%d)", name, n);
      CHECK(maxDiff < tol, "%s n=%d seed=%llu: max |diff| vs reference %.3g >= %.3g", name, n,
            static_cast<unsigned long long>(c.seed), maxDiff, tol);
      worst = std::max(worst, maxDiff);
      worstLegacy = std::max(worstLegacy, maxLegacy);
    }
  }
  std::printf("%s: max |diff| vs double reference %.3g (tol %.1g), vs the portable path %.3g\n", name, worst, tol,
              worstLegacy);
  return worstLegacy;
}

#if defined(__AVX2__)
// The vectorised Philox must give bit-identical words (all 32 bits, not only the 24 that reach a float).
template <class V>
static void check_simd_philox_words(const char* name) {
  struct Row { uint64_t seed; uint32_t step, trial, stream; };
  const Row rows[] = {{0, 0, 0, 0}, {0xDEADBEEFCAFEF00Dull, 74, 31, 2}, {~0ull, ~0u, ~0u, ~0u}, {7, 1, 2, 3}};
  const uint32_t bases[] = {0, 16, 1024, 0x1FFFFFF0u};
  constexpr int L = V::kCounters;
  long mismatches = 0;
  for (const Row& row : rows) {
    const detail::PhiloxRow<V> pc(PhiloxKey(row.seed), row.step, row.trial, row.stream);
    for (uint32_t j : bases) {
      typename V::I rw[4], aw[4];
      detail::philox<V, 4>(j, pc, rw, aw, [](int) {});
      for (int s = 0; s < 4; ++s) {
        alignas(64) uint32_t r32[2 * L], a32[2 * L];
        std::memcpy(r32, &rw[s], sizeof r32);
        std::memcpy(a32, &aw[s], sizeof a32);
        for (int l = 0; l < L; ++l) {
          const uint32_t ctr[4] = {j + L * s + detail::counter_of_lane<V>(l), row.step, row.trial, row.stream};
          uint32_t ref[4];
          philox4x32_10(ctr, PhiloxKey(row.seed), ref);
          const uint32_t got[4] = {r32[2 * l], a32[2 * l], r32[2 * l + 1], a32[2 * l + 1]};
          for (int w = 0; w < 4; ++w) mismatches += got[w] != ref[w];
        }
      }
    }
  }
  CHECK(mismatches == 0, "%s Philox words differ from philox4x32_10 in %ld places", name, mismatches);
  std::printf("%s Philox words bit-identical to philox4x32_10: %s\n", name, mismatches ? "NO" : "yes");
}

// Exhaustive check of the float Box-Muller kernels over all 2^24 possible top-24-bit patterns of a word.
template <class V>
static void check_simd_kernels_exhaustive(const char* name) {
  constexpr int W = 2 * V::kCounters;  // 32-bit lanes
  double maxR = 0.0, maxRrel = 0.0, maxCS = 0.0;
  alignas(64) uint32_t words[W];
  alignas(64) float rad[W], cs[W], sn[W];
  const detail::BoxMullerConsts<V> k(1.0f);
  for (uint32_t m0 = 0; m0 < (1u << 24); m0 += W) {
    for (int l = 0; l < W; ++l) words[l] = ((m0 + l) << 8) | (l * 37u);  // the low 8 bits must not matter
    typename V::I w;
    std::memcpy(&w, words, sizeof w);
    V::store(rad, detail::bm_radius<V>(w));
    typename V::F sign, f, cp, sp;
    detail::bm_angle<V>(w, k, sign, f, cp, sp);
    const auto one = V::xor_(V::set1(1.0f), sign);
    V::store(cs, V::mul(one, cp));
    V::store(sn, V::mul(V::mul(one, f), sp));
    for (int l = 0; l < W; ++l) {
      const double uf = static_cast<double>(uint_to_open_unit<float>(words[l]));
      const double m2l = -2.0 * std::log(uf), rref = std::sqrt(m2l);
      maxR = std::max(maxR, std::abs(rad[l] - rref));
      if (m2l != 0.0) maxRrel = std::max(maxRrel, std::abs(double(rad[l]) * rad[l] - m2l) / m2l);
      const double th = 6.283185307179586476925286766559 * uf;
      maxCS = std::max(maxCS, std::max(std::abs(cs[l] - std::cos(th)), std::abs(sn[l] - std::sin(th))));
    }
  }
  std::printf("%s kernels, all 2^24 inputs: max |r err| %.3g, max rel err of r^2 = -2 ln u %.3g, max |cos/sin err| %.3g\n",
              name, maxR, maxRrel, maxCS);
  CHECK(maxR < 2e-6, "%s radius error %.3g", name, maxR);
  CHECK(maxRrel < 1e-6, "%s -2 ln u relative error %.3g", name, maxRrel);
  CHECK(maxCS < 3e-7, "%s cos/sin error %.3g", name, maxCS);
}

#if defined(__AVX512F__)
// The 512-bit rows must equal the 256-bit ones bit for bit, so that AVX2 and AVX-512 builds draw the same noise.
static void check_widths_agree() {
  long mismatches = 0;
  for (const Case& c : kCases)
    for (int n : kSizes) {
      std::vector<float> a(n), b(n);
      detail::fill_normal_row_simd<detail::Avx2>(a.data(), n, c.seed, c.step, c.trial, c.stream, float(c.scale));
      detail::fill_normal_row_simd<detail::Avx512>(b.data(), n, c.seed, c.step, c.trial, c.stream, float(c.scale));
      mismatches += std::memcmp(a.data(), b.data(), n * sizeof(float)) != 0;
    }
  CHECK(mismatches == 0, "AVX-512 rows differ from AVX2 rows in %ld cases", mismatches);
  std::printf("AVX-512 rows bit-identical to AVX2 rows: %s\n", mismatches ? "NO" : "yes");
}
#endif
#endif


template <class S>
static void check_moments(const char* name) {
  const int n = 500, rows = 2000;  // 10^6 samples
  std::vector<S> row(n);
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (int r = 0; r < rows; ++r) {
    fill_normal_row<S>(row.data(), n, 987654321ull, uint32_t(r % 75), uint32_t(r / 75), 1, S(1));
    for (int i = 0; i < n; ++i) {
      const double x = row[i], x2 = x * x;
      s1 += x; s2 += x2; s3 += x2 * x; s4 += x2 * x2;
    }
  }
  const double N = double(n) * rows;
  const double mean = s1 / N, var = s2 / N - mean * mean;
  const double m3 = s3 / N - 3 * mean * s2 / N + 2 * mean * mean * mean;
  const double m4 = s4 / N - 4 * mean * s3 / N + 6 * mean * mean * s2 / N - 3 * mean * mean * mean * mean;
  const double skew = m3 / std::pow(var, 1.5), kurt = m4 / (var * var);
  std::printf("%s moments of %.0f samples: mean %.5f var %.5f skew %.5f kurtosis %.5f\n", name, N, mean, var, skew,
              kurt);
  // ~5 standard errors: se(mean)=1e-3, se(var)=1.4e-3, se(skew)=2.4e-3, se(kurt)=4.9e-3.
  CHECK(std::abs(mean) < 5e-3, "%s mean %.5f", name, mean);
  CHECK(std::abs(var - 1) < 7e-3, "%s var %.5f", name, var);
  CHECK(std::abs(skew) < 1.2e-2, "%s skew %.5f", name, skew);
  CHECK(std::abs(kurt - 3) < 2.5e-2, "%s kurtosis %.5f", name, kurt);
}

using FillFn = void (*)(float*, int, uint64_t, uint32_t, uint32_t, uint32_t, float);

// ns per normal for one training step's worth of rows (32 trials x 75 steps of n neurons); called through a volatile
// function pointer so that nothing is constant-propagated into the kernel.
static double time_step_ns_per_normal(FillFn fn, int n, int rep) {
  const int trials = 32, steps = 75;
  static std::vector<float> row;
  row.resize(n);
  FillFn volatile call = fn;
  volatile float sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < steps; ++t)
    for (int b = 0; b < trials; ++b) {
      call(row.data(), n, 0x1234567890ull, uint32_t(t + steps * rep), uint32_t(b), 1u, 0.1f);
      sink = sink + row[b % n];
    }
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(n) * trials * steps);
}

int main(int argc, char** argv) {
  const bool bench = !(argc > 1 && std::strcmp(argv[1], "--no-bench") == 0);
#if defined(__AVX512F__)
  std::printf("AVX-512 path enabled\n");
#elif defined(__AVX2__)
  std::printf("AVX2 path enabled\n");
#else
  std::printf("portable path (no AVX2)\n");
#endif
  check_known_answers();
  check_against_reference<float>("float ", 1e-5);
  check_against_reference<double>("double", 1e-12);
#if defined(__AVX2__)
  check_simd_philox_words<detail::Avx2>("AVX2");
  check_simd_kernels_exhaustive<detail::Avx2>("AVX2");
#if defined(__AVX512F__)
  check_simd_philox_words<detail::Avx512>("AVX-512");
  check_simd_kernels_exhaustive<detail::Avx512>("AVX-512");
  check_widths_agree();
#endif
#endif
  check_moments<float>("float ");
  check_moments<double>("double");

  if (bench) {
    // Alternate the two implementations and keep the best of many repetitions (robust to a busy machine).
    const int n = 512;
    double tNew = 1e30, tOld = 1e30;
    for (int rep = 0; rep < 40; ++rep) {
      tNew = std::min(tNew, time_step_ns_per_normal(&fill_normal_row<float>, n, rep));
      tOld = std::min(tOld, time_step_ns_per_normal(&detail::fill_normal_row_generic<float>, n, rep));
    }
    std::printf("timing N=%d float: fill_normal_row %.3f ns/normal, portable path %.3f ns/normal (%.2fx)\n", n, tNew, tOld,
                tOld / tNew);
#if defined(__AVX512F__)
    double t256 = 1e30;
    for (int rep = 0; rep < 40; ++rep)
      t256 = std::min(t256, time_step_ns_per_normal(&detail::fill_normal_row_simd<detail::Avx2>, n, rep));
    std::printf("timing N=%d float: the same on 256-bit vectors %.3f ns/normal (%.2fx)\n", n, t256, t256 / tNew);
#endif
  }
  if (g_failures) {
    std::printf("%d check(s) FAILED\n", g_failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
