// Mean-field theory of low-rank nets with Gaussian and mixture-of-Gaussians connectivity (lint_reference.md §7):
// the latent flow from the connectivity statistics alone, statistics estimated from a model's vectors, and the
// comparison with the finite-N flow.
import { ACTIVATIONS, type Activation, type AnyModel } from '../model/index.js';
import { native } from '../native/load.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { FINITE_VALUES, GRID_DEFAULTS, GRID_RULES, flowFieldOf, gridOf, lowRankVectors, speeds, type FlowField, type GridOptions } from './latent.js';

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

/**
 * The connectivity statistics of a low-rank net, per population, that the mean-field theory of low-rank networks
 * (Mastrogiuseppe & Ostojic 2018; Beiran et al. 2021) takes in place of the vectors themselves.
 */
export interface ConnectivityStatistics {
  /** Rank R. */
  rank: number;
  /** Input channels K. */
  inputs: number;
  /** Whether the last variable is the bias b (added to the pre-activation). */
  bias: boolean;
  /** Transfer function phi of the units. */
  activation: Activation;
  /** Negative slope of leaky-relu. */
  slope: number;
  /** One entry per population; the fractions sum to 1. */
  populations: PopulationStatistics[];
}

/** The variable names of a statistics vector, e.g. ['m1', 'm2', 'n1', 'n2', 'I1', 'b']. */
export function statisticsVariables(rank: number, inputs: number, bias: boolean): string[] {
  checkValue('statisticsVariables', 'rank', rank, is.integer(1), 'argument');
  checkValue('statisticsVariables', 'inputs', inputs, is.integer(0), 'argument');
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

/** Validates statistics written by hand or read from a file; errors name the field (`name` and its path). */
export function checkStatistics(stats: ConnectivityStatistics, name = 'statistics'): ConnectivityStatistics {
  if (stats === null || typeof stats !== 'object') throw new TypeError(`${name} must be an object`);
  checkValue(name, 'rank', stats.rank, is.integer(1));
  checkValue(name, 'inputs', stats.inputs, is.integer(0));
  checkValue(name, 'bias', stats.bias, is.boolean());
  checkValue(name, 'activation', stats.activation, is.oneOf(ACTIVATIONS));
  checkValue(name, 'slope', stats.slope, is.number());
  checkValue(name, 'populations', stats.populations, is.custom('a non-empty array', (p) => Array.isArray(p) && p.length > 0, Array.isArray));
  const D = dimension(stats);
  let total = 0;
  stats.populations.forEach((p, q) => {
    const at = `${name}.populations[${q}]`;
    checkValue(at, 'fraction', p.fraction, is.number(0, 1, { minOpen: true }));
    total += p.fraction;
    checkTensor({ data: p.mean, shape: [p.mean?.length ?? 0] }, `${at}.mean`, [D]);
    checkTensor({ data: p.covariance, shape: [p.covariance?.length ?? 0] }, `${at}.covariance`, [D * D]);
    checkCovariance(p.covariance, D, at);
  });
  if (total > 1 + 1e-9) throw new RangeError(`${name}: the population fractions add up to ${total}; they must add up to at most 1`);
  return stats;
}

function checkCovariance(c: Float64Array, D: number, at: string): void {
  for (let i = 0; i < D; i++) {
    if (c[i * D + i] < 0) throw new RangeError(`${at}.covariance has a negative variance at [${i}, ${i}]`);
    for (let j = 0; j < i; j++) {
      const a = c[i * D + j], b = c[j * D + i];
      if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b))) throw new RangeError(`${at}.covariance must be symmetric; [${i}, ${j}] = ${a} but [${j}, ${i}] = ${b}`);
    }
  }
}

/** Options of {@link estimateStatistics}; defaults in {@link ESTIMATE_DEFAULTS}. */
export interface EstimateOptions {
  /** Population of each unit (integers 0..P-1); default one population. */
  labels?: ArrayLike<number>;
  /** Covariance normalisation: 1 (numpy.cov, the reference's resampling; default) or 0 (exact for linear nets). */
  ddof?: 0 | 1;
  /** Sets the means to zero (the reference's resampling default, to_support_net take_means=False). */
  zeroMeans?: boolean;
}

