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

// sum_k coef[k] rows(k)[i, i + len) over `count` rows of length n starting at `rows`.
// (Starting from the first term rather than from zero keeps the tile in registers: GCC leaves a dead memset of a
// zero-initialised tile in the loop.)
template <class S, class Len>
inline Tile<S, Len> combination(const S* coef, int count, const S* rows, int64_t n, int64_t i, Len len) {
  if (count <= 0) return Tile<S, Len>::Zero(int(len));
  Tile<S, Len> acc = coef[0] * in(rows + i, len);
  for (int k = 1; k < count; ++k) acc += coef[k] * in(rows + k * n + i, len);
  return acc;
}

// acc(k) += sum_j scale coef(j, k) rows(j) for k < count: acc is count x n, coef is `trials` x (>= count) with
// leading dimension ldc, rows is trials x n. The trials are added in order, so the result is reproducible.
template <class S>
inline void accumulate_outer(S* acc, int count, const S* coef, int64_t ldc, S scale, const S* rows, int trials,
                             int64_t n) {
  for (int k = 0; k < count; ++k)
    for_each_tile<S>(n, [&](int64_t i, auto len) {
      auto a = out(acc + k * n + i, len);
      Tile<S, decltype(len)> sum = a;
      for (int j = 0; j < trials; ++j) sum += (scale * coef[j * ldc + k]) * in(rows + j * n + i, len);
      a = sum;
    });
}

}  // namespace tiles
}  // namespace lowrank
