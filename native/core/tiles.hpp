// Row tiles: the building blocks of the CPU engine's fused per-step kernels.
//
// A kernel walks a row of length n once, in tiles of a few SIMD packets that live in registers, and does all of a
// step's element-wise work on a tile before moving on (instead of one Eigen pass over the row per term). A row's last
// tile may be shorter; it gets the same code with a run-time length.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <type_traits>

namespace lowrank {
namespace tiles {

// Four packets per tile: enough independent work to hide the latency of a chain of multiply-adds.
template <class S>
constexpr int kWidth = 4 * Eigen::internal::packet_traits<S>::size;

// A tile's length: std::integral_constant<int, kWidth> for full tiles, int for the last one.
template <class Len>
struct Length : std::integral_constant<int, Len::value> {};
template <>
struct Length<int> : std::integral_constant<int, Eigen::Dynamic> {};
template <class Len>
constexpr int kLength = Length<Len>::value;

template <class S, class Len>
using Tile = Eigen::Array<S, kLength<Len>, 1, Eigen::ColMajor, kWidth<S>, 1>;

template <class S, class Len>
Eigen::Map<const Eigen::Array<S, kLength<Len>, 1>> in(const S* p, Len len) {
  return Eigen::Map<const Eigen::Array<S, kLength<Len>, 1>>(p, int(len));
}

template <class S, class Len>
Eigen::Map<Eigen::Array<S, kLength<Len>, 1>> out(S* p, Len len) {
  return Eigen::Map<Eigen::Array<S, kLength<Len>, 1>>(p, int(len));
}

// Calls body(i, len) for the tiles [i, i + len) of a row of length n.
template <class S, class Body>
inline void for_each_tile(int64_t n, Body&& body) {
  constexpr int W = kWidth<S>;
  int64_t i = 0;
  for (; i + W <= n; i += W) body(i, std::integral_constant<int, W>());
  if (i < n) body(i, int(n - i));
}

// acc += sum_k scale coef[k] rows(k)[i, i + len) over `count` rows of length n starting at `rows`. Zero coefficients
// (inputs that are off, most of the time in the decision tasks) are skipped.
template <class S, class Len>
inline void add_combination(Tile<S, Len>& acc, S scale, const S* coef, int count, const S* rows, int64_t n,
                            int64_t i, Len len) {
  for (int k = 0; k < count; ++k)
    if (coef[k] != S(0)) acc += (scale * coef[k]) * in(rows + k * n + i, len);
}

// sum_k coef[k] rows(k)[i, i + len). (Starting from the first term rather than from zero keeps the tile in
// registers: GCC leaves a dead memset of a zero-initialised tile in the loop.)
template <class S, class Len>
inline Tile<S, Len> combination(const S* coef, int count, const S* rows, int64_t n, int64_t i, Len len) {
  if (count <= 0) return Tile<S, Len>::Zero(int(len));
  Tile<S, Len> acc = coef[0] * in(rows + i, len);
  add_combination(acc, S(1), coef + 1, count - 1, rows + n, n, i, len);
  return acc;
}

// coefs[j * ldc + r] = scale * rows(j) . dirs(r) for j < trials, r < count, all rows of length n. Two trials at a
// time, each with a tile of partial sums: eight independent chains of multiply-adds where a plain dot product has two.
template <class S>
inline void project(const S* rows, int trials, int64_t n, const S* dirs, int count, S scale, S* coefs, int64_t ldc) {
  constexpr int W = kWidth<S>;
  const std::integral_constant<int, W> full;
  const int64_t whole = n / W * W;
  for (int r = 0; r < count; ++r) {
    const S* d = dirs + r * n;
    for (int j = 0; j < trials; j += 2) {
      const S* a = rows + j * n;
      const S* b = j + 1 < trials ? a + n : a;
      S sa = 0, sb = 0;
      if (whole > 0) {
        Tile<S, decltype(full)> ta = in(a, full) * in(d, full), tb = in(b, full) * in(d, full);
        for (int64_t i = W; i < whole; i += W) {
          ta += in(a + i, full) * in(d + i, full);
          tb += in(b + i, full) * in(d + i, full);
        }
        sa = ta.sum();
        sb = tb.sum();
      }
      if (whole < n) {
        const int len = int(n - whole);
        sa += (in(a + whole, len) * in(d + whole, len)).sum();
        sb += (in(b + whole, len) * in(d + whole, len)).sum();
      }
      coefs[j * ldc + r] = scale * sa;
      if (j + 1 < trials) coefs[(j + 1) * ldc + r] = scale * sb;
    }
  }
}

// acc(k) += sum_j scale coef(j, k) rows(j) for k < count: acc is count x n, coef is `trials` x (>= count) with
// leading dimension ldc, rows is trials x n. The trials are added in order, so the result is reproducible; zero
// coefficients are skipped.
template <class S>
inline void accumulate_outer(S* acc, int count, const S* coef, int64_t ldc, S scale, const S* rows, int trials,
                             int64_t n) {
  for (int k = 0; k < count; ++k)
    for_each_tile<S>(n, [&](int64_t i, auto len) {
      auto a = out(acc + k * n + i, len);
      Tile<S, decltype(len)> sum = a;
      for (int j = 0; j < trials; ++j)
        if (coef[j * ldc + k] != S(0)) sum += (scale * coef[j * ldc + k]) * in(rows + j * n + i, len);
      a = sum;
    });
}

}  // namespace tiles
}  // namespace lowrank
