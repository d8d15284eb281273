// Gaussian predictive information of a time series (DCA, Clark, Livezey & Bouchard 2019; toolkit_anchors.md §9):
// PI_T(V^T x) = I(past T samples; next T samples) = log det Sigma_T - 1/2 log det Sigma_2T (nats), where Sigma_k is
// the block-Toeplitz covariance of k consecutive projected samples, built from the lagged cross-covariances
// C(dt) = Cov(x_t, x_{t+dt}). The projection V maximising it is found by gradient ascent over orthonormal V. The
// value and its gradient are computed by the native core (native/core/predictive_information.cpp) on a worker thread.
import { crossProduct, thinQr } from '../core/linalg.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { native } from '../native/load.js';

/** Options of {@link crossCovariances}. */
export interface CrossCovarianceOptions {
  /** CPU threads over which the lags are split (default 0: every hardware thread). */
  threads?: number;
}

const CROSS_COVARIANCE_RULES: Rules<CrossCovarianceOptions> = { threads: is.integer(0) };

/**
 * Lagged cross-covariances C(dt) = Cov(x_t, x_{t+dt}) for dt = 0..lags-1 of samples x [T, N] or trials [B, T, N]
 * (one mean over every sample; each lag averages the pairs inside trials; C(0) symmetrised). Returns [lags, N, N],
 * entry (i, j) of C(dt) pairing x_t[i] with x_{t+dt}[j]. Native (double precision, matrix products on a worker
 * thread): O(lags N^2 B T).
 */
export async function crossCovariances(x: Tensor, lags: number, opts: CrossCovarianceOptions = {}): Promise<Tensor<Float64Array>> {
  const o = checkOptions<CrossCovarianceOptions>('crossCovariances', CROSS_COVARIANCE_RULES, opts, { threads: 0 });
  checkTensor(x, 'x', undefined, { finite: true });
  if (x.shape.length !== 2 && x.shape.length !== 3) throw new RangeError(`x must have shape [T, N] or [B, T, N]; got ${formatShape(x.shape)}`);
  const [B, T, N] = x.shape.length === 2 ? [1, x.shape[0], x.shape[1]] : x.shape;
  checkValue('crossCovariances', 'lags', lags, is.integer(1, T - 1));
  const out = await native().binding.crossCovariances(x.data, { batch: B, steps: T, size: N, lags, threads: o.threads! });
  return { data: out, shape: [lags, N, N] };
}

interface Problem {
  N: number;
  window: number;
  /** C(dt) for dt < 2 window, [2 window, N, N] row-major. */
  lags: Float64Array;
}

function problemOf(where: string, covariances: Tensor, window: number): Problem {
  checkTensor(covariances, 'covariances');
  const s = covariances.shape;
  if (s.length !== 3 || s[1] !== s[2]) throw new RangeError(`covariances must have shape [lags, N, N]; got ${formatShape(s)}`);
  checkValue(where, 'window', window, is.integer(1));
  if (s[0] < 2 * window) throw new RangeError(`covariances must have at least 2 window = ${2 * window} lags; got ${s[0]}`);
  const N = s[1];
  return { N, window, lags: Float64Array.from(covariances.data.subarray(0, 2 * window * N * N)) };
}

/** PI_T of the projection v [N, d] and, when asked, its gradient with respect to v: d log det Sigma_k / dV =
 * 2 sum_ij B_ij V (Sigma_k^-1)_ji (native, double precision). */
async function valueAndGradient(p: Problem, v: Float64Array, d: number, gradient: boolean): Promise<{ value: number; gradient: Float64Array }> {
  const r = await native().binding.predictiveInformation(p.lags, v, { size: p.N, window: p.window, dimension: d, gradient });
  return { value: r.value, gradient: r.gradient ?? new Float64Array(0) };
}

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
 * I(x_t; x_{t+1}) for every window: -1/2 log(1 - a^2) for an AR(1) with coefficient a. Computed on a worker thread;
 * rejects with a RangeError when the covariance of `window` or 2 `window` consecutive projected samples is not
 * positive definite.
 */
export async function predictiveInformation(covariances: Tensor, window: number, projection?: Tensor): Promise<number> {
  const p = problemOf('predictiveInformation', covariances, window);
  const { v, d } = checkProjection(projection, p.N);
  return (await valueAndGradient(p, v, d, false)).value;
}

/** The gradient of predictiveInformation with respect to the projection [N, d] (for one's own optimiser). */
export async function predictiveInformationGradient(covariances: Tensor, window: number, projection: Tensor): Promise<Tensor<Float64Array>> {
  const p = problemOf('predictiveInformationGradient', covariances, window);
  const { v, d } = checkProjection(projection, p.N);
  return { data: (await valueAndGradient(p, v, d, true)).gradient, shape: [p.N, d] };
}

