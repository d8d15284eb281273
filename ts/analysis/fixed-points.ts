// Fixed and slow points (Sussillo & Barak 2013) of a model at constant inputs: initial states sampled from
// trajectories, a first-order phase (Adam) and Levenberg-Marquardt polishing in double, outlier and duplicate
// removal, then the eigenvalues and stability of each point. Conventions and conversions: docs/analysis.md.
import { loadNpz, saveNpz, toFloatTensor, toStringScalar, type NpyArray, type NpyValue } from '../io/index.js';
import type { AnyModel } from '../model/models.js';
import { checkSeed, requireInt, requireNumber } from '../model/models.js';
import type { NativeFixedPointOptions, NativeSearchProgress } from '../native/binding.js';
import { Random } from '../core/random.js';
import { mergeOptions } from '../tasks/validate.js';
import { checkTensor, formatShape, type FloatArray, type Tensor } from '../core/tensor.js';
import { analysisDevice, checkThreads, dynamics, inputRows, modelArgs, runJob, type AnalysisDevice, type ModelArgs } from './common.js';
import {
  checkMethod,
  classify,
  resolveConvention,
  splitEigenpairs,
  type ClassifyOptions,
  type ComplexTensor,
  type Convention,
  type EigenMethod,
  type Eigenvalues,
  type PointType,
} from './linear.js';

export const FIXED_POINTS_FORMAT_VERSION = 1;

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

export interface AdamOptions {
  maxIterations?: number;
  /** Learning rate in units of the per-coordinate scale of the reference states (default 0.1). */
  lr?: number;
  /** Learning rate in state units (overrides `lr`). */
  lrAbsolute?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Per candidate: lr times plateauFactor after more than plateauPatience steps without improvement. */
  plateauFactor?: number;
  plateauPatience?: number;
  /** A candidate leaves the phase when its lr falls below minLr times the initial lr (default 1e-3). */
  minLr?: number;
  /** ... or when q falls below this times the median reference q (default 1e-8; polishing takes it from there). */
  tolQ?: number;
  /** 'float32' (default, as FixedPointFinder) or 'float64'. */
  precision?: 'float32' | 'float64';
}

export interface PolishOptions {
  /** Accepted Levenberg-Marquardt steps per candidate (default 100; 0 = no polishing). */
  maxIterations?: number;
  /** Stop when q falls below this times the median reference q (default 1e-24). */
  tolQ?: number;
}

export interface FixedPointOptions {
  /** Constant input(s): [K] or [C, K] (C conditions, each searched from the same initial states); default zeros. */
  inputs?: Tensor | FloatArray | readonly number[];
  /** Reference states: trajectories [B, T, N] (e.g. simulate().states) or states [S, N]. */
  from?: Tensor;
  /** Initial states [P, N] to start from instead of sampling `count` states from `from`. */
  initialStates?: Tensor;
  /** Initial states sampled from `from` (default 256), without replacement when there are enough. */
  count?: number;
  /** Std of the Gaussian noise added to each sampled state (absolute, per coordinate; default 0). */
  noise?: number;
  seed?: number;
  tolerance?: FixedPointTolerances;
  adam?: AdamOptions;
  polish?: PolishOptions | false;
  eigen?: { method?: EigenMethod; vectors?: boolean };
  /** How stability is read (default continuous time; alpha is the model's). */
  stability?: Omit<ClassifyOptions, 'alpha'>;
  threads?: number;
  /**
   * Where the first phase (Adam) and the reduced R x R eigenproblems of low-rank nets run (AnalysisDevice); default:
   * the model's device. Polishing and dense eigensolves run on the CPU in double precision either way.
   */
  device?: AnalysisDevice;
  signal?: AbortSignal;
  onProgress?: (p: NativeSearchProgress) => void;
}

export interface PointStability {
  convention: Convention;
  alpha: number;
  tau: number;
  marginalTolerance: number;
  type: PointType[];
  /** Saddle index: unstable modes per point. */
  unstable: Int32Array;
  marginal: Int32Array;
  /** [P, E] per listed eigenvalue: 1 / |growth rate| in units of tau. */
  timeConstants: Tensor<Float64Array>;
  /** [P, E] angular frequency in rad per unit of tau. */
  rotation: Tensor<Float64Array>;
}

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
  };
  /** Scales of the reference states: median q, RMS radius about their centroid, and radius / sqrt(N). */
  scales: { q: number; radius: number; coordinate: number };
  /** The absolute tolerances used. */
  tolerances: { q: number; unique: number; outlier: number; adamQ: number; polishQ: number; lr: number };
  method: 'reduced' | 'dense';
  seconds: number;
}

