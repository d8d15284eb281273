// Networks with known fixed points for the analysis tests, and the independent computations they are checked against.
import { LowRankRNN, Random, type LowRankOptions } from '../../ts/index.js';

/** Roots of g on [lo, hi]: sign changes on a fine grid, each refined by bisection to machine precision. */
export function roots(g: (x: number) => number, lo: number, hi: number, steps = 4000): number[] {
  const out: number[] = [];
  let a = lo;
  let ga = g(a);
  for (let k = 1; k <= steps; k++) {
    const b = lo + ((hi - lo) * k) / steps;
    const gb = g(b);
    if (ga === 0) out.push(a);
    else if (ga * gb < 0) {
      let l = a;
      let r = b;
      let gl = ga;
      for (let it = 0; it < 200 && r - l > 1e-15 * Math.max(1, Math.abs(l)); it++) {
        const mid = (l + r) / 2;
        const gm = g(mid);
        if (gm === 0) {
          l = r = mid;
          break;
        }
        if (gm * gl < 0) r = mid;
        else {
          l = mid;
          gl = gm;
        }
      }
      out.push((l + r) / 2);
    }
    a = b;
    ga = gb;
  }
  return out;
}

/**
 * A rank-1 bistable net: m ~ N(0, 1), n = 2 m + 0.3 noise, one input along wi. Its fixed points are x = m kappa + I
 * (I = si wi u) with kappa a root of kappa = (1/N) sum_i n_i tanh(m_i kappa + I_i).
 */
export function bistable(N: number, seed: number, extra: Partial<LowRankOptions> = {}) {
  const rng = new Random(seed);
  const m = rng.fillNormal(new Float64Array(N));
  const n = m.map((v) => 2 * v + 0.3 * rng.normal());
  const wi = rng.fillNormal(new Float64Array(N));
  const model = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, dtype: 'float64', init: { m, n, wi }, ...extra });
  const selfConsistency = (u: number) => (kappa: number) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += n[i] * Math.tanh(m[i] * kappa + wi[i] * u);
    return kappa - s / N;
  };
  /** The nontrivial Jacobian eigenvalue at kappa: -1 + (1/N) sum_i n_i m_i tanh'(m_i kappa + I_i). */
  const eigenvalue = (kappa: number, u: number) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += n[i] * m[i] * (1 - Math.tanh(m[i] * kappa + wi[i] * u) ** 2);
    return -1 + s / N;
  };
  const state = (kappa: number, u: number) => m.map((mi, i) => mi * kappa + wi[i] * u);
  return { model, m, n, wi, selfConsistency, eigenvalue, state };
}

/**
 * A rank-2 ring: unit i has angle theta_i = 2 pi i / N, m_i = a (cos theta_i, sin theta_i), n = g m. Any kappa of
 * norm rho with rho = g a (1/N) sum_i cos(theta_i) tanh(a rho cos(theta_i)) is a fixed point up to the aliasing
 * error of the equispaced sum (far below double precision here): a ring of slow points.
 */
export function ring(N: number, a: number, g: number) {
  const m = new Float64Array(N * 2);
  for (let i = 0; i < N; i++) {
    const theta = (2 * Math.PI * i) / N;
    m[2 * i] = a * Math.cos(theta);
    m[2 * i + 1] = a * Math.sin(theta);
  }
  const n = m.map((v) => g * v);
  const model = new LowRankRNN({ size: N, rank: 2, inputs: 0, outputs: 0, dtype: 'float64', init: { m, n } });
  const radial = (rho: number) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += m[2 * i] * Math.tanh(m[2 * i] * rho);
    return rho - (g * s) / N;
  };
  return { model, m, n, radial };
}

/** kappa = (m^T m)^-1 m^T x for a rank-R net's m (row-major N x R), R <= 2. */
export function overlaps(m: Float64Array, R: number, x: ArrayLike<number>): number[] {
  const N = m.length / R;
  const G = Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += m[i * R + a] * m[i * R + b];
    return s;
  }));
  const rhs = Array.from({ length: R }, (_, a) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += m[i * R + a] * x[i];
    return s;
  });
  if (R === 1) return [rhs[0] / G[0][0]];
  const det = G[0][0] * G[1][1] - G[0][1] * G[1][0];
  return [(G[1][1] * rhs[0] - G[0][1] * rhs[1]) / det, (G[0][0] * rhs[1] - G[1][0] * rhs[0]) / det];
}

/** Distance from x to its projection on the columns of m, relative to |x|. */
export function offSubspace(m: Float64Array, R: number, x: ArrayLike<number>): number {
  const N = m.length / R;
  const k = overlaps(m, R, x);
  let res = 0;
  let norm = 0;
  for (let i = 0; i < N; i++) {
    let p = 0;
    for (let r = 0; r < R; r++) p += m[i * R + r] * k[r];
    res += (x[i] - p) ** 2;
    norm += x[i] ** 2;
  }
  return Math.sqrt(res / norm);
}

/** Solves the dense system A x = b (row-major n x n) by Gaussian elimination with partial pivoting. */
export function solve(A: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]) > Math.abs(M[p * n + c])) p = r;
    for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k], M[c * n + k]];
    [x[c], x[p]] = [x[p], x[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c] / M[c * n + c];
      for (let k = c; k < n; k++) M[r * n + k] -= f * M[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= M[r * n + k] * x[k];
    x[r] = s / M[r * n + r];
  }
  return x;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
