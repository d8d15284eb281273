// Mean-field theory of low-rank nets with Gaussian and mixture-of-Gaussians connectivity (lint_reference.md §7):
// the latent flow from the connectivity statistics alone, statistics estimated from a model's vectors, and the
// comparison with the finite-N flow.
import { ACTIVATIONS, type Activation, type AnyModel } from '../model/models.js';
import { native } from '../native/load.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { latentFlowField, latentGrid, lowRankVectors, speeds, type FlowField, type GridOptions } from './latent.js';

/**
 * The joint distribution of one population's connectivity variables, in the order of `statisticsVariables`:
 * m_1..m_R, n_1..n_R, I_1..I_K (the input vectors si_k wi_k) and, when `bias`, b.
 */
export interface PopulationStatistics {
  /** The fraction alpha_p of the N units in this population. */
  fraction: number;
  /** D means. */
  mean: Float64Array;
  /** D x D covariance, row-major. */
  covariance: Float64Array;
}

export interface ConnectivityStatistics {
  rank: number;
  inputs: number;
  /** Whether the last variable is the bias b (added to the pre-activation). */
  bias: boolean;
  activation: Activation;
  /** Negative slope of leaky-relu. */
  slope: number;
  populations: PopulationStatistics[];
}

/** The variable names of a statistics vector, e.g. ['m1', 'm2', 'n1', 'n2', 'I1', 'b']. */
export function statisticsVariables(rank: number, inputs: number, bias: boolean): string[] {
  const names: string[] = [];
  for (let r = 1; r <= rank; r++) names.push(`m${r}`);
  for (let r = 1; r <= rank; r++) names.push(`n${r}`);
  for (let k = 1; k <= inputs; k++) names.push(`I${k}`);
  if (bias) names.push('b');
  return names;
}

function dimension(s: { rank: number; inputs: number; bias: boolean }): number {
  return 2 * s.rank + s.inputs + (s.bias ? 1 : 0);
}

/** Validates statistics written by hand or read from a file; errors name the field. */
export function checkStatistics(stats: ConnectivityStatistics, name = 'statistics'): ConnectivityStatistics {
  if (stats === null || typeof stats !== 'object') throw new TypeError(`${name} must be an object`);
  for (const key of ['rank', 'inputs'] as const) {
    const v = stats[key];
    if (!Number.isInteger(v) || v < (key === 'rank' ? 1 : 0)) throw new RangeError(`${name}.${key} must be an integer >= ${key === 'rank' ? 1 : 0}; got ${JSON.stringify(v)}`);
  }
  if (typeof stats.bias !== 'boolean') throw new TypeError(`${name}.bias must be a boolean; got ${JSON.stringify(stats.bias)}`);
  if (!ACTIVATIONS.includes(stats.activation)) throw new TypeError(`${name}.activation must be one of ${ACTIVATIONS.join(', ')}; got ${JSON.stringify(stats.activation)}`);
  if (!Number.isFinite(stats.slope)) throw new RangeError(`${name}.slope must be a finite number; got ${JSON.stringify(stats.slope)}`);
  if (!Array.isArray(stats.populations) || stats.populations.length === 0) throw new RangeError(`${name}.populations must be a non-empty array`);
  const D = dimension(stats);
  let total = 0;
  stats.populations.forEach((p, q) => {
    const at = `${name}.populations[${q}]`;
    if (!(p.fraction > 0 && p.fraction <= 1)) throw new RangeError(`${at}.fraction must be in (0, 1]; got ${JSON.stringify(p.fraction)}`);
    total += p.fraction;
    checkTensor({ data: p.mean, shape: [p.mean?.length ?? 0] }, `${at}.mean`, [D]);
    checkTensor({ data: p.covariance, shape: [p.covariance?.length ?? 0] }, `${at}.covariance`, [D * D]);
    for (let i = 0; i < D; i++) {
      if (p.covariance[i * D + i] < 0) throw new RangeError(`${at}.covariance has a negative variance at [${i}, ${i}]`);
      for (let j = 0; j < i; j++) {
        const a = p.covariance[i * D + j], b = p.covariance[j * D + i];
        if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b))) throw new RangeError(`${at}.covariance must be symmetric; [${i}, ${j}] = ${a} but [${j}, ${i}] = ${b}`);
      }
    }
  });
  if (total > 1 + 1e-9) throw new RangeError(`${name}: the population fractions add up to ${total}; they must add up to at most 1`);
  return stats;
}