const DEFAULTS: Required<Omit<FixedPointOptions, 'inputs' | 'from' | 'initialStates' | 'signal' | 'onProgress' | 'seed' | 'device'>> &
  Pick<FixedPointOptions, 'inputs' | 'from' | 'initialStates' | 'signal' | 'onProgress' | 'seed' | 'device'> = {
  inputs: undefined,
  from: undefined,
  initialStates: undefined,
  count: 256,
  noise: 0,
  seed: undefined,
  tolerance: {},
  adam: {},
  polish: {},
  eigen: {},
  stability: {},
  threads: 0,
  device: undefined,
  signal: undefined,
  onProgress: undefined,
};

const TOLERANCE_DEFAULTS = { q: 1e-4, qAbsolute: undefined, unique: 1e-3, uniqueAbsolute: undefined, outlier: 10 };
const ADAM_DEFAULTS = {
  maxIterations: 5000,
  lr: 0.1,
  lrAbsolute: undefined,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  plateauFactor: 0.95,
  plateauPatience: 2,
  minLr: 1e-3,
  tolQ: 1e-8,
  precision: 'float32',
};
const POLISH_DEFAULTS = { maxIterations: 100, tolQ: 1e-24 };

/** States as rows [S, N], from [S, N] or trajectories [B, T, N]. */
function referenceRows(t: Tensor, N: number, name: string): { data: Float64Array; rows: number } {
  checkTensor(t, name);
  const last = t.shape[t.shape.length - 1];
  if ((t.shape.length !== 2 && t.shape.length !== 3) || last !== N || t.data.length === 0) {
    throw new RangeError(`${name} must have shape [B, T, ${N}] (trajectories) or [S, ${N}] (states); got ${formatShape(t.shape)}`);
  }
  return { data: Float64Array.from(t.data), rows: t.data.length / N };
}

/** Median q over the reference states at every condition's input, and their RMS radius about the centroid. */
async function referenceScales(m: ModelArgs, ref: { data: Float64Array; rows: number }, inputs: { data: Float64Array; rows: number }) {
  const N = m.size;
  const K = m.inputs;
  const centroid = new Float64Array(N);
  for (let s = 0; s < ref.rows; s++) for (let i = 0; i < N; i++) centroid[i] += ref.data[s * N + i] / ref.rows;
  let sq = 0;
  for (let s = 0; s < ref.rows; s++) for (let i = 0; i < N; i++) sq += (ref.data[s * N + i] - centroid[i]) ** 2;
  const radius = Math.sqrt(sq / ref.rows);
  const qs: number[] = [];
  for (let c = 0; c < inputs.rows; c++) {
    const u = new Float64Array(ref.rows * K);
    for (let s = 0; s < ref.rows; s++) u.set(inputs.data.subarray(c * K, (c + 1) * K), s * K);
    const r = await dynamics().velocity(m.spec, m.params, ref.data, u, { rows: ref.rows });
    qs.push(...r.q);
  }
  qs.sort((a, b) => a - b);
  const mid = qs.length >> 1;
  const q = qs.length % 2 ? qs[mid] : (qs[mid - 1] + qs[mid]) / 2;
  return { q, radius, coordinate: radius / Math.sqrt(N) };
}

