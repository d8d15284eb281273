// Gaussian predictive information of a time series (DCA, Clark, Livezey & Bouchard 2019; toolkit_anchors.md §9):
// PI_T(V^T x) = I(past T samples; next T samples) = log det Sigma_T - 1/2 log det Sigma_2T (nats), where Sigma_k is
// the block-Toeplitz covariance of k consecutive projected samples, built from the lagged cross-covariances
// C(dt) = Cov(x_t, x_{t+dt}). The projection V maximising it is found by gradient ascent over orthonormal V.
import { cholesky, choleskyInverse, thinQr } from '../core/linalg.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lagged cross-covariances C(dt) = Cov(x_t, x_{t+dt}) for dt = 0..lags-1 of samples x [T, N] or trials [B, T, N]
 * (one mean over every sample; each lag averages the pairs inside trials). Returns [lags, N, N]. O(lags N^2 B T).
 */
export async function crossCovariances(x: Tensor, lags: number): Promise<Tensor<Float64Array>> {
  checkTensor(x, 'x');
  if (x.shape.length !== 2 && x.shape.length !== 3) throw new RangeError(`x must have shape [T, N] or [B, T, N]; got ${formatShape(x.shape)}`);
  const [B, T, N] = x.shape.length === 2 ? [1, x.shape[0], x.shape[1]] : x.shape;
  if (!Number.isInteger(lags) || lags < 1 || lags >= T) throw new RangeError(`lags must be an integer in [1, ${T - 1}] (fewer than the steps per trial); got ${JSON.stringify(lags)}`);
  const mean = new Float64Array(N);
  for (let s = 0; s < B * T; s++) for (let i = 0; i < N; i++) mean[i] += x.data[s * N + i] / (B * T);
  const c = Float64Array.from(x.data, (v, k) => v - mean[k % N]);
  const out = new Float64Array(lags * N * N);
  const pairsPerYield = Math.max(1, Math.floor(1e7 / (N * N)));
  let sinceYield = 0;
  for (let lag = 0; lag < lags; lag++) {
    const block = out.subarray(lag * N * N, (lag + 1) * N * N);
    for (let b = 0; b < B; b++)
      for (let t = 0; t + lag < T; t++) {
        const now = (b * T + t) * N, later = (b * T + t + lag) * N;
        for (let i = 0; i < N; i++) {
          const xi = c[now + i];
          if (xi === 0) continue;
          for (let j = 0; j < N; j++) block[i * N + j] += xi * c[later + j];
        }
        if (++sinceYield === pairsPerYield) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    const pairs = B * (T - lag);
    for (let k = 0; k < N * N; k++) block[k] /= pairs;
    if (lag === 0) for (let i = 0; i < N; i++) for (let j = 0; j < i; j++) block[i * N + j] = block[j * N + i] = 0.5 * (block[i * N + j] + block[j * N + i]);
  }
  return { data: out, shape: [lags, N, N] };
}

interface Problem {
  N: number;
  window: number;
  /** C(dt) for dt < 2 window, each N x N row-major. */
  lag: Float64Array[];
}

function problemOf(covariances: Tensor, window: number): Problem {
  checkTensor(covariances, 'covariances');
  const s = covariances.shape;
  if (s.length !== 3 || s[1] !== s[2]) throw new RangeError(`covariances must have shape [lags, N, N]; got ${formatShape(s)}`);
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer; got ${JSON.stringify(window)}`);
  if (s[0] < 2 * window) throw new RangeError(`covariances must have at least 2 window = ${2 * window} lags; got ${s[0]}`);
  const N = s[1];
  const lag = Array.from({ length: 2 * window }, (_, d) => Float64Array.from(covariances.data.subarray(d * N * N, (d + 1) * N * N)));
  return { N, window, lag };
}

/** C V and C^T V for each lag (N x d each) and the projected covariances V^T C V (d x d each). */
function projectLags(p: Problem, v: Float64Array, d: number): { cv: Float64Array[]; ctv: Float64Array[]; c: Float64Array[] } {
  const { N } = p;
  const cv: Float64Array[] = [], ctv: Float64Array[] = [], c: Float64Array[] = [];
  for (const C of p.lag) {
    const left = new Float64Array(N * d), right = new Float64Array(N * d);
    for (let i = 0; i < N; i++)
      for (let k = 0; k < N; k++) {
        const x = C[i * N + k];
        if (x === 0) continue;
        for (let b = 0; b < d; b++) {
          left[i * d + b] += x * v[k * d + b];
          right[k * d + b] += x * v[i * d + b];
        }
      }
    const out = new Float64Array(d * d);
    for (let i = 0; i < N; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) out[a * d + b] += v[i * d + a] * left[i * d + b];
    cv.push(left);
    ctv.push(right);
    c.push(out);
  }
  return { cv, ctv, c };
}

/** The block-Toeplitz covariance of k consecutive d-dimensional samples: block (i, j) = C(j - i), or C(i - j)^T. */
function blockToeplitz(c: Float64Array[], k: number, d: number): Float64Array {
  const n = k * d;
  const out = new Float64Array(n * n);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      const block = c[Math.abs(j - i)];
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) out[(i * d + a) * n + j * d + b] = j >= i ? block[a * d + b] : block[b * d + a];
    }
  return out;
}

function factor(c: Float64Array[], k: number, d: number): Float64Array {
  const l = cholesky(blockToeplitz(c, k, d), k * d);
  if (!l) {
    throw new RangeError(`the covariance of ${k} consecutive projected samples is not positive definite; use more data, a smaller window or a lower dimension`);
  }
  return l;
}

const logDet = (l: Float64Array, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * Math.log(l[i * n + i]);
  return s;
};

function checkProjection(projection: Tensor | undefined, N: number): { v: Float64Array; d: number } {
  if (projection === undefined) {
    const v = new Float64Array(N * N);
    for (let i = 0; i < N; i++) v[i * N + i] = 1;
    return { v, d: N };
  }
  checkTensor(projection, 'projection');
  if (projection.shape.length !== 2 || projection.shape[0] !== N || projection.shape[1] < 1 || projection.shape[1] > N) {
    throw new RangeError(`projection must have shape [${N}, d] with 1 <= d <= ${N}; got ${formatShape(projection.shape)}`);
  }
  return { v: Float64Array.from(projection.data), d: projection.shape[1] };
}

/**
 * PI_T (nats) of the projection V^T x (V: [N, d], default the identity) of a stationary Gaussian process with lagged
 * cross-covariances [lags >= 2 window, N, N] (from crossCovariances), T = `window`. For a Markov process it is
 * I(x_t; x_{t+1}) for every window: -1/2 log(1 - a^2) for an AR(1) with coefficient a.
 */
export function predictiveInformation(covariances: Tensor, window: number, projection?: Tensor): number {
  const p = problemOf(covariances, window);
  const { v, d } = checkProjection(projection, p.N);
  const { c } = projectLags(p, v, d);
  return logDet(factor(c, window, d), window * d) - 0.5 * logDet(factor(c, 2 * window, d), 2 * window * d);
}

/** PI and its gradient with respect to V (N x d): d log det Sigma_k / dV = 2 sum_ij B_ij V (Sigma_k^-1)_ji. */
function valueAndGradient(p: Problem, v: Float64Array, d: number): { value: number; gradient: Float64Array } {
  const { N, window: T } = p;
  const { cv, ctv, c } = projectLags(p, v, d);
  const gradient = new Float64Array(N * d);
  let value = 0;
  for (const [k, weight] of [[T, 1], [2 * T, -0.5]] as const) {
    const n = k * d;
    const l = factor(c, k, d);
    value += weight * logDet(l, n);
    const inv = choleskyInverse(l, n);
    for (let lag = 0; lag < k; lag++) {
      // S = sum over blocks with j - i = lag of (Sigma^-1)_ji (d x d); blocks with i - j = lag give S^T, and there
      // B_ij = C(lag)^T. The gradient gains 2 w (C V S + [lag > 0] C^T V S^T).
      const s = new Float64Array(d * d);
      for (let i = 0; i + lag < k; i++) {
        const j = i + lag;
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s[a * d + b] += inv[(j * d + a) * n + i * d + b];
      }
      const left = cv[lag], right = ctv[lag];
      for (let r = 0; r < N; r++)
        for (let a = 0; a < d; a++) {
          let g = 0;
          for (let b = 0; b < d; b++) g += left[r * d + b] * s[b * d + a] + (lag > 0 ? right[r * d + b] * s[a * d + b] : 0);
          gradient[r * d + a] += 2 * weight * g;
        }
    }
  }
  return { value, gradient };
}

/** The gradient of predictiveInformation with respect to the projection [N, d] (for one's own optimiser). */
export function predictiveInformationGradient(covariances: Tensor, window: number, projection: Tensor): Tensor<Float64Array> {
  const p = problemOf(covariances, window);
  const { v, d } = checkProjection(projection, p.N);
  return { data: valueAndGradient(p, v, d).gradient, shape: [p.N, d] };
}

export interface MaximizeOptions {
  /** d, the dimension of the projection. */
  dimension: number;
  window: number;
  /** Random orthonormal starts (default 1, DCA's n_init); the best result is kept. */
  restarts?: number;
  seed?: number;
  maxIterations?: number;
  /** Stop when an iteration raises PI by less than tolerance (default 1e-10 nats). */
  tolerance?: number;
  signal?: AbortSignal;
}

export interface MaximizedProjection {
  /** Orthonormal columns [N, d] spanning the most predictive subspace found (PI depends only on the span). */
  projection: Tensor<Float64Array>;
  predictiveInformation: number;
  /** PI reached from each start. */
  perRestart: Float64Array;
  iterations: number;
}

/**
 * The d-dimensional projection of maximal predictive information (DCA), by gradient ascent on the Grassmannian:
 * steps along the gradient with a backtracking (Armijo) line search, re-orthonormalised by QR.
 */
export async function maximizePredictiveInformation(covariances: Tensor, opts: MaximizeOptions): Promise<MaximizedProjection> {
  const p = problemOf(covariances, opts?.window);
  const { N } = p;
  const d = opts.dimension;
  if (!Number.isInteger(d) || d < 1 || d > N) throw new RangeError(`dimension must be an integer in [1, ${N}]; got ${JSON.stringify(d)}`);
  const restarts = opts.restarts ?? 1;
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`restarts must be a positive integer; got ${JSON.stringify(opts.restarts)}`);
  const maxIterations = opts.maxIterations ?? 1000;
  const tolerance = opts.tolerance ?? 1e-10;
  const rng = new Random(opts.seed ?? 0);
  const perRestart = new Float64Array(restarts);
  let best: { v: Float64Array; value: number } | null = null;
  let iterations = 0;
  for (let r = 0; r < restarts; r++) {
    let v = thinQr(Float64Array.from({ length: N * d }, () => rng.normal()), N, d).q;
    let { value, gradient } = valueAndGradient(p, v, d);
    let step = 1;
    for (let it = 0; it < maxIterations; it++, iterations++) {
      opts.signal?.throwIfAborted();
      // Riemannian gradient: the part of the gradient orthogonal to span(V).
      const vtg = new Float64Array(d * d);
      for (let i = 0; i < N; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) vtg[a * d + b] += v[i * d + a] * gradient[i * d + b];
      let g2 = 0;
      for (let i = 0; i < N; i++)
        for (let b = 0; b < d; b++) {
          let x = gradient[i * d + b];
          for (let a = 0; a < d; a++) x -= v[i * d + a] * vtg[a * d + b];
          gradient[i * d + b] = x;
          g2 += x * x;
        }
      if (g2 === 0) break;
      let accepted = false;
      for (let halving = 0; halving < 60; halving++, step /= 2) {
        const trial = thinQr(Float64Array.from(v, (x, i) => x + step * gradient[i]), N, d).q;
        let next: ReturnType<typeof valueAndGradient>;
        try {
          next = valueAndGradient(p, trial, d);
        } catch {
          continue; // a step into a numerically singular projection: shorten it
        }
        if (next.value >= value + 1e-4 * step * g2) {
          const gain = next.value - value;
          v = trial;
          ({ value, gradient } = next);
          accepted = gain > tolerance;
          break;
        }
      }
      if (!accepted) break;
      step *= 2;
      await yieldToEventLoop();
    }
    perRestart[r] = value;
    if (!best || value > best.value) best = { v, value };
  }
  return { projection: { data: best!.v, shape: [N, d] }, predictiveInformation: best!.value, perRestart, iterations };
}
