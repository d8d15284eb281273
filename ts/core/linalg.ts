// Dense linear algebra in double precision on row-major arrays: the native SVD and Schur decompositions (Eigen, on a
// worker thread) and the few small kernels the analysis and re-parametrisation code needs.
import { native } from '../native/load.js';
import { firstNonFinite } from './finite.js';
import { checkAllocation } from './size.js';
import { checkOptions, checkValue, is } from './validate.js';

/** A truncated singular value decomposition A ≈ U diag(s) Vᵀ of a rows x cols matrix, keeping k triplets. */
export interface Svd {
  /** rows x k, row-major */
  u: Float64Array;
  /** k, descending */
  s: Float64Array;
  /** cols x k, row-major */
  v: Float64Array;
}

/** Options of {@link svd}. */
export interface SvdOptions {
  /** LAPACK's threads for this call (OpenBLAS); 0 (default): the library's default (LOWRANK_LAPACK_THREADS, else every core). */
  threads?: number;
}

/**
 * The leading k singular triplets of a row-major rows x cols matrix in double precision: LAPACK's dgesdd where a LAPACK
 * library is found at run time (backendInfo().lapack), else Eigen's BDCSVD.
 */
export async function svd(a: Float64Array, rows: number, cols: number, k = Math.min(rows, cols), opts: SvdOptions = {}): Promise<Svd> {
  const o = checkOptions<SvdOptions>('svd', { threads: is.threads() }, opts, { threads: 0 });
  if (!(a instanceof Float64Array)) throw new TypeError(`svd: a must be a Float64Array; got ${describe(a)}`);
  checkValue('svd', 'rows', rows, is.integer(1), 'argument');
  checkValue('svd', 'cols', cols, is.integer(1), 'argument');
  checkAllocation('svd', `a ${rows} x ${cols} matrix`, rows * cols);
  if (a.length !== rows * cols) throw new RangeError(`svd: a has ${a.length} values; rows x cols = ${rows * cols}`);
  checkValue('svd', 'k', k, is.integer(1, Math.min(rows, cols)), 'argument');
  requireFinite(a, 'svd');
  return native().binding.svd(a, rows, cols, k, o.threads!);
}

/** A complex n x n matrix as two row-major Float64Arrays of n * n values: real and imaginary parts. */
export interface ComplexMatrix {
  re: Float64Array;
  im: Float64Array;
}

/** A Schur decomposition A = U T U^H of an n x n matrix, as returned by {@link schur}. */
export interface SchurDecomposition {
  n: number;
  form: 'complex' | 'real';
  /** A = U T U^H: T upper triangular (complex form) or quasi upper triangular with 2 x 2 blocks (real form). */
  t: ComplexMatrix;
  /** Unitary (complex form) or orthogonal (real form). */
  u: ComplexMatrix;
}

/**
 * The Schur decomposition A = U T U^H of a row-major n x n matrix (Eigen ComplexSchur, or RealSchur for `form:
 * 'real'`, as scipy.linalg.schur's default output 'real'). In the complex form the eigenvalues are T's diagonal.
 */
export async function schur(a: Float64Array, n: number, form: 'complex' | 'real' = 'complex'): Promise<SchurDecomposition> {
  if (!(a instanceof Float64Array)) throw new TypeError(`schur: a must be a Float64Array; got ${describe(a)}`);
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new RangeError(`schur: a must hold n x n values with n a positive integer; got n = ${n} and ${a.length} values`);
  }
  if (form !== 'complex' && form !== 'real') throw new TypeError(`schur: form must be 'complex' or 'real'; got ${JSON.stringify(form)}`);
  requireFinite(a, 'schur');
  const r = await native().binding.schur(a, n, form === 'real');
  return { n, form, t: { re: r.tRe, im: r.tIm }, u: { re: r.uRe, im: r.uIm } };
}

function requireFinite(a: Float64Array, fn: string): void {
  const i = firstNonFinite(a);
  if (i >= 0) throw new RangeError(`${fn}: a contains ${a[i]} at flat index ${i}; all values must be finite`);
}

function describe(value: unknown): string {
  return value === null ? 'null' : ((value as object)?.constructor?.name ?? typeof value);
}

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
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += x * b[p * m + j];
    }
  return out;
}

/** The transpose (cols x rows) of a row-major rows x cols matrix. */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * The Cholesky factor L (lower triangular, row-major) of a symmetric positive definite n x n matrix, or null when
 * the matrix is not numerically positive definite.
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0)) return null;
    const root = Math.sqrt(d);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / root;
    }
  }
  return l;
}

/** The inverse of a symmetric positive definite matrix from its Cholesky factor (row-major n x n). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // Solve L Y = I column by column, then A^-1 = Y^T Y.
  const y = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * y[k * n + c];
      y[i * n + c] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += y[k * n + i] * y[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  return inv;
}

/** a^T b for row-major a (n x k) and b (n x m): the k x m matrix of column inner products. */
export function crossProduct(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(k * m);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < k; i++) {
      const x = a[p * k + i];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += x * b[p * m + j];
    }
  return out;
}

// ---- added by the analysis work (issue 21): small numerics the analysis and lint code each had their own copy of --

/** The median of a list of numbers (the mean of the two middle values for an even count; NaN when empty). */
export function median(values: ArrayLike<number>): number {
  checkValue('median', 'values', values, is.numbers(), 'argument');
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * The Frobenius inner product <Ma Na^T, Mb Nb^T> = sum((Ma^T Mb) .* (Na^T Nb)) of two matrices given as factors
 * (row-major N x ra and N x rb), in O(N ra rb) without forming either N x N matrix.
 */
export function factorInner(ma: ArrayLike<number>, na: ArrayLike<number>, mb: ArrayLike<number>, nb: ArrayLike<number>, N: number, ra: number, rb: number): number {
  const mm = crossProduct(ma, mb, N, ra, rb);
  const nn = crossProduct(na, nb, N, ra, rb);
  let s = 0;
  for (let i = 0; i < mm.length; i++) s += mm[i] * nn[i];
  return s;
}
