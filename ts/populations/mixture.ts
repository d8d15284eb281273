// Gaussian mixtures (scikit-learn's GaussianMixture and BayesianGaussianMixture semantics) fitted in the native core:
// EM with full, diagonal, tied or spherical covariances, the variational (Dirichlet-process or Dirichlet-distribution)
// mixture, restarts on a thread pool, choice of K by BIC, and prediction on new data.
import { abortError } from '../core/errors.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkObject, checkOptions, checkValue, is, show, type Rule, type Rules } from '../core/validate.js';
import type { NativeMixtureFit, NativeMixtureModel } from '../native/binding.js';
import { native } from '../native/load.js';

/** The covariance of each component, as scikit-learn names them: its own full matrix, its own diagonal, one full
 * matrix shared by all components, or its own multiple of the identity. */
export type CovarianceType = 'full' | 'diag' | 'tied' | 'spherical';

/** 'em': maximum likelihood (scikit-learn GaussianMixture); 'variational': variational Bayes (BayesianGaussianMixture). */
export type MixtureMethod = 'em' | 'variational';

/** Options of {@link fitMixture}. The defaults are scikit-learn's. */
export interface MixtureOptions {
  /** K, the number of components (the upper bound for 'variational'). */
  components: number;
  /** 'em' (default) or 'variational'. */
  method?: MixtureMethod;
  /** The covariance type, default 'full'. */
  covariance?: CovarianceType;
  /** Independent fits from different initialisations (scikit-learn's n_init), default 1; the best by log-likelihood
   * (EM) or lower bound (variational) is kept. */
  restarts?: number;
  /** How responsibilities start: k-means++ seeding then k-means (default 'kmeans++'), k-means from random rows
   * ('kmeans') or random responsibilities ('random', scikit-learn's init_params='random'). */
  init?: 'kmeans++' | 'kmeans' | 'random';
  /** The most EM / variational iterations per restart, default 100. */
  maxIterations?: number;
  /** Convergence threshold on the change of the (mean) lower bound, default 1e-3. */
  tolerance?: number;
  /** Added to the diagonal of every covariance, default 1e-6. */
  regCovar?: number;
  /** The seed of the initialisations, default 0. */
  seed?: number;
  /** 'variational' only: the prior on the weights, default 'dirichlet_process'. */
  weightConcentrationPriorType?: 'dirichlet_process' | 'dirichlet_distribution';
  /** 'variational' only: the weight concentration prior, default 1 / K. */
  weightConcentrationPrior?: number;
  /** 'variational' only: the precision prior on the means, default 1. */
  meanPrecisionPrior?: number;
  /** 'variational' only: the degrees-of-freedom prior, default D (the number of columns). */
  degreesOfFreedomPrior?: number;
  /** 'variational' only: the prior on the means [D], default the mean of the data. */
  meanPrior?: Float64Array;
  /** 'variational' only: the covariance prior ([D, D] row-major for 'full' and 'tied', [D] for 'diag', a number
   * for 'spherical'), default the covariance of the data (its diagonal, or its mean variance). */
  covariancePrior?: Float64Array | number;
  /** Start from these hard labels [N] (0..K-1) instead of `init`: one fit from a given partition (then `restarts`
   * must be 1), e.g. to continue from another clustering or to compare with another implementation step by step. */
  initialLabels?: Int32Array;
  /** Threads for the restarts (0 or undefined: all cores); the result does not depend on it. */
  threads?: number;
  /** Stops the fit at the next iteration check; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called after each restart with the number done (from the main thread, in order). */
  onProgress?: (p: MixtureProgress) => void;
}

/** Progress of a fit: restarts done of all. */
export interface MixtureProgress {
  restartsDone: number;
  restarts: number;
}

/**
 * The variational posterior terms scikit-learn's BayesianGaussianMixture scores samples with (per kept component):
 * E[log pi_k] under the weight posterior, the posterior mean precision and the Wishart degrees of freedom.
 */
export interface MixturePosterior {
  logWeights: Float64Array;
  meanPrecision: Float64Array;
  degreesOfFreedom: Float64Array;
}

