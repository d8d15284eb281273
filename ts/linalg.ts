// Small dense linear algebra on row-major Float64Arrays, for the O(N R^2) work on low-rank factors (the N x N
// products and decompositions go through Eigen in native/core/linalg.cpp).

/** Thin QR of a row-major N x R matrix by modified Gram-Schmidt: Q (N x R, orthonormal columns) and R (R x R). */
export function thinQr(a: Float64Array, N: number, R: number): { q: Float64Array; r: Float64Array } {
  const q = Float64Array.from(a);
  const r = new Float64Array(R * R);
  for (let j = 0; j < R; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let p = 0; p < N; p++) dot += q[p * R + i] * q[p * R + j];
      r[i * R + j] = dot;
      for (let p = 0; p < N; p++) q[p * R + j] -= dot * q[p * R + i];
    }
    let norm = 0;
    for (let p = 0; p < N; p++) norm += q[p * R + j] ** 2;
    norm = Math.sqrt(norm);
    r[j * R + j] = norm;
    for (let p = 0; p < N; p++) q[p * R + j] = norm > 0 ? q[p * R + j] / norm : 0;
  }
  return { q, r };
}

/** Row-major product of a (n x k) and b (k x m). */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += x * b[p * m + j];
    }
  return out;
}

/** a^T b for row-major a (n x k) and b (n x m): the k x m matrix of column inner products. */
export function crossProduct(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(k * m);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < k; i++) {
      const x = a[p * k + i];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += x * b[p * m + j];
    }
  return out;
}
