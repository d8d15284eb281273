// Fixed and slow points (Sussillo & Barak 2013) of a model at constant inputs, as a recipe that reads top to bottom
// like FixedPointFinder's find_fixed_points: initial states sampled from trajectories -> tiled over the input
// conditions -> optimised (Adam, then Levenberg-Marquardt polishing in double) -> outliers and duplicates removed ->
// Jacobians and their eigendecomposition -> stability. The steps are in fixed-point-steps.ts, the files in
// fixed-point-files.ts. Conventions and conversions: docs/analysis.md.
import { checkCount } from '../core/size.js';
import type { AnyModel } from '../model/index.js';
import type { NativeSearchProgress } from '../native/binding.js';
import type { FloatArray, Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, optionError, type Rules, checkOptionGroup } from '../core/validate.js';
import { ANALYSIS_RULE, analysisDevice, inputRows, modelArgs, type AnalysisDevice } from './common.js';
import { CLASSIFY_DEFAULTS, CLASSIFY_RULES, EIGEN_METHODS, resolveConvention, type ClassifyOptions, type ComplexTensor, type Convention, type EigenMethod, type Eigenvalues, type PointType } from './linear.js';
import { absoluteTolerances, assemblePoints, initialStates, referenceRows, referenceScales, searchPoints, tileInputs } from './fixed-point-steps.js';

export { loadFixedPoints, saveFixedPoints } from './fixed-point-files.js';

/**
 * Which optimised states count as fixed or slow points and which are the same point, relative to the scales of the
 * reference states (the `fixedPoints` option `tolerance`).
 */
export interface FixedPointTolerances {
  /** Keep points with q <= this times the median q along the reference states (default 1e-4). */
  q?: number;
  /** ... or below this absolute q (overrides `q`). */
  qAbsolute?: number;
  /** Merge points closer than this times the RMS radius of the reference states (default 1e-3). */
  unique?: number;
  /** ... or closer than this Euclidean distance (overrides `unique`). */
  uniqueAbsolute?: number;
  /** Drop points further from the centroid of the initial states than this times their mean distance (10; 0 = off). */
  outlier?: number;
}

/** The first phase of the search: Adam on q(x) per candidate, as FixedPointFinder (the `fixedPoints` option `adam`). */
export interface AdamOptions {
  /** Adam steps per candidate at most (default 5000). */
  maxIterations?: number;
  /** Learning rate in units of the per-coordinate scale of the reference states (default 0.1). */
  lr?: number;
  /** Learning rate in state units (overrides `lr`). */
  lrAbsolute?: number;
  /** Adam's first-moment decay (default 0.9). */
  beta1?: number;
  /** Adam's second-moment decay (default 0.999). */
  beta2?: number;
  /** Adam's epsilon (default 1e-8). */
  eps?: number;
  /** Per candidate: lr times plateauFactor after more than plateauPatience steps without improvement. */
  plateauFactor?: number;
  /** Steps without improvement that a candidate's lr tolerates before it is cut (default 2; the factor defaults to 0.95). */
  plateauPatience?: number;
  /** A candidate leaves the phase when its lr falls below minLr times the initial lr (default 1e-3). */
  minLr?: number;
  /** ... or when q falls below this times the median reference q (default 1e-8; polishing takes it from there). */
  tolQ?: number;
  /** 'float32' (default, as FixedPointFinder) or 'float64'. */
  precision?: 'float32' | 'float64';
}

/** The second phase of the search: Levenberg-Marquardt in double precision (the `fixedPoints` option `polish`). */
export interface PolishOptions {
  /** Accepted Levenberg-Marquardt steps per candidate (default 100; 0 = no polishing). */
  maxIterations?: number;
  /** Stop when q falls below this times the median reference q (default 1e-24). */
  tolQ?: number;
}

/** How the Jacobians at the points are decomposed (the `fixedPoints` option `eigen`). */
export interface EigenOptions {
  /** 'auto' (default): the reduced R x R problem for low-rank nets without no-autapse, else dense. */
  method?: EigenMethod;
  /** Right and left eigenvectors (default: on for reduced problems, off for dense ones). */
  vectors?: boolean;
}

