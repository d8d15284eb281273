// The closed-form students and the linear theory of the partial-observation experiments (seed 003): the MAP / ridge
// estimate of a dynamics matrix from observed activity, the stationary covariance of a linear teacher (discrete
// Lyapunov equation) and the long-time limit of the estimate, and the spectra they are compared by.
import { native } from '../native/load.js';
import { eigen } from '../analysis/linear.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, optionError, type Rules } from '../core/validate.js';

/** The transfer functions of the seed's dynamics. */
export const PARTIAL_ACTIVATIONS = ['linear', 'tanh'] as const;
/** phi of x_t = (1 - a) x_{t-1} + a A phi(x_{t-1}) + a eta_t: the identity or tanh. */
export type PartialActivation = (typeof PARTIAL_ACTIVATIONS)[number];

/**
 * The eigenvalues of a dynamics matrix and the time constants read from them. Time constants follow seed 003 and the
 * authors' code: tau_i = |1 / (1 - Re lambda_i)|, in units of the unit time constant tau = dt / a (the continuous-time
 * reading of x_t = (1 - a) x_{t-1} + a A x_{t-1}: the mode decays as exp(-(1 - Re lambda) t / tau)); the
 * line-attractor score (Nair et al. 2023) is log2(tau_1 / tau_2) of the two largest. The ratio, hence the score,
 * does not depend on a. (analysis.lineAttractorScore reads a matrix as a discrete map, tau = dt / |ln |lambda||,
 * a different convention for a different use.)
 */
export interface Spectrum {
  /** Shape [n, 2], real and imaginary parts, sorted by decreasing real part (then decreasing imaginary part). */
  eigenvalues: Tensor<Float64Array>;
  /** |1 / (1 - Re lambda_i)|, sorted decreasing [n]. */
  timeConstants: Float64Array;
  /** log2(tau_1 / tau_2); 0 for a single unit. */
  lineAttractorScore: number;
}

/**
 * The eigenvalues, time constants and line-attractor score of a square matrix (see {@link Spectrum}), or of given
 * eigenvalues [n, 2] (`known`, e.g. a generated teacher's exact ones).
 */
export async function spectrum(matrix: Tensor, known?: Tensor): Promise<Spectrum> {
  checkTensor(matrix, 'partialObservation.spectrum: matrix', undefined, { finite: false });
  const n = matrix.shape[0];
  const e = known
    ? { re: Float64Array.from({ length: n }, (_, i) => known.data[2 * i]), im: Float64Array.from({ length: n }, (_, i) => known.data[2 * i + 1]) }
    : await eigen(matrix);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => e.re[j] - e.re[i] || e.im[j] - e.im[i]);
  const eigenvalues = new Float64Array(2 * n);
  order.forEach((k, i) => {
    eigenvalues[2 * i] = e.re[k];
    eigenvalues[2 * i + 1] = e.im[k];
  });
  const taus = Float64Array.from(e.re, (re) => Math.abs(1 / (1 - re))).sort().reverse();
  const score = n > 1 ? Math.log2(taus[0] / taus[1]) : 0;
  return { eigenvalues: { data: eigenvalues, shape: [n, 2] }, timeConstants: taus, lineAttractorScore: score };
}

/** Options of {@link estimate}; defaults in {@link ESTIMATE_DEFAULTS}. */
export interface EstimateOptions {
  /** a = dt / tau of the dynamics (required). */
  alpha?: number;
  /** The ridge rho >= 0 (default 1e-3, the authors' value). */
  ridge?: number;
  /** phi: 'linear' (default) or 'tanh'. */
  activation?: PartialActivation;
}

/** The defaults of {@link estimate}. */
export const ESTIMATE_DEFAULTS = { ridge: 1e-3, activation: 'linear' } as const satisfies EstimateOptions;

const ESTIMATE_RULES: Rules<EstimateOptions> = { alpha: is.number(0, 1, { minOpen: true }), ridge: is.nonNegative(), activation: is.oneOf(PARTIAL_ACTIVATIONS) };

/** A closed-form student: its dynamics matrix and its spectrum. */
export interface Estimate extends Spectrum {
  /** The estimate A_hat [d, d]. */
  A: Tensor<Float64Array>;
}