/** A fitted mixture. Components that no sample belongs to are dropped, so `components` may be below the K asked. */
export interface GaussianMixture {
  method: MixtureMethod;
  covariance: CovarianceType;
  /** The number of components kept (after dropping empty ones). */
  components: number;
  /** D, the number of columns. */
  dims: number;
  /** Mixing weights [K], summing to 1. */
  weights: Float64Array;
  /** Means [K, D], float64. */
  means: Tensor;
  /** Covariances [K, D, D] as full matrices whatever the covariance type (reg_covar included). */
  covariances: Tensor;
  /** The component of each fitted row [N], numbered 0..K-1 with every label used. */
  labels: Int32Array;
  /** The mean per-sample log-likelihood of the fitted data (scikit-learn's `score`). */
  logLikelihood: number;
  /** Bayesian information criterion, scikit-learn's formula -2 N L + p log N, with L the mean log density of the
   * mixture (weights, means, covariances) and p its free parameters (scikit-learn's count for the covariance type). */
  bic: number;
  /** Akaike information criterion: -2 N L + 2 p. */
  aic: number;
  /** Whether the best restart converged within maxIterations. */
  converged: boolean;
  /** Iterations of the best restart. */
  iterations: number;
  /** The best restart's lower bound at its last iteration (EM: the mean log-likelihood before the last M-step;
   * variational: the evidence lower bound as scikit-learn computes it, a total over samples). */
  lowerBound: number;
  /** Which restart gave the fit (0-based). */
  bestRestart: number;
  /** 'variational' only: the posterior terms that {@link predict}, {@link responsibilities} and {@link scoreSamples}
   * use, as scikit-learn does (then `logLikelihood` is scikit-learn's `score` of the variational model, and `bic`
   * and `aic` use the plain mixture density of `weights`, `means` and `covariances`). */
  variational?: MixturePosterior;
}

const COVARIANCES: readonly CovarianceType[] = ['full', 'diag', 'tied', 'spherical'];
const VARIATIONAL_ONLY = [
  'weightConcentrationPriorType',
  'weightConcentrationPrior',
  'meanPrecisionPrior',
  'degreesOfFreedomPrior',
  'meanPrior',
  'covariancePrior',
] as const;

/** The rows of a data tensor as float64, checked: 2-D, at least `minRows` rows, finite. */
function dataOf(where: string, x: unknown, name = 'x', cols?: number, minRows = 2): { data: Float64Array; rows: number; cols: number } {
  checkValue(where, name, x, is.tensor(), 'argument');
  const t = x as Tensor;
  if (t.shape.length !== 2) {
    throw new RangeError(`${where}: argument '${name}' must be a 2-D tensor [N, D]; got shape ${formatShape(t.shape)}`);
  }
  checkTensor(t, `${where}: argument '${name}'`, [null, cols ?? null]);
  const [rows, d] = t.shape;
  if (rows < minRows) throw new RangeError(`${where}: argument '${name}' must have at least ${minRows} rows; got ${rows}`);
  if (d < 1) throw new RangeError(`${where}: argument '${name}' must have at least 1 column; got 0`);
  return { data: t.data instanceof Float64Array ? t.data : Float64Array.from(t.data), rows, cols: d };
}

function finiteArray(length: number, what: string): Rule {
  return is.custom(
    `${what} (a Float64Array or number array of ${length} finite values)`,
    (v) => (v instanceof Float64Array || Array.isArray(v)) && v.length === length && Array.from(v as ArrayLike<number>).every((a) => typeof a === 'number' && Number.isFinite(a)),
    (v) => v instanceof Float64Array || Array.isArray(v),
  );
}

type Optional = 'signal' | 'onProgress' | 'meanPrior' | 'covariancePrior' | 'initialLabels';
type Resolved = Required<Omit<MixtureOptions, Optional>> & Pick<MixtureOptions, Optional>;