/**
 * How {@link fixedPoints} searches: 'latent' solves the R-dimensional self-consistency equation of a low-rank net
 * (exact for nets without no-autapse: every fixed point lies on its R-dimensional plane) and lifts the roots;
 * 'newton' runs batched Newton-GMRES in N dimensions from every initial state (fixed points only; after
 * `adam.maxIterations` Adam iterations when `adam` is given); 'full' minimises q in N dimensions (Adam, then
 * Levenberg-Marquardt: fixed and slow points, FixedPointFinder's recipe); 'auto' is 'latent' where it is exact,
 * 'newton' after 200 Adam iterations on full-rank nets, 'full' elsewhere, and 'full' whenever `adam` or `polish`
 * options are given (they configure the full search). See docs/analysis.md.
 */
export type FixedPointSearchMethod = 'auto' | 'latent' | 'newton' | 'full';

/** The latent search of low-rank nets (the `fixedPoints` option `latent`). */
export interface LatentSearchOptions {
  /** Starts spread over kappa space besides the candidates' projected states (default 1024; a grid when R is small). */
  starts?: number;
  /** Levenberg-Marquardt steps on the R equations per start at most (default 100). */
  maxIterations?: number;
}

/** Options of {@link fixedPoints}; defaults in {@link FIXED_POINT_DEFAULTS}. */
export interface FixedPointOptions {
  /** 'auto' (default), 'latent', 'newton' or 'full' (FixedPointSearchMethod). */
  search?: FixedPointSearchMethod;
  /** The latent search's starts and iterations. */
  latent?: LatentSearchOptions;
  /** Constant input(s): [K] or [C, K] (C conditions, each searched from the same initial states); default zeros. */
  inputs?: Tensor | FloatArray | readonly number[];
  /** Reference states: trajectories [B, T, N] (e.g. simulate().states) or states [S, N]. */
  from?: Tensor;
  /** Initial states [P, N] to start from instead of sampling `count` states from `from`. */
  initialStates?: Tensor;
  /** Initial states sampled from `from` (default 256), without replacement when there are enough. */
  count?: number;
  /** Std of the Gaussian perturbation added to each sampled state (absolute, per coordinate; default 0). */
  perturbation?: number;
  /** Seed of the sampling and the perturbation (default 0). */
  seed?: number;
  /** Which states count as points and which are merged. */
  tolerance?: FixedPointTolerances;
  /** The first phase (Adam). */
  adam?: AdamOptions;
  /** The second phase (Levenberg-Marquardt); false skips it. */
  polish?: PolishOptions | false;
  /** The eigendecomposition of the Jacobian at each point. */
  eigen?: EigenOptions;
  /** How stability is read (default continuous time; alpha is the model's). */
  stability?: Omit<ClassifyOptions, 'alpha'>;
  /** CPU threads (default 0: all cores). */
  threads?: number;
  /**
   * Where the first phase (Adam) and the reduced R x R eigenproblems of low-rank nets run (AnalysisDevice); default:
   * the model's device. Polishing and dense eigensolves run on the CPU in double precision either way.
   */
  device?: AnalysisDevice;
  /** Aborts the search; the call then rejects with an error named AbortError. */
  signal?: AbortSignal;
  /** Called with the phase ('adam', 'polish', 'linearize') and its progress. */
  onProgress?: (p: NativeSearchProgress) => void;
}

/**
 * Adam iterations before Newton when `search: 'auto'` runs the Newton search (full-rank nets): about 6 % of the
 * joint Adam iterations of the FixedPointFinder-style benchmark baseline, enough to carry the candidates into the
 * basins that Adam's flow reaches (docs/analysis.md, "Three searches").
 */
const NEWTON_ADAM_PREFIX = 200;

/**
 * The defaults of fixedPoints, the one table the code and docs/analysis.md read. Nested groups are merged key by key
 * (`adam: { lr: 0.3 }` keeps every other Adam default). Without a default: inputs (zeros), from / initialStates (one
 * is required), device (the model's), eigen.vectors (on for reduced problems), signal and onProgress.
 */