export interface EstimateOptions {
  /** Population of each unit (integers 0..P-1); default one population. */
  labels?: ArrayLike<number>;
  /** Covariance normalisation: 1 (numpy.cov, the reference's resampling; default) or 0 (exact for linear nets). */
  ddof?: 0 | 1;
  /** Sets the means to zero (the reference's resampling default, to_support_net take_means=False). */
  zeroMeans?: boolean;
}

/**
 * The connectivity statistics of a low-rank net's vectors, per population: fractions, means and covariances of
 * (m, n, I, b), b included when any b is non-zero.
 */
export function estimateStatistics(model: AnyModel, opts: EstimateOptions = {}): ConnectivityStatistics {
  const v = lowRankVectors(model);
  const { size: N, rank: R, inputs: K } = v;
  const bias = v.bias.some((x) => x !== 0);
  const D = 2 * R + K + (bias ? 1 : 0);
  const ddof = opts.ddof ?? 1;
  if (ddof !== 0 && ddof !== 1) throw new RangeError(`ddof must be 0 or 1; got ${JSON.stringify(opts.ddof)}`);
  const labels = new Int32Array(N);
  if (opts.labels !== undefined) {
    if (opts.labels === null || opts.labels.length !== N) throw new RangeError(`labels must have one entry per unit (${N}); got ${opts.labels === null ? 'null' : opts.labels.length}`);
    for (let i = 0; i < N; i++) {
      const l = opts.labels[i];
      if (!Number.isInteger(l) || l < 0) throw new RangeError(`labels[${i}] must be a non-negative integer; got ${l}`);
      labels[i] = l;
    }
  }
  const P = Math.max(...labels) + 1;
  const row = (i: number, out: Float64Array) => {
    for (let r = 0; r < R; r++) {
      out[r] = v.m[i * R + r];
      out[R + r] = v.n[i * R + r];
    }
    for (let k = 0; k < K; k++) out[2 * R + k] = v.inputVectors[k * N + i];
    if (bias) out[D - 1] = v.bias[i];
  };
  const populations: PopulationStatistics[] = [];
  const y = new Float64Array(D);
  for (let q = 0; q < P; q++) {
    const count = labels.reduce((c, l) => c + (l === q ? 1 : 0), 0);
    if (count === 0) throw new RangeError(`labels: population ${q} has no units (labels must be 0..P-1 with every population used)`);
    if (count - ddof < 1) throw new RangeError(`labels: population ${q} has ${count} unit(s); a covariance with ddof ${ddof} needs at least ${ddof + 1}`);
    const mean = new Float64Array(D);
    for (let i = 0; i < N; i++) {
      if (labels[i] !== q) continue;
      row(i, y);
      for (let d = 0; d < D; d++) mean[d] += y[d] / count;
    }
    const covariance = new Float64Array(D * D);
    for (let i = 0; i < N; i++) {
      if (labels[i] !== q) continue;
      row(i, y);
      for (let a = 0; a < D; a++) for (let b = 0; b <= a; b++) covariance[a * D + b] += ((y[a] - mean[a]) * (y[b] - mean[b])) / (count - ddof);
    }
    for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) covariance[b * D + a] = covariance[a * D + b];
    if (opts.zeroMeans) mean.fill(0);
    populations.push({ fraction: count / N, mean, covariance });
  }
  return { rank: R, inputs: K, bias, activation: v.activation as Activation, slope: v.slope, populations };
}