function mixtureRules(rows: number, cols: number, covariance: CovarianceType): Rules<MixtureOptions> {
  const covLength = covariance === 'full' || covariance === 'tied' ? cols * cols : cols;
  return {
    components: is.integer(1, rows),
    method: is.oneOf<MixtureMethod>(['em', 'variational']),
    covariance: is.oneOf(COVARIANCES),
    restarts: is.integer(1, 100000),
    init: is.oneOf(['kmeans++', 'kmeans', 'random']),
    maxIterations: is.integer(1, 1e7),
    tolerance: is.nonNegative(),
    regCovar: is.nonNegative(),
    seed: is.seed(),
    weightConcentrationPriorType: is.oneOf(['dirichlet_process', 'dirichlet_distribution']),
    weightConcentrationPrior: is.positive(),
    meanPrecisionPrior: is.positive(),
    degreesOfFreedomPrior: { ...is.number(cols - 1, Infinity, { minOpen: true }), expected: `a finite number > ${cols - 1} (D - 1)` },
    meanPrior: finiteArray(cols, 'the prior mean'),
    covariancePrior:
      covariance === 'spherical'
        ? is.positive()
        : finiteArray(covLength, covariance === 'diag' ? 'the prior variances [D]' : 'the prior covariance [D, D] row-major'),
    threads: is.threads(),
    initialLabels: is.custom(
      `an Int32Array of ${rows} labels`,
      (v) => v instanceof Int32Array && v.length === rows,
      (v) => v instanceof Int32Array,
    ),
    signal: is.signal(),
    onProgress: is.function(),
  };
}

function resolveOptions(where: string, rows: number, cols: number, user: unknown): Resolved {
  const given = checkObject(where, user);
  const covariance = given.covariance === undefined ? 'full' : checkValue<CovarianceType>(where, 'covariance', given.covariance, is.oneOf(COVARIANCES));
  const method = given.method === undefined ? 'em' : checkValue<MixtureMethod>(where, 'method', given.method, is.oneOf(['em', 'variational']));
  if (given.components === undefined) throw new TypeError(`${where}: option 'components' is required (an integer in [1, ${rows}])`);
  const rules = mixtureRules(rows, cols, covariance) as Record<string, Rule | readonly Rule[]>;
  const notApplicable: Record<string, string> = {};
  if (method === 'em') {
    for (const key of VARIATIONAL_ONLY) {
      delete rules[key];
      notApplicable[key] = "a prior of method 'variational'; this fit uses method 'em'";
    }
  }
  const K = typeof given.components === 'number' ? given.components : 1;
  const o = checkOptions<MixtureOptions>(
    where,
    rules as Rules<MixtureOptions>,
    given,
    {
      method: 'em',
      covariance: 'full',
      restarts: 1,
      init: 'kmeans++',
      maxIterations: 100,
      tolerance: 1e-3,
      regCovar: 1e-6,
      seed: 0,
      threads: 0,
      ...(method === 'variational'
        ? { weightConcentrationPriorType: 'dirichlet_process', weightConcentrationPrior: 1 / K, meanPrecisionPrior: 1, degreesOfFreedomPrior: cols }
        : {}),
    },
    notApplicable,
  );
  if (o.initialLabels !== undefined) {
    if (o.restarts !== 1) throw new RangeError(`${where}: option 'restarts' must be 1 with 'initialLabels' (every restart would start from them); got ${show(o.restarts)}`);
    const bad = o.initialLabels.findIndex((l) => l < 0 || l >= o.components);
    if (bad >= 0) {
      throw new RangeError(`${where}: option 'initialLabels' must hold labels in [0, ${o.components - 1}]; got ${o.initialLabels[bad]} at row ${bad}`);
    }
  }
  return o as Resolved;
}

function toTensor(data: Float64Array, shape: number[]): Tensor {
  return { data, shape };
}

function mixtureOf(r: NativeMixtureFit, o: Resolved, cols: number): GaussianMixture {
  const K = r.components;
  const m: GaussianMixture = {
    method: o.method,
    covariance: o.covariance,
    components: K,
    dims: cols,
    weights: r.weights,
    means: toTensor(r.means, [K, cols]),
    covariances: toTensor(r.covariances, [K, cols, cols]),
    labels: r.labels,
    logLikelihood: r.logLikelihood,
    bic: r.bic,
    aic: r.aic,
    converged: r.converged,
    iterations: r.iterations,
    lowerBound: r.lowerBound,
    bestRestart: r.bestRestart,
  };
  if (o.method === 'variational') {
    m.variational = { logWeights: r.logWeights, meanPrecision: r.meanPrecision!, degreesOfFreedom: r.degreesOfFreedom! };
  }
  return m;
}