export const FIXED_POINT_DEFAULTS = Object.freeze({
  search: 'auto' as FixedPointSearchMethod,
  latent: Object.freeze({ starts: 1024, maxIterations: 100 }),
  count: 256,
  perturbation: 0,
  seed: 0,
  threads: 0,
  tolerance: Object.freeze({ q: 1e-4, unique: 1e-3, outlier: 10 }),
  adam: Object.freeze({
    maxIterations: 5000,
    lr: 0.1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    plateauFactor: 0.95,
    plateauPatience: 2,
    minLr: 1e-3,
    tolQ: 1e-8,
    precision: 'float32' as const,
  }),
  polish: Object.freeze({ maxIterations: 100, tolQ: 1e-24 }),
  eigen: Object.freeze({ method: 'auto' as EigenMethod }),
  stability: CLASSIFY_DEFAULTS,
});

const TOLERANCE_RULES: Rules<FixedPointTolerances> = {
  q: is.nonNegative(),
  qAbsolute: is.nonNegative(),
  unique: is.nonNegative(),
  uniqueAbsolute: is.nonNegative(),
  outlier: is.nonNegative(),
};

const ADAM_RULES: Rules<AdamOptions> = {
  maxIterations: is.integer(0),
  lr: is.positive(),
  lrAbsolute: is.positive(),
  beta1: is.number(0, 1, { maxOpen: true }),
  beta2: is.number(0, 1, { maxOpen: true }),
  eps: is.positive(),
  plateauFactor: is.number(0, 1, { minOpen: true }),
  plateauPatience: is.integer(0),
  minLr: is.nonNegative(),
  tolQ: is.nonNegative(),
  precision: is.oneOf(['float32', 'float64']),
};

const LATENT_RULES: Rules<LatentSearchOptions> = { starts: is.integer(0), maxIterations: is.integer(0) };
const POLISH_RULES: Rules<PolishOptions> = { maxIterations: is.integer(0), tolQ: is.nonNegative() };
const EIGEN_RULES: Rules<EigenOptions> = { method: is.oneOf(EIGEN_METHODS), vectors: is.boolean() };
const { alpha: _alpha, ...STABILITY_RULES } = CLASSIFY_RULES;

const FIXED_POINT_RULES: Rules<FixedPointOptions> = {
  inputs: ANALYSIS_RULE.values,
  from: is.tensor(),
  initialStates: is.tensor(),
  count: is.integer(1),
  perturbation: is.nonNegative(),
  seed: is.seed(),
  tolerance: is.object(),
  adam: is.object(),
  polish: [is.object(), is.oneOf([false])],
  eigen: is.object(),
  stability: is.object(),
  threads: ANALYSIS_RULE.threads,
  device: ANALYSIS_RULE.device,
  signal: ANALYSIS_RULE.signal,
  onProgress: ANALYSIS_RULE.onProgress,
  search: is.oneOf<FixedPointSearchMethod>(['auto', 'latent', 'newton', 'full']),
  latent: is.object(),
};

/** Every option of a search, checked, with the defaults filled in (nested groups included). */
export interface ResolvedFixedPointOptions extends Omit<FixedPointOptions, 'search' | 'latent' | 'tolerance' | 'adam' | 'polish' | 'eigen' | 'stability'> {
  /** The search that runs. */
  search: 'latent' | 'newton' | 'full';
  latent: Required<LatentSearchOptions>;
  count: number;
  perturbation: number;
  seed: number;
  threads: number;
  tolerance: FixedPointTolerances & typeof FIXED_POINT_DEFAULTS.tolerance;
  adam: AdamOptions & typeof FIXED_POINT_DEFAULTS.adam;
  /** polish: false becomes no iterations. */
  polish: Required<PolishOptions>;
  eigen: { method: EigenMethod; vectors: boolean; reduced: boolean };
  device: 'cpu' | 'cuda' | 'cuda-emulated';
  convention: ReturnType<typeof resolveConvention>;
}