/** Trials, steps and units of observed activity [T, d] or [B, T, d], checked (finite, enough steps). */
export function observedShape(states: Tensor, where: string, name = 'states'): { B: number; T: number; d: number } {
  checkValue(where, name, states, is.tensor(), 'argument');
  checkTensor(states, name, undefined, { finite: false });
  const s = states.shape;
  if (s.length !== 2 && s.length !== 3) throw optionError(where, name, 'observed activity of shape [T, d] or [B, T, d]', formatShape(s), RangeError, 'argument');
  const [B, T, d] = s.length === 2 ? [1, s[0], s[1]] : s;
  if (!(d >= 1) || !(B >= 1)) throw optionError(where, name, 'at least one trial of at least one observed unit', formatShape(s), RangeError, 'argument');
  const bad = states.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${where}: argument '${name}' must be finite; got ${states.data[bad]} at flat index ${bad}`);
  if (B * (T - 1) < d) {
    throw new RangeError(
      `${where}: argument '${name}' must hold at least as many transitions (trials x (steps - 1)) as observed units (${d}); got ${B} x (${T} - 1) = ${B * (T - 1)}: use more time steps than observed units`,
    );
  }
  return { B, T, d };
}

/**
 * The MAP / ridge estimate of A from observed activity x [T, d] or [B, T, d] (each trial its own sequence), seed 003
 * eq. 4 in the form A_hat = a (sum_t Delta_t phi(x_{t-1})^T) (rho I + a^2 sum_t phi(x_{t-1}) phi(x_{t-1})^T)^-1 with
 * Delta_t = x_t - (1 - a) x_{t-1} (native, double precision).
 */
export async function estimate(states: Tensor, options: EstimateOptions): Promise<Estimate> {
  const where = 'partialObservation.estimate';
  const o = checkOptions(where, ESTIMATE_RULES, options, ESTIMATE_DEFAULTS);
  if (o.alpha === undefined) throw optionError(where, 'alpha', 'a finite number in (0, 1]', undefined, TypeError);
  const { B, T, d } = observedShape(states, where);
  const a = await native().binding.ridgeDynamics(Float64Array.from(states.data), { trials: B, steps: T, units: d, alpha: o.alpha, ridge: o.ridge!, tanh: o.activation === 'tanh' });
  const A = { data: a, shape: [d, d] };
  return { A, ...(await spectrum(A)) };
}

/** Checks a square matrix argument; returns its size. */
function squareSize(where: string, name: string, m: Tensor): number {
  checkValue(where, name, m, is.tensor(), 'argument');
  checkTensor(m, name, undefined, { finite: true });
  const n = m.shape[0];
  if (m.shape.length !== 2 || m.shape[1] !== n || !(n >= 1)) throw optionError(where, name, 'a square matrix [n, n]', formatShape(m.shape), RangeError, 'argument');
  return n;
}

/** The solution S of the discrete Lyapunov (Stein) equation S = F S F^T + Q (native, complex Schur form of F). */
export async function discreteLyapunov(f: Tensor, q: Tensor): Promise<Tensor<Float64Array>> {
  const where = 'partialObservation.discreteLyapunov';
  const n = squareSize(where, 'f', f);
  if (squareSize(where, 'q', q) !== n) throw optionError(where, 'q', `a matrix [${n}, ${n}] like f`, formatShape(q.shape), RangeError, 'argument');
  const s = await native().binding.discreteLyapunov(Float64Array.from(f.data), Float64Array.from(q.data), n);
  return { data: s, shape: [n, n] };
}

/** Options of {@link stationaryLimit}. */
export interface LimitOptions {
  /** a = dt / tau (required). */
  alpha?: number;
  /** The process noise std s of eta (required; Q = a^2 s^2 I). */
  noise?: number;
  /** The observed units: their indices (default the first `units`). */
  observed?: number[];
  /** The number of observed units d when `observed` is not given. */
  units?: number;
  /** Std of white measurement noise on the observed units (default 0). */
  measurementNoise?: number;
}

/** What {@link stationaryLimit} returns: the stationary covariance and the long-time limit of the estimate. */
export interface StationaryLimit extends Estimate {
  /** S [D, D] with S = F S F^T + a^2 s^2 I, F = (1 - a) I + a B. */
  covariance: Tensor<Float64Array>;
  /** The observed units. */
  observed: number[];
}

/**
 * The linear long-time limit of the ridge-free estimate from d observed units of the linear teacher B [D, D]:
 * A_hat -> (B S)_oo (S_oo)^-1 as T -> infinity, S the stationary covariance of z_t = F z_{t-1} + a xi_t. With white
 * measurement noise of std m on the observed units, A_hat -> [(B S)_oo - (1 - a) / a m^2 I] (S_oo + m^2 I)^-1 (the
 * errors-in-variables bias of the regression).
 */
export async function stationaryLimit(b: Tensor, options: LimitOptions): Promise<StationaryLimit> {
  const where = 'partialObservation.stationaryLimit';
  const D = squareSize(where, 'teacher', b);
  const rules: Rules<LimitOptions> = {
    alpha: is.number(0, 1, { minOpen: true }),
    noise: is.positive(),
    observed: is.arrayOf(is.integer(0, D - 1), `a non-empty list of distinct unit indices in [0, ${D - 1}]`),
    units: is.integer(1, D),
    measurementNoise: is.nonNegative(),
  };
  const o = checkOptions(where, rules, options);
  for (const key of ['alpha', 'noise'] as const) if (o[key] === undefined) throw optionError(where, key, 'given', undefined, TypeError);
  const observed = o.observed ?? Array.from({ length: o.units ?? D }, (_, i) => i);
  if (new Set(observed).size !== observed.length) throw optionError(where, 'observed', 'distinct unit indices', observed);
  const r = await native().binding.stationaryLimit(Float64Array.from(b.data), Int32Array.from(observed), { n: D, alpha: o.alpha!, noise: o.noise!, measurement: o.measurementNoise ?? 0 });
  const A = { data: r.limit, shape: [observed.length, observed.length] };
  return { A, ...(await spectrum(A)), covariance: { data: r.covariance, shape: [D, D] }, observed };
}