/**
 * Fits a Gaussian mixture to the rows of `x` [N, D] with scikit-learn's algorithms (EM, or variational Bayes with
 * `method: 'variational'`), `restarts` times from different initialisations, and keeps the best. Components that no
 * row belongs to are dropped and the labels renumbered 0..K-1. Restarts run on `threads` threads; restart r draws
 * from a generator seeded by (seed, r), so the result does not depend on the thread count.
 *
 * Errors (RangeError unless the type is wrong): `x` not a 2-D finite tensor with at least 2 rows; `components`
 * outside [1, N] or above the number of distinct rows; unknown options, or a prior with method 'em'; a covariance
 * that is not positive definite even after `regCovar` is added (a constant column or duplicate rows with
 * `regCovar: 0`). With the default `regCovar` (1e-6) a constant column fits, its variance in every component being
 * `regCovar`, as in scikit-learn.
 */
export async function fitMixture(x: Tensor, options: MixtureOptions): Promise<GaussianMixture> {
  const where = 'fitMixture';
  const { data, rows, cols } = dataOf(where, x);
  const o = resolveOptions(where, rows, cols, options);
  if (o.signal?.aborted) throw abortError('fitMixture was aborted before it started');
  const toArray = (v: Float64Array | number[] | number | undefined): Float64Array | null =>
    v === undefined ? null : typeof v === 'number' ? Float64Array.of(v) : Float64Array.from(v);
  const job = native().binding.fitMixture(
    data,
    {
      rows,
      cols,
      components: o.components,
      method: o.method,
      covariance: o.covariance,
      restarts: o.restarts,
      init: o.init,
      maxIterations: o.maxIterations,
      tolerance: o.tolerance,
      regCovar: o.regCovar,
      seed: o.seed,
      threads: o.threads,
      dirichletProcess: (o.weightConcentrationPriorType ?? 'dirichlet_process') === 'dirichlet_process',
      weightConcentrationPrior: o.weightConcentrationPrior ?? 1 / o.components,
      meanPrecisionPrior: o.meanPrecisionPrior ?? 1,
      degreesOfFreedomPrior: o.degreesOfFreedomPrior ?? cols,
      meanPrior: toArray(o.meanPrior as Float64Array | number[] | undefined),
      covariancePrior: toArray(o.covariancePrior as Float64Array | number[] | number | undefined),
      ...(o.initialLabels ? { initialLabels: o.initialLabels } : {}),
    },
    o.onProgress,
  );
  const onAbort = () => job.abort();
  o.signal?.addEventListener('abort', onAbort);
  try {
    const r = await job.promise;
    if (r.aborted) throw abortError('fitMixture was aborted');
    return mixtureOf(r, o, cols);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** One candidate K of {@link selectComponents}: its BIC, AIC and mean log-likelihood. */
export interface ComponentsCandidate {
  components: number;
  bic: number;
  aic: number;
  logLikelihood: number;
}

/**
 * Fits K = lo..hi components (the same options and seed for each) and returns the fit with the lowest BIC (the
 * smaller K on a tie), with every candidate's scores. `components` must satisfy 1 <= lo <= hi <= N.
 */
export async function selectComponents(
  x: Tensor,
  options: Omit<MixtureOptions, 'components'> & {
    components: [number, number];
    /** After each K: the candidates so far and the best of them (what a Ctrl-C keeps). */
    onCandidate?: (p: { best: GaussianMixture; candidates: ComponentsCandidate[] }) => void;
  },
): Promise<{ best: GaussianMixture; candidates: ComponentsCandidate[] }> {
  const where = 'selectComponents';
  const { rows } = dataOf(where, x);
  const given = checkObject(where, options);
  const range = given.components;
  const ok =
    Array.isArray(range) &&
    range.length === 2 &&
    range.every((k) => Number.isSafeInteger(k)) &&
    range[0] >= 1 &&
    range[0] <= range[1] &&
    range[1] <= rows;
  if (!ok) {
    throw new RangeError(`${where}: option 'components' must be [lo, hi] with integers 1 <= lo <= hi <= ${rows} (the number of rows); got ${show(range)}`);
  }
  const [lo, hi] = range as [number, number];
  const { onCandidate, ...fitOptions } = given as typeof options;
  if (onCandidate !== undefined) checkValue(where, 'onCandidate', onCandidate, is.function());
  let best: GaussianMixture | undefined;
  const candidates: ComponentsCandidate[] = [];
  for (let k = lo; k <= hi; k++) {
    const m = await fitMixture(x, { ...(fitOptions as Omit<MixtureOptions, 'components'>), components: k });
    candidates.push({ components: k, bic: m.bic, aic: m.aic, logLikelihood: m.logLikelihood });
    if (!best || m.bic < best.bic) best = m;
    onCandidate?.({ best, candidates: candidates.slice() });
  }
  return { best: best!, candidates };
}

function checkMixture(where: string, m: unknown): GaussianMixture {
  checkValue(where, 'm', m, is.object('a GaussianMixture (from fitMixture)'), 'argument');
  const g = m as GaussianMixture;
  const K = g.components, D = g.dims;
  const fail = (what: string) => {
    throw new RangeError(`${where}: argument 'm' must be a GaussianMixture (from fitMixture); ${what}`);
  };
  if (!Number.isSafeInteger(K) || K < 1 || !Number.isSafeInteger(D) || D < 1) fail(`got components ${show(K)}, dims ${show(D)}`);
  if (!(g.weights instanceof Float64Array) || g.weights.length !== K) fail(`weights must be a Float64Array of ${K} values`);
  checkTensor(g.means, `${where}: m.means`, [K, D]);
  checkTensor(g.covariances, `${where}: m.covariances`, [K, D, D]);
  if (g.variational) {
    for (const key of ['logWeights', 'meanPrecision', 'degreesOfFreedom'] as const) {
      const a = g.variational[key];
      if (!(a instanceof Float64Array) || a.length !== K) fail(`variational.${key} must be a Float64Array of ${K} values`);
    }
  }
  return g;
}

async function scores(where: string, m: GaussianMixture, x: Tensor): Promise<{ logResp: Float64Array; logProbNorm: Float64Array; rows: number }> {
  const g = checkMixture(where, m);
  const { data, rows } = dataOf(where, x, 'x', g.dims, 0);
  const f64 = (a: Float64Array | Float32Array) => (a instanceof Float64Array ? a : Float64Array.from(a));
  const model: NativeMixtureModel = {
    components: g.components,
    dims: g.dims,
    variational: g.variational !== undefined,
    means: f64(g.means.data),
    covariances: f64(g.covariances.data),
    logWeights: g.variational ? g.variational.logWeights : g.weights.map(Math.log),
    ...(g.variational ? { meanPrecision: g.variational.meanPrecision, degreesOfFreedom: g.variational.degreesOfFreedom } : {}),
  };
  const r = await native().binding.mixtureScore(model, data, rows);
  return { ...r, rows };
}

/** The most likely component of each row of `x` [N, D] (D = m.dims), as scikit-learn's `predict`. */
export async function predict(m: GaussianMixture, x: Tensor): Promise<Int32Array> {
  const { logResp, rows } = await scores('predict', m, x);
  const K = m.components;
  const labels = new Int32Array(rows);
  for (let n = 0; n < rows; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logResp[n * K + k] > logResp[n * K + best]) best = k;
    labels[n] = best;
  }
  return labels;
}

/** The posterior probability of each component for each row of `x`: [N, K] float64 (scikit-learn's
 * `predict_proba`). */
export async function responsibilities(m: GaussianMixture, x: Tensor): Promise<Tensor> {
  const { logResp, rows } = await scores('responsibilities', m, x);
  return { data: logResp.map(Math.exp), shape: [rows, m.components] };
}

/** The log-likelihood of each row of `x` under the mixture (scikit-learn's `score_samples`; for a variational
 * mixture, scikit-learn's variational expectation). */
export async function scoreSamples(m: GaussianMixture, x: Tensor): Promise<Float64Array> {
  return (await scores('scoreSamples', m, x)).logProbNorm;
}