/** Checks every option (nested groups with their own names, e.g. 'fixedPoints.adam') and fills in the defaults. */
export function resolveFixedPointOptions(model: AnyModel, options: FixedPointOptions): ResolvedFixedPointOptions {
  const where = 'fixedPoints';
  const o = checkOptions<FixedPointOptions>(where, FIXED_POINT_RULES, options, FIXED_POINT_DEFAULTS as Partial<FixedPointOptions>);
  const group = <T extends object>(name: string, rules: Rules<T>, defaults: Partial<T>) =>
    checkOptionGroup<T>(where, name, rules, o[name as keyof FixedPointOptions], defaults);
  const eigen = group<EigenOptions>('eigen', EIGEN_RULES, FIXED_POINT_DEFAULTS.eigen);
  const m = modelArgs(model);
  const item = { values: m.size, otherBytes: 3 * 8 * m.size, what: `initial states x N=${m.size} float64` };
  checkCount(where, 'count', o.count!, item);
  const possible = m.rank > 0 && !m.spec.noAutapse;
  if (eigen.method === 'reduced' && !possible) {
    throw optionError(where, 'eigen.method', "'auto' or 'dense' ('reduced' needs a low-rank net without noAutapse)", 'reduced');
  }
  const reduced = eigen.method === 'reduced' || (eigen.method === 'auto' && possible);
  if (o.search === 'latent' && !possible) {
    throw optionError(where, 'search', "'auto', 'full' or 'newton' ('latent' needs a low-rank net without noAutapse)", 'latent');
  }
  if (o.search === 'latent' && options.adam !== undefined) {
    throw optionError(where, 'adam', "undefined with search: 'latent' (Adam belongs to the full search)", options.adam);
  }
  const fullOptions = options.adam !== undefined || options.polish !== undefined;
  // 'auto': the latent search where the reduction is exact, the Newton search (after an Adam prefix) on full-rank nets,
  // the full search elsewhere and whenever adam or polish options are given
  const fullRank = m.rank === 0;
  const search = o.search === 'auto' ? (fullOptions ? 'full' : possible ? 'latent' : fullRank ? 'newton' : 'full') : o.search!;
  // the Newton search runs Adam first for adam.maxIterations iterations when `adam` is given, for
  // NEWTON_ADAM_PREFIX iterations when 'auto' chose it, else not at all
  const prefix = o.search === 'auto' ? NEWTON_ADAM_PREFIX : 0;
  if (o.from === undefined && o.initialStates === undefined) {
    throw optionError(where, 'from', 'trajectories [B, T, N] or states [S, N] to sample initial states from (or give initialStates)', undefined, TypeError);
  }
  return {
    ...o,
    search,
    latent: group('latent', LATENT_RULES, FIXED_POINT_DEFAULTS.latent) as Required<LatentSearchOptions>,
    count: o.count!,
    perturbation: o.perturbation!,
    seed: o.seed!,
    threads: o.threads!,
    tolerance: group('tolerance', TOLERANCE_RULES, FIXED_POINT_DEFAULTS.tolerance) as ResolvedFixedPointOptions['tolerance'],
    adam: (search === 'newton' && options.adam === undefined
      ? { ...FIXED_POINT_DEFAULTS.adam, maxIterations: prefix }
      : group('adam', ADAM_RULES, FIXED_POINT_DEFAULTS.adam)) as ResolvedFixedPointOptions['adam'],
    polish: o.polish === false ? { maxIterations: 0, tolQ: 0 } : (group('polish', POLISH_RULES, FIXED_POINT_DEFAULTS.polish) as Required<PolishOptions>),
    eigen: { method: eigen.method!, vectors: eigen.vectors ?? reduced, reduced },
    device: analysisDevice(o.device, model),
    convention: resolveConvention(
      { ...checkOptionGroup<Omit<ClassifyOptions, 'alpha'>>(where, 'stability', STABILITY_RULES, o.stability, FIXED_POINT_DEFAULTS.stability), alpha: model.config.alpha },
      where,
    ),
  };
}

/** The stability of every point of a {@link FixedPoints} result, read in one convention (see {@link classify}). */
export interface PointStability {
  /** How the eigenvalues were read. */
  convention: Convention;
  /** The model's dt / tau. */
  alpha: number;
  /** The time unit. */
  tau: number;
  /** Growth rates with |rate| * tau <= this counted as marginal. */
  marginalTolerance: number;
  /** The stability label of each point (STABILITY_LABELS, the same as latentFixedPoints'). */
  type: PointType[];
  /** Saddle index: unstable modes per point. */
  unstable: Int32Array;
  /** Marginal modes per point. */
  marginal: Int32Array;
  /** [P, E] per listed eigenvalue: 1 / |growth rate| in units of tau. */
  timeConstants: Tensor<Float64Array>;
  /** [P, E] angular frequency in rad per unit of tau. */
  rotation: Tensor<Float64Array>;
}