/** The defaults of estimateStatistics (labels: one population). */
export const ESTIMATE_DEFAULTS = Object.freeze({ ddof: 1 as 0 | 1, zeroMeans: false });

const ESTIMATE_RULES: Rules<EstimateOptions> = {
  labels: is.custom('one non-negative integer per unit', (l) => l !== null && typeof l === 'object' && Array.from(l as ArrayLike<unknown>).every((x) => Number.isInteger(x) && (x as number) >= 0)),
  ddof: is.oneOf([0, 1]),
  zeroMeans: is.boolean(),
};

/** The population of each unit (integers 0..P-1, each used): the labels given, or one population. */
function populationLabels(labels: ArrayLike<number> | undefined, N: number, where: string): Int32Array {
  if (labels === undefined) return new Int32Array(N);
  checkValue(where, 'labels', labels, is.custom(`one entry per unit (${N})`, (l) => (l as ArrayLike<number>).length === N));
  return Int32Array.from(labels);
}

/**
 * The connectivity statistics of a low-rank net's vectors, per population: fractions, means and covariances of
 * (m, n, I, b), b included when any b is non-zero.
 */
export function estimateStatistics(model: AnyModel, opts: EstimateOptions = {}): ConnectivityStatistics {
  return estimateChecked('estimateStatistics', model, checkOptions('estimateStatistics', ESTIMATE_RULES, opts, ESTIMATE_DEFAULTS));
}

function estimateChecked(where: string, model: AnyModel, opts: EstimateOptions): ConnectivityStatistics {
  const v = lowRankVectors(model);
  const { size: N, rank: R, inputs: K } = v;
  const bias = v.bias.some((x) => x !== 0);
  const D = 2 * R + K + (bias ? 1 : 0);
  const ddof = opts.ddof!;
  const labels = populationLabels(opts.labels, N, where);
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
  checkValue('gaussHermite', 'n', n, is.integer(1, 400));
  return native().binding.gaussHermite(n);
}

/** Options of {@link transferMoments}; defaults in {@link MOMENT_DEFAULTS}. */
export interface MomentOptions {
  /** Transfer function phi (default 'tanh'). */
  activation?: Activation;
  /** Negative slope of leaky-relu. */
  slope?: number;
  /** Gauss-Hermite points (default 200, the reference's). */
  quadraturePoints?: number;
}

/** The defaults of transferMoments (and the quadrature of every mean-field entry). */
export const MOMENT_DEFAULTS = Object.freeze({ activation: 'tanh' as Activation, slope: 0.01, quadraturePoints: 200 });

const MOMENT_RULES: Rules<MomentOptions> = {
  activation: is.oneOf(ACTIVATIONS),
  slope: is.number(),
  quadraturePoints: is.integer(1, 400),
};

/**
 * <phi(mu + sqrt(delta) z)> and <phi'(mu + sqrt(delta) z)> over z ~ N(0, 1) for each (mu_i, delta_i), by
 * Gauss-Hermite quadrature on nodes sqrt(2) x_i with weights w_i / sqrt(pi).
 */
export async function transferMoments(
  mu: ArrayLike<number>,
  delta: ArrayLike<number>,
  opts: MomentOptions = {},
): Promise<{ mean: Float64Array; meanDerivative: Float64Array }> {
  checkValue('transferMoments', 'mu', mu, is.numbers(), 'argument');
  checkValue('transferMoments', 'delta', delta, is.numbers(), 'argument');
  const o = checkOptions<MomentOptions>('transferMoments', MOMENT_RULES, opts, MOMENT_DEFAULTS);
  if (mu?.length !== delta?.length) throw new RangeError(`mu and delta must have the same length; got ${mu?.length} and ${delta?.length}`);
  return native().binding.transferMoments(Float64Array.from(mu), Float64Array.from(delta), { activation: o.activation!, slope: o.slope!, points: o.quadraturePoints! });
}