/** Nodes and weights of the n-point Gauss-Hermite rule for the weight exp(-x^2) (physicists'), 1 <= n <= 400. */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1 || n > 400) throw new RangeError(`n must be an integer in [1, 400]; got ${JSON.stringify(n)}`);
  return native().binding.gaussHermite(n);
}

export interface MomentOptions {
  activation?: Activation;
  slope?: number;
  /** Gauss-Hermite points (default 200, the reference's). */
  quadraturePoints?: number;
}

/**
 * <phi(mu + sqrt(delta) z)> and <phi'(mu + sqrt(delta) z)> over z ~ N(0, 1) for each (mu_i, delta_i), by
 * Gauss-Hermite quadrature on nodes sqrt(2) x_i with weights w_i / sqrt(pi).
 */
export async function transferMoments(
  mu: ArrayLike<number>,
  delta: ArrayLike<number>,
  opts: MomentOptions = {},
): Promise<{ mean: Float64Array; meanDerivative: Float64Array }> {
  if (mu?.length !== delta?.length) throw new RangeError(`mu and delta must have the same length; got ${mu?.length} and ${delta?.length}`);
  const activation = opts.activation ?? 'tanh';
  if (!ACTIVATIONS.includes(activation)) throw new TypeError(`activation must be one of ${ACTIVATIONS.join(', ')}; got ${JSON.stringify(activation)}`);
  const points = opts.quadraturePoints ?? 200;
  if (!Number.isInteger(points) || points < 1 || points > 400) throw new RangeError(`quadraturePoints must be an integer in [1, 400]; got ${JSON.stringify(opts.quadraturePoints)}`);
  return native().binding.transferMoments(Float64Array.from(mu), Float64Array.from(delta), { activation, slope: opts.slope ?? 0.01, points });
}

export interface MeanFieldOptions {
  /** Constant input u (one value per input channel; default zeros). */
  input?: ArrayLike<number>;
  quadraturePoints?: number;
}

/**
 * The mean-field latent velocity at points kappa [..., R] (coefficient coordinates x = m kappa + sum_k u_k I_k):
 * kappa'_r = -kappa_r + sum_p alpha_p [ mu^p_{n_r} <phi>(mu_p, Delta_p) + Cov_p(n_r, h) <phi'>(mu_p, Delta_p) ],
 * with h = sum_s m_s kappa_s + sum_k I_k u_k (+ b) the pre-activation, mu_p and Delta_p its mean and variance in
 * population p (Stein's lemma: E[n phi(h)] = E[n] E[phi(h)] + Cov(n, h) E[phi'(h)] for jointly Gaussian n, h).
 */