/** What {@link fixedPoints} returns: the points, their eigenvalues and stability, and every candidate's fate. */
export interface FixedPoints {
  /** [P, N] */
  points: Tensor<Float64Array>;
  /** q = |F|^2 / 2 at each point. */
  q: Float64Array;
  /** Input condition of each point (row of `inputs`). */
  condition: Int32Array;
  /** [C, K] */
  inputs: Tensor<Float64Array>;
  /** [P, E] eigenvalues of dF/dx at each point, real part descending; E = R (reduced) or N (dense). */
  eigenvalues: ComplexTensor;
  /** Reduced problems: the eigenvalue not listed (-1) and its multiplicity N - R. */
  trivialEigenvalue?: { value: number; multiplicity: number };
  /** [P, E, N] right and left eigenvectors (eigen.vectors; default on for reduced problems). */
  eigenvectors?: { right: ComplexTensor; left: ComplexTensor };
  /** The stability of each point. */
  stability: PointStability;
  /** Every initial state: where it started and ended, its q, and the point it led to (-1: q above the tolerance,
   * -2: distance outlier). */
  candidates: {
    initial: Tensor<Float64Array>;
    condition: Int32Array;
    final: Tensor<Float64Array>;
    q: Float64Array;
    assignment: Int32Array;
    adamIterations: Int32Array;
    polishIterations: Int32Array;
    /** Levenberg-Marquardt steps on the latent equations (the latent search; zeros for the full one). */
    latentIterations: Int32Array;
  };
  /** Scales of the reference states: median q, RMS radius about their centroid, and radius / sqrt(N). */
  scales: { q: number; radius: number; coordinate: number };
  /** The absolute tolerances used. */
  tolerances: { q: number; unique: number; outlier: number; adamQ: number; polishQ: number; lr: number };
  /** How the eigenproblems were solved. */
  method: 'reduced' | 'dense';
  /** The search that ran. */
  search: 'latent' | 'newton' | 'full';
  /** Wall-clock time of the search. */
  seconds: number;
}

/**
 * Fixed and slow points of `model` at constant inputs: minima of q(x) = |F(x)|^2 / 2 found from initial states on
 * the given trajectories (see docs/analysis.md for the conventions, the defaults (FIXED_POINT_DEFAULTS) and how to
 * convert q to and from FixedPointFinder's and pyrnn's). Runs on native threads in double precision (the first phase
 * in float32 by default, on the GPU with `device: 'cuda'`).
 */
export async function fixedPoints(model: AnyModel, options: FixedPointOptions = {}): Promise<FixedPoints> {
  const t0 = performance.now();
  const o = resolveFixedPointOptions(model, options);
  const m = modelArgs(model);
  const inputs = inputRows(o.inputs, m.inputs, 'inputs');
  const initial = initialStates(o, m.size);
  const scales = await referenceScales(m, o.from ? referenceRows(o.from, m.size, 'from') : initial, inputs);
  const tolerances = absoluteTolerances(o, scales);
  const candidates = tileInputs(initial, inputs, m.inputs);
  const search = await searchPoints(m, candidates, o, tolerances);
  const result = assemblePoints(m, o, { inputs, candidates, search, scales, tolerances });
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** The eigenvalues of point `index` of a result, for classify() and lineAttractorScore(). */
export function pointEigenvalues(result: FixedPoints, index: number): Eigenvalues {
  checkValue('pointEigenvalues', 'result', result, is.object(), 'argument');
  const U = result.points.shape[0];
  if (!Number.isInteger(index) || index < 0 || index >= U) throw new RangeError(`index must be an integer in [0, ${U}); got ${index}`);
  const E = result.eigenvalues.re.shape[1];
  const out: Eigenvalues = {
    re: result.eigenvalues.re.data.slice(index * E, (index + 1) * E),
    im: result.eigenvalues.im.data.slice(index * E, (index + 1) * E),
  };
  if (result.trivialEigenvalue) out.trivial = { ...result.trivialEigenvalue };
  return out;
}