function positive(value: number, name: string): number {
  return requireNumber(value, name, (v) => v > 0, 'a number > 0');
}
function nonNegative(value: number, name: string): number {
  return requireNumber(value, name, (v) => v >= 0, 'a number >= 0');
}
function inUnit(value: number, name: string): number {
  return requireNumber(value, name, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
}

/**
 * Fixed and slow points of `model` at constant inputs: minima of q(x) = |F(x)|^2 / 2 found from initial states on
 * the given trajectories (see docs/analysis.md for the conventions, the defaults and how to convert q to and from
 * FixedPointFinder's and pyrnn's). Runs on native threads in double precision (the first phase in float32 by default,
 * on the GPU with `device: 'cuda'`).
 */
export async function fixedPoints(model: AnyModel, options: FixedPointOptions = {}): Promise<FixedPoints> {
  const t0 = performance.now();
  const o = mergeOptions('fixedPoints', DEFAULTS, options);
  const tol = mergeOptions('fixedPoints.tolerance', TOLERANCE_DEFAULTS, o.tolerance);
  const adam = mergeOptions('fixedPoints.adam', ADAM_DEFAULTS, o.adam);
  const polish = o.polish === false ? { maxIterations: 0, tolQ: 0 } : mergeOptions('fixedPoints.polish', POLISH_DEFAULTS, o.polish);
  const eig = mergeOptions('fixedPoints.eigen', { method: undefined, vectors: undefined }, o.eigen);
  const m = modelArgs(model);
  const N = m.size;
  const K = m.inputs;
  const conv = resolveConvention({ ...mergeOptions('fixedPoints.stability', { convention: undefined, tau: undefined, marginalTolerance: undefined }, o.stability), alpha: model.config.alpha });
  const inputs = inputRows(o.inputs, K, 'inputs');
  const seed = checkSeed(o.seed);
  const threads = checkThreads(o.threads);
  const device = analysisDevice(o.device, model);
  const noise = nonNegative(o.noise, 'noise');
  if (adam.precision !== 'float32' && adam.precision !== 'float64') {
    throw new TypeError(`adam.precision must be 'float32' or 'float64'; got ${JSON.stringify(adam.precision)}`);
  }
  const method = checkMethod(eig.method, 'eigen.method');
  if (method === 'reduced' && (m.rank === 0 || m.spec.noAutapse)) {
    throw new RangeError("eigen.method 'reduced' needs a low-rank net without noAutapse; use 'dense' or 'auto'");
  }
  const reduced = method === 'reduced' || (method === 'auto' && m.rank > 0 && !m.spec.noAutapse);
  const vectors = eig.vectors ?? reduced;
  if (typeof vectors !== 'boolean') throw new TypeError(`eigen.vectors must be a boolean; got ${JSON.stringify(eig.vectors)}`);

  // initial states
  if (!o.from && !o.initialStates) throw new TypeError('fixedPoints needs `from` (trajectories or states to sample from) or `initialStates`');
  let initial: { data: Float64Array; rows: number };
  if (o.initialStates) {
    checkTensor(o.initialStates, 'initialStates', [null, N]);
    if (o.initialStates.shape[0] < 1) throw new RangeError('initialStates must hold at least one state');
    initial = { data: Float64Array.from(o.initialStates.data), rows: o.initialStates.shape[0] };
  } else {
    const ref = referenceRows(o.from!, N, 'from');
    const count = requireInt(o.count, 'count', 1);
    const rng = new Random(seed);
    const picks = count <= ref.rows ? rng.sampleIndices(ref.rows, count) : Array.from({ length: count }, () => rng.int(ref.rows));
    const data = new Float64Array(count * N);
    picks.forEach((s, p) => {
      for (let i = 0; i < N; i++) data[p * N + i] = ref.data[s * N + i] + (noise > 0 ? noise * rng.normal() : 0);
    });
    initial = { data, rows: count };
  }
  const scales = await referenceScales(m, o.from ? referenceRows(o.from, N, 'from') : initial, inputs);
  const qUnit = scales.q > 0 && Number.isFinite(scales.q) ? scales.q : 1;
  const coordinate = scales.coordinate > 0 ? scales.coordinate : 1;
  const radius = scales.radius > 0 ? scales.radius : 1;
  const acceptQ = tol.qAbsolute !== undefined ? nonNegative(tol.qAbsolute, 'tolerance.qAbsolute') : nonNegative(tol.q, 'tolerance.q') * qUnit;
  const unique =
    tol.uniqueAbsolute !== undefined ? nonNegative(tol.uniqueAbsolute, 'tolerance.uniqueAbsolute') : nonNegative(tol.unique, 'tolerance.unique') * radius;
  const lr = adam.lrAbsolute !== undefined ? positive(adam.lrAbsolute, 'adam.lrAbsolute') : positive(adam.lr, 'adam.lr') * coordinate;

  // one block of candidates per condition, all from the same initial states
  const C = inputs.rows;
  const P = C * initial.rows;
  const candInitial = new Float64Array(P * N);
  const candInputs = new Float64Array(P * K);
  const candCondition = new Int32Array(P);
  for (let c = 0; c < C; c++) {
    candInitial.set(initial.data, c * initial.rows * N);
    for (let s = 0; s < initial.rows; s++) {
      candInputs.set(inputs.data.subarray(c * K, (c + 1) * K), (c * initial.rows + s) * K);
      candCondition[c * initial.rows + s] = c;
    }
  }
  const nativeOptions: NativeFixedPointOptions = {
    candidates: P,
    maxIterations: requireInt(adam.maxIterations, 'adam.maxIterations', 0),
    lr,
    beta1: inUnit(adam.beta1, 'adam.beta1'),
    beta2: inUnit(adam.beta2, 'adam.beta2'),
    eps: positive(adam.eps, 'adam.eps'),
    plateauFactor: requireNumber(adam.plateauFactor, 'adam.plateauFactor', (v) => v > 0 && v <= 1, 'in (0, 1]'),
    plateauPatience: requireInt(adam.plateauPatience, 'adam.plateauPatience', 0),
    minLr: nonNegative(adam.minLr, 'adam.minLr') * lr,
    adamTolQ: nonNegative(adam.tolQ, 'adam.tolQ') * qUnit,
    singlePrecision: adam.precision === 'float32',
    polishIterations: requireInt(polish.maxIterations, 'polish.maxIterations', 0),
    polishTolQ: nonNegative(polish.tolQ, 'polish.tolQ') * qUnit,
    acceptQ,
    uniqueTolerance: unique,
    outlierScale: nonNegative(tol.outlier, 'tolerance.outlier'),
    method,
    right: vectors,
    left: vectors,
    threads,
    device,
  };
  const r = await runJob(
    'the fixed-point search',
    (onProgress) => dynamics(device).findFixedPoints(m.spec, m.params, candInitial, candInputs, candCondition, nativeOptions, onProgress),
    o.signal,
    o.onProgress,
  );

  const U = r.representative.length;
  const pairs = splitEigenpairs(r.eigen, U);
  const E = U > 0 ? r.eigen.count : reduced ? m.rank : N;
  const trivialEigenvalue = reduced ? { value: -1, multiplicity: N - m.rank } : undefined;
  const points = new Float64Array(U * N);
  const q = new Float64Array(U);
  const condition = new Int32Array(U);
  r.representative.forEach((cand, p) => {
    points.set(r.finalStates.subarray(cand * N, (cand + 1) * N), p * N);
    q[p] = r.finalQ[cand];
    condition[p] = candCondition[cand];
  });
  const stability = pointStability(pairs, trivialEigenvalue, conv, E);
  const result: FixedPoints = {
    points: { data: points, shape: [U, N] },
    q,
    condition,
    inputs: { data: inputs.data, shape: [C, K] },
    eigenvalues: { re: { data: r.eigen.re, shape: [U, E] }, im: { data: r.eigen.im, shape: [U, E] } },
    stability,
    candidates: {
      initial: { data: candInitial, shape: [P, N] },
      condition: candCondition,
      final: { data: r.finalStates, shape: [P, N] },
      q: r.finalQ,
      assignment: r.assignment,
      adamIterations: r.adamIterations,
      polishIterations: r.polishIterations,
    },
    scales,
    tolerances: {
      q: acceptQ,
      unique,
      outlier: nativeOptions.outlierScale,
      adamQ: nativeOptions.adamTolQ,
      polishQ: nativeOptions.polishTolQ,
      lr,
    },
    method: reduced ? 'reduced' : 'dense',
    seconds: 0,
  };
  if (trivialEigenvalue) result.trivialEigenvalue = trivialEigenvalue;
  if (vectors && r.eigen.rightRe && r.eigen.leftRe) {
    const shape = [U, E, N];
    result.eigenvectors = {
      right: { re: { data: r.eigen.rightRe, shape }, im: { data: r.eigen.rightIm!, shape } },
      left: { re: { data: r.eigen.leftRe, shape }, im: { data: r.eigen.leftIm!, shape } },
    };
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

function pointStability(
  pairs: Eigenvalues[],
  trivial: Eigenvalues['trivial'],
  conv: ReturnType<typeof resolveConvention>,
  E: number,
): PointStability {
  const U = pairs.length;
  const out: PointStability = {
    ...conv,
    type: [],
    unstable: new Int32Array(U),
    marginal: new Int32Array(U),
    timeConstants: { data: new Float64Array(U * E), shape: [U, E] },
    rotation: { data: new Float64Array(U * E), shape: [U, E] },
  };
  pairs.forEach((e, p) => {
    const s = classify(trivial ? { ...e, trivial } : e, conv);
    out.type.push(s.type);
    out.unstable[p] = s.unstable;
    out.marginal[p] = s.marginal;
    out.timeConstants.data.set(s.timeConstants, p * E);
    out.rotation.data.set(s.rotation, p * E);
  });
  return out;
}

/** The eigenvalues of point `index` of a result, for classify() and lineAttractorScore(). */
export function pointEigenvalues(result: FixedPoints, index: number): Eigenvalues {
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

/** Writes a result as a .npz numpy reads (array names and the JSON `info` entry: docs/analysis.md). */
export async function saveFixedPoints(path: string, result: FixedPoints): Promise<void> {
  const c = result.candidates;
  const s = result.stability;
  const arrays: Record<string, NpyValue> = {
    points: result.points,
    q: { data: result.q, shape: [result.q.length] },
    condition: { data: result.condition, shape: [result.condition.length] },
    inputs: result.inputs,
    eigenvalues_re: result.eigenvalues.re,
    eigenvalues_im: result.eigenvalues.im,
    stability: { dtype: 'unicode', data: [...s.type], shape: [s.type.length] },
    unstable_modes: { data: s.unstable, shape: [s.unstable.length] },
    marginal_modes: { data: s.marginal, shape: [s.marginal.length] },
    time_constants: s.timeConstants,
    rotation: s.rotation,
    initial_states: c.initial,
    candidate_condition: { data: c.condition, shape: [c.condition.length] },
    final_states: c.final,
    final_q: { data: c.q, shape: [c.q.length] },
    assignment: { data: c.assignment, shape: [c.assignment.length] },
    adam_iterations: { data: c.adamIterations, shape: [c.adamIterations.length] },
    polish_iterations: { data: c.polishIterations, shape: [c.polishIterations.length] },
    info: JSON.stringify({
      formatVersion: FIXED_POINTS_FORMAT_VERSION,
      method: result.method,
      trivialEigenvalue: result.trivialEigenvalue ?? null,
      scales: result.scales,
      tolerances: result.tolerances,
      convention: s.convention,
      alpha: s.alpha,
      tau: s.tau,
      marginalTolerance: s.marginalTolerance,
      seconds: result.seconds,
    }),
  };
  if (result.eigenvectors) {
    arrays.right_re = result.eigenvectors.right.re;
    arrays.right_im = result.eigenvectors.right.im;
    arrays.left_re = result.eigenvectors.left.re;
    arrays.left_im = result.eigenvectors.left.im;
  }
  await saveNpz(path, arrays);
}

/** Reads a result written by saveFixedPoints. */
export async function loadFixedPoints(path: string): Promise<FixedPoints> {
  const f = await loadNpz(path);
  const need = (name: string): NpyArray => {
    const a = f[name];
    if (!a) throw new RangeError(`${path}: not a fixed-point file (no '${name}' array)`);
    return a;
  };
  const float = (name: string) => toFloatTensor(need(name), `${path}, array '${name}'`, 'float64') as Tensor<Float64Array>;
  const ints = (name: string) => Int32Array.from(float(name).data);
  const info = JSON.parse(toStringScalar(need('info'), `${path}, array 'info'`));
  if (info.formatVersion !== FIXED_POINTS_FORMAT_VERSION) {
    throw new RangeError(`${path}: fixed-point format version ${info.formatVersion}; this package reads version ${FIXED_POINTS_FORMAT_VERSION}`);
  }
  const stability = need('stability');
  if (stability.dtype !== 'unicode') throw new RangeError(`${path}: 'stability' must be a string array`);
  const result: FixedPoints = {
    points: float('points'),
    q: float('q').data,
    condition: ints('condition'),
    inputs: float('inputs'),
    eigenvalues: { re: float('eigenvalues_re'), im: float('eigenvalues_im') },
    stability: {
      convention: info.convention,
      alpha: info.alpha,
      tau: info.tau,
      marginalTolerance: info.marginalTolerance,
      type: stability.data as PointType[],
      unstable: ints('unstable_modes'),
      marginal: ints('marginal_modes'),
      timeConstants: float('time_constants'),
      rotation: float('rotation'),
    },
    candidates: {
      initial: float('initial_states'),
      condition: ints('candidate_condition'),
      final: float('final_states'),
      q: float('final_q').data,
      assignment: ints('assignment'),
      adamIterations: ints('adam_iterations'),
      polishIterations: ints('polish_iterations'),
    },
    scales: info.scales,
    tolerances: info.tolerances,
    method: info.method,
    seconds: info.seconds,
  };
  if (info.trivialEigenvalue) result.trivialEigenvalue = info.trivialEigenvalue;
  if (f.right_re) {
    result.eigenvectors = {
      right: { re: float('right_re'), im: float('right_im') },
      left: { re: float('left_re'), im: float('left_im') },
    };
  }
  return result;
}