/** Options of {@link maximizePredictiveInformation}; defaults in {@link MAXIMIZE_DEFAULTS}. */
export interface MaximizeOptions {
  /** d, the dimension of the projection. */
  dimension: number;
  /** T, the window of the predictive information PI_T (in samples). */
  window: number;
  /** Random orthonormal starts (default 1, DCA's n_init); the best result is kept. */
  restarts?: number;
  /** Seed of the random starts (default 0). */
  seed?: number;
  /** Ascent iterations per start at most (default 1000). */
  maxIterations?: number;
  /** Stop when an iteration raises PI by less than tolerance (default 1e-10 nats). */
  tolerance?: number;
  /** Aborts the ascent between iterations; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The defaults of maximizePredictiveInformation (dimension and window have none). */
export const MAXIMIZE_DEFAULTS = Object.freeze({ restarts: 1, seed: 0, maxIterations: 1000, tolerance: 1e-10 });

const MAXIMIZE_RULES: Rules<MaximizeOptions> = {
  dimension: is.integer(1),
  window: is.integer(1),
  restarts: is.integer(1),
  seed: is.seed(),
  maxIterations: is.integer(0),
  tolerance: is.nonNegative(),
  signal: is.signal(),
};

/**
 * What {@link maximizePredictiveInformation} returns: the most predictive projection found, as Dynamical Components
 * Analysis (Clark et al. 2019) defines it.
 */
export interface MaximizedProjection {
  /** Orthonormal columns [N, d] spanning the most predictive subspace found (PI depends only on the span). */
  projection: Tensor<Float64Array>;
  /** PI_T of `projection`, in nats. */
  predictiveInformation: number;
  /** PI reached from each start. */
  perRestart: Float64Array;
  /** Iterations over all starts. */
  iterations: number;
}

/**
 * The d-dimensional projection of maximal predictive information (DCA), by gradient ascent on the Grassmannian:
 * steps along the gradient with a backtracking (Armijo) line search, re-orthonormalised by QR.
 */
export async function maximizePredictiveInformation(covariances: Tensor, opts: MaximizeOptions): Promise<MaximizedProjection> {
  const where = 'maximizePredictiveInformation';
  const o = checkOptions<MaximizeOptions>(where, MAXIMIZE_RULES, opts, MAXIMIZE_DEFAULTS) as Required<MaximizeOptions>;
  const p = problemOf(where, covariances, checkValue(where, 'window', o.window, is.integer(1)));
  const d = checkValue<number>(where, 'dimension', o.dimension, is.integer(1, p.N));
  const rng = new Random(o.seed);
  const perRestart = new Float64Array(o.restarts);
  let best: { v: Float64Array; value: number } | null = null;
  let iterations = 0;
  for (let r = 0; r < o.restarts; r++) {
    const run = await ascend(p, thinQr(Float64Array.from({ length: p.N * d }, () => rng.normal()), p.N, d).q, d, o);
    iterations += run.iterations;
    perRestart[r] = run.value;
    if (!best || run.value > best.value) best = run;
  }
  return { projection: { data: best!.v, shape: [p.N, d] }, predictiveInformation: best!.value, perRestart, iterations };
}

/** The Riemannian gradient in place (the part orthogonal to span(V)); returns its squared norm. */
function projectOut(v: Float64Array, gradient: Float64Array, N: number, d: number): number {
  const vtg = crossProduct(v, gradient, N, d, d);
  let g2 = 0;
  for (let i = 0; i < N; i++)
    for (let b = 0; b < d; b++) {
      let x = gradient[i * d + b];
      for (let a = 0; a < d; a++) x -= v[i * d + a] * vtg[a * d + b];
      gradient[i * d + b] = x;
      g2 += x * x;
    }
  return g2;
}

/** Gradient ascent from one orthonormal start, with a backtracking (Armijo) line search re-orthonormalised by QR. */
async function ascend(p: Problem, start: Float64Array, d: number, o: Required<MaximizeOptions>) {
  let v = start;
  let { value, gradient } = await valueAndGradient(p, v, d, true);
  let step = 1;
  let it = 0;
  for (; it < o.maxIterations; it++) {
    o.signal?.throwIfAborted();
    const g2 = projectOut(v, gradient, p.N, d);
    if (g2 === 0) break;
    let accepted = false;
    for (let halving = 0; halving < 60; halving++, step /= 2) {
      const trial = thinQr(Float64Array.from(v, (x, i) => x + step * gradient[i]), p.N, d).q;
      let next: Awaited<ReturnType<typeof valueAndGradient>>;
      try {
        next = await valueAndGradient(p, trial, d, true);
      } catch {
        continue; // a step into a numerically singular projection: shorten it
      }
      if (next.value >= value + 1e-4 * step * g2) {
        const gain = next.value - value;
        v = trial;
        ({ value, gradient } = next);
        accepted = gain > o.tolerance;
        break;
      }
    }
    if (!accepted) break;
    step *= 2;
  }
  return { v, value, iterations: it };
}