/** Options of {@link meanFieldVelocity} and {@link meanFieldFlowField}. */
export interface MeanFieldOptions {
  /** Constant input u (one value per input channel; default zeros). */
  inputs?: ArrayLike<number>;
  /** Gauss-Hermite points (default 200). */
  quadraturePoints?: number;
}

const MEAN_FIELD_RULES: Rules<MeanFieldOptions> = { inputs: FINITE_VALUES, quadraturePoints: MOMENT_RULES.quadraturePoints };
const MEAN_FIELD_DEFAULTS = Object.freeze({ quadraturePoints: MOMENT_DEFAULTS.quadraturePoints });

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
  const o = checkOptions<MeanFieldOptions>('meanFieldVelocity', MEAN_FIELD_RULES, opts, MEAN_FIELD_DEFAULTS);
  return meanFieldVelocityOf('meanFieldVelocity', checkStatistics(stats), kappa, o);
}

async function meanFieldVelocityOf(where: string, stats: ConnectivityStatistics, kappa: Tensor, opts: MeanFieldOptions): Promise<{ velocity: Tensor<Float64Array> }> {
  const { rank: R, inputs: K } = stats;
  checkTensor(kappa, 'kappa');
  if (kappa.shape.length < 1 || kappa.shape[kappa.shape.length - 1] !== R) throw new RangeError(`kappa must have shape [..., ${R}] (the rank); got ${formatShape(kappa.shape)}`);
  const input = opts.inputs ?? new Float64Array(K);
  checkValue(where, 'inputs', input, is.custom(`one finite number per input channel (${K})`, (x) => (x as ArrayLike<number>).length === K));
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
  const o = checkOptions<MeanFieldOptions & GridOptions>('meanFieldFlowField', { ...MEAN_FIELD_RULES, ...GRID_RULES }, opts, { ...MEAN_FIELD_DEFAULTS, ...GRID_DEFAULTS });
  return meanFieldFlowOf('meanFieldFlowField', checkStatistics(stats), o);
}

async function meanFieldFlowOf(where: string, stats: ConnectivityStatistics, o: MeanFieldOptions & GridOptions): Promise<FlowField> {
  const grid = gridOf(where, stats.rank, o);
  const { velocity } = await meanFieldVelocityOf(where, stats, grid.points, o);
  return { ...grid, velocity, speed: speeds(velocity) };
}

/**
 * Options of {@link compareMeanField}: the input and quadrature, the grid, how statistics are estimated, or the
 * statistics themselves.
 */
export type CompareOptions = MeanFieldOptions & GridOptions & EstimateOptions & { statistics?: ConnectivityStatistics };

const COMPARE_RULES: Rules<CompareOptions> = { ...MEAN_FIELD_RULES, ...GRID_RULES, ...ESTIMATE_RULES, statistics: is.object() };

/** What {@link compareMeanField} returns: both flows on one grid, the statistics used, and how far apart the flows are. */
export interface MeanFieldComparison {
  /** The model's own latent flow (finite N). */
  finite: FlowField;
  /** The mean-field flow of `statistics`. */
  meanField: FlowField;
  /** The statistics the mean-field flow used. */
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
export async function compareMeanField(model: AnyModel, opts: CompareOptions = {}): Promise<MeanFieldComparison> {
  const where = 'compareMeanField';
  const o = checkOptions<CompareOptions>(where, COMPARE_RULES, opts, { ...MEAN_FIELD_DEFAULTS, ...GRID_DEFAULTS, ...ESTIMATE_DEFAULTS });
  const statistics = o.statistics ? checkStatistics(o.statistics) : estimateChecked(where, model, o);
  const finite = await flowFieldOf(where, model, { ...o, coordinates: 'coefficients' });
  if (statistics.rank !== finite.points.shape[finite.points.shape.length - 1]) {
    throw new RangeError(`statistics.rank (${statistics.rank}) must equal the model's rank (${finite.points.shape[finite.points.shape.length - 1]})`);
  }
  const meanField = await meanFieldFlowOf(where, statistics, o);
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