export async function meanFieldVelocity(
  stats: ConnectivityStatistics,
  kappa: Tensor,
  opts: MeanFieldOptions = {},
): Promise<{ velocity: Tensor<Float64Array> }> {
  checkStatistics(stats);
  const { rank: R, inputs: K } = stats;
  checkTensor(kappa, 'kappa');
  if (kappa.shape.length < 1 || kappa.shape[kappa.shape.length - 1] !== R) throw new RangeError(`kappa must have shape [..., ${R}] (the rank); got ${formatShape(kappa.shape)}`);
  const input = opts.input ?? new Float64Array(K);
  if (input.length !== K) throw new RangeError(`input must have one value per input channel (${K}); got ${input.length}`);
  for (let k = 0; k < K; k++) if (!Number.isFinite(input[k])) throw new RangeError(`input[${k}] must be a finite number; got ${input[k]}`);
  const D = dimension(stats);
  const pops = stats.populations;
  const P = kappa.data.length / R;
  const Q = pops.length;
  const mu = new Float64Array(P * Q), delta = new Float64Array(P * Q);
  const covNH = new Float64Array(P * Q * R);
  const a = new Float64Array(D);
  for (let p = 0; p < P; p++) {
    for (let r = 0; r < R; r++) a[r] = kappa.data[p * R + r];
    for (let k = 0; k < K; k++) a[2 * R + k] = input[k];
    if (stats.bias) a[D - 1] = 1;
    pops.forEach((pop, q) => {
      let m = 0, d = 0;
      for (let i = 0; i < D; i++) {
        if (a[i] === 0) continue;
        m += a[i] * pop.mean[i];
        let sa = 0;
        for (let j = 0; j < D; j++) sa += pop.covariance[i * D + j] * a[j];
        d += a[i] * sa;
      }
      mu[p * Q + q] = m;
      delta[p * Q + q] = Math.max(0, d);
      for (let r = 0; r < R; r++) {
        let c = 0;
        for (let j = 0; j < D; j++) c += pop.covariance[(R + r) * D + j] * a[j];
        covNH[(p * Q + q) * R + r] = c;
      }
    });
  }
  const moments = await transferMoments(mu, delta, { activation: stats.activation, slope: stats.slope, quadraturePoints: opts.quadraturePoints });
  const velocity = new Float64Array(P * R);
  for (let p = 0; p < P; p++)
    for (let r = 0; r < R; r++) {
      let v = -kappa.data[p * R + r];
      pops.forEach((pop, q) => {
        v += pop.fraction * (pop.mean[R + r] * moments.mean[p * Q + q] + covNH[(p * Q + q) * R + r] * moments.meanDerivative[p * Q + q]);
      });
      velocity[p * R + r] = v;
    }
  return { velocity: { data: velocity, shape: [...kappa.shape] } };
}

/** The mean-field flow on the same grids as latentFlowField (rank 1: a line, rank 2: the plane, rank >= 3: a slice). */
export async function meanFieldFlowField(stats: ConnectivityStatistics, opts: MeanFieldOptions & GridOptions = {}): Promise<FlowField> {
  checkStatistics(stats);
  const grid = latentGrid(stats.rank, opts);
  const { velocity } = await meanFieldVelocity(stats, grid.points, opts);
  return { ...grid, velocity, speed: speeds(velocity) };
}

export interface MeanFieldComparison {
  finite: FlowField;
  meanField: FlowField;
  statistics: ConnectivityStatistics;
  /** max over grid points of |kappa'_finite - kappa'_meanfield| (Euclidean). */
  maxError: number;
  /** Root mean square of that difference over the grid. */
  rmsError: number;
  /** rmsError divided by the root mean square finite-N speed. */
  relativeError: number;
}

/**
 * The finite-N latent flow of a model (coefficient coordinates) next to the mean-field flow of its statistics
 * (estimated from its vectors unless `statistics` is given), on one grid.
 */
export async function compareMeanField(
  model: AnyModel,
  opts: MeanFieldOptions & GridOptions & EstimateOptions & { statistics?: ConnectivityStatistics } = {},
): Promise<MeanFieldComparison> {
  const statistics = opts.statistics ? checkStatistics(opts.statistics) : estimateStatistics(model, opts);
  const finite = await latentFlowField(model, { ...opts, coordinates: 'coefficients' });
  if (statistics.rank !== finite.points.shape[finite.points.shape.length - 1]) {
    throw new RangeError(`statistics.rank (${statistics.rank}) must equal the model's rank (${finite.points.shape[finite.points.shape.length - 1]})`);
  }
  const meanField = await meanFieldFlowField(statistics, opts);
  let max = 0, sum = 0, speed2 = 0;
  const R = statistics.rank;
  const P = finite.velocity.data.length / R;
  for (let p = 0; p < P; p++) {
    let e = 0;
    for (let r = 0; r < R; r++) e += (finite.velocity.data[p * R + r] - meanField.velocity.data[p * R + r]) ** 2;
    max = Math.max(max, Math.sqrt(e));
    sum += e;
    speed2 += finite.speed.data[p] ** 2;
  }
  const rmsError = Math.sqrt(sum / P);
  return { finite, meanField, statistics, maxError: max, rmsError, relativeError: speed2 > 0 ? rmsError / Math.sqrt(speed2 / P) : rmsError };
}
