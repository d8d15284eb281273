// Register-blocked matrix product for the full-rank recurrence: the trials of a chunk (a few rows) times an N x N
// matrix, twice per step, and the weight gradient over all the steps of a chunk. Eigen's general product packs both
// operands on every call and reaches about half of the machine's multiply-add rate at 16 rows; this kernel packs
// nothing: it keeps an 8-row x 3-packet block of the result in registers and streams rows of the right operand from
// cache.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

namespace lowrank {
namespace block_product {

template <class S>
using Packet = typename Eigen::internal::packet_traits<S>::type;
template <class S>
constexpr int kPacket = Eigen::internal::packet_traits<S>::size;

// out(r, i) (+)= sum_k a[r * aRow + k * aCol] * b[k * ldb + i] for r < Rows and Vecs packets of columns i.
template <class S, int Rows, int Vecs>
inline void block(const S* a, int64_t aRow, int64_t aCol, int depth, const S* b, int64_t ldb, S* out, int64_t ldo,
                  bool accumulate) {
  using namespace Eigen::internal;
  using P = Packet<S>;
  constexpr int W = kPacket<S>;
  P acc[Rows][Vecs];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vecs; ++v) acc[r][v] = accumulate ? ploadu<P>(out + r * ldo + v * W) : pset1<P>(S(0));
  for (int k = 0; k < depth; ++k) {
    P bk[Vecs];
    for (int v = 0; v < Vecs; ++v) bk[v] = ploadu<P>(b + k * ldb + v * W);
    for (int r = 0; r < Rows; ++r) {
      const P ar = pset1<P>(a[r * aRow + k * aCol]);
      for (int v = 0; v < Vecs; ++v) acc[r][v] = pmadd(ar, bk[v], acc[r][v]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vecs; ++v) pstoreu(out + r * ldo + v * W, acc[r][v]);
}

// All `cols` columns of Rows rows: blocks of 3 packets (2 + 2 rather than 3 + 1 at the end), then single columns.
template <class S, int Rows>
inline void row_block(const S* a, int64_t aRow, int64_t aCol, int depth, const S* b, int64_t ldb, int64_t cols,
                      S* out, int64_t ldo, bool accumulate) {
  constexpr int W = kPacket<S>;
  int64_t i = 0;
  for (int64_t packets = cols / W; packets > 0;) {
    const int v = packets == 4 || packets == 2 ? 2 : packets == 1 ? 1 : 3;
    if (v == 3) block<S, Rows, 3>(a, aRow, aCol, depth, b + i, ldb, out + i, ldo, accumulate);
    else if (v == 2) block<S, Rows, 2>(a, aRow, aCol, depth, b + i, ldb, out + i, ldo, accumulate);
    else block<S, Rows, 1>(a, aRow, aCol, depth, b + i, ldb, out + i, ldo, accumulate);
    i += v * W;
    packets -= v;
  }
  for (; i < cols; ++i)
    for (int r = 0; r < Rows; ++r) {
      S sum = accumulate ? out[r * ldo + i] : S(0);
      for (int k = 0; k < depth; ++k) sum += a[r * aRow + k * aCol] * b[k * ldb + i];
      out[r * ldo + i] = sum;
    }
}

// out = a b: a is rows x depth with any strides (a(r, k) = a[r * aRow + k * aCol], so a transposed operand needs no
// copy), b is depth x cols and out rows x cols, both row-major. The depth is taken in slices whose part of b stays in
// cache while the row blocks pass over it; the partial sums go through out.
template <class S>
void product(const S* a, int64_t aRow, int64_t aCol, int rows, int depth, const S* b, int64_t ldb, int64_t cols,
             S* out, int64_t ldo) {
  constexpr int kSlice = 256;
  for (int k0 = 0; k0 < depth; k0 += kSlice) {
    const int dk = std::min(kSlice, depth - k0);
    const S* ak = a + k0 * aCol;
    const S* bk = b + k0 * ldb;
    const bool acc = k0 > 0;
    int r = 0;
    for (; r + 8 <= rows; r += 8) row_block<S, 8>(ak + r * aRow, aRow, aCol, dk, bk, ldb, cols, out + r * ldo, ldo, acc);
    const S* ar = ak + r * aRow;
    S* o = out + r * ldo;
    switch (rows - r) {
      case 7: row_block<S, 7>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 6: row_block<S, 6>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 5: row_block<S, 5>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 4: row_block<S, 4>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 3: row_block<S, 3>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 2: row_block<S, 2>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      case 1: row_block<S, 1>(ar, aRow, aCol, dk, bk, ldb, cols, o, ldo, acc); break;
      default: break;
    }
  }
}

}  // namespace block_product
}  // namespace lowrank
