// The steps of the fixed-point recipe (fixed-points.ts), in the order it calls them: initial states, the scales of
// the reference states, absolute tolerances, candidates tiled over the input conditions, the native search
// (optimise -> polish -> outliers -> unique -> Jacobians -> eigendecomposition), and the result.
import { median } from '../core/linalg.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import type { NativeFixedPointOptions, NativeFixedPointSearch } from '../native/binding.js';
import { dynamics, runJob, type ModelArgs } from './common.js';
import type { FixedPoints, PointStability, ResolvedFixedPointOptions } from './fixed-points.js';
import { classifyResolved, splitEigenpairs, type Eigenvalues, type ResolvedConvention } from './linear.js';

/** States as rows: their values and how many. */
export interface Rows {
  data: Float64Array;
  rows: number;
}

/** States as rows [S, N], from [S, N] or trajectories [B, T, N]. */
export function referenceRows(t: Tensor, N: number, name: string): Rows {
  checkTensor(t, name);
  const last = t.shape[t.shape.length - 1];
  if ((t.shape.length !== 2 && t.shape.length !== 3) || last !== N || t.data.length === 0) {
    throw new RangeError(`${name} must have shape [B, T, ${N}] (trajectories) or [S, ${N}] (states); got ${formatShape(t.shape)}`);
  }
  return { data: Float64Array.from(t.data), rows: t.data.length / N };
}

/** The initial states: `initialStates` as given, or `count` states sampled from `from` (plus the perturbation). */
export function initialStates(o: ResolvedFixedPointOptions, N: number): Rows {
  if (o.initialStates) {
    checkTensor(o.initialStates, 'initialStates', [null, N]);
    if (o.initialStates.shape[0] < 1) throw new RangeError('initialStates must hold at least one state');
    return { data: Float64Array.from(o.initialStates.data), rows: o.initialStates.shape[0] };
  }
  const ref = referenceRows(o.from!, N, 'from');
  const rng = new Random(o.seed);
  const picks = o.count <= ref.rows ? rng.sampleIndices(ref.rows, o.count) : Array.from({ length: o.count }, () => rng.int(ref.rows));
  const data = new Float64Array(o.count * N);
  picks.forEach((s, p) => {
    for (let i = 0; i < N; i++) data[p * N + i] = ref.data[s * N + i] + (o.perturbation > 0 ? o.perturbation * rng.normal() : 0);
  });
  return { data, rows: o.count };
}

export type Scales = FixedPoints['scales'];

/** Median q over the reference states at every condition's input, and their RMS radius about the centroid. */
export async function referenceScales(m: ModelArgs, ref: Rows, inputs: Rows): Promise<Scales> {
  const N = m.size;
  const K = m.inputs;
  const centroid = new Float64Array(N);
  for (let s = 0; s < ref.rows; s++) for (let i = 0; i < N; i++) centroid[i] += ref.data[s * N + i] / ref.rows;
  let sq = 0;
  for (let s = 0; s < ref.rows; s++) for (let i = 0; i < N; i++) sq += (ref.data[s * N + i] - centroid[i]) ** 2;
  const radius = Math.sqrt(sq / ref.rows);
  // q in chunks of at most 1024 states, run side by side on the addon's worker threads
  const chunk = 1024;
  const jobs: Promise<{ q: Float64Array }>[] = [];
  for (let c = 0; c < inputs.rows; c++) {
    for (let first = 0; first < ref.rows; first += chunk) {
      const rows = Math.min(chunk, ref.rows - first);
      const u = new Float64Array(rows * K);
      for (let s = 0; s < rows; s++) u.set(inputs.data.subarray(c * K, (c + 1) * K), s * K);
      jobs.push(dynamics().velocity(m.spec, m.params, ref.data.subarray(first * N, (first + rows) * N), u, { rows }));
    }
  }
  const qs = (await Promise.all(jobs)).flatMap((r) => Array.from(r.q));
  return { q: median(qs), radius, coordinate: radius / Math.sqrt(N) };
}

export type Tolerances = FixedPoints['tolerances'];

/** The tolerances in absolute units: relative ones times the scales (absolute ones win). */
export function absoluteTolerances(o: ResolvedFixedPointOptions, scales: Scales): Tolerances {
  const qUnit = scales.q > 0 && Number.isFinite(scales.q) ? scales.q : 1;
  const coordinate = scales.coordinate > 0 ? scales.coordinate : 1;
  const radius = scales.radius > 0 ? scales.radius : 1;
  const { tolerance: tol, adam, polish } = o;
  return {
    q: tol.qAbsolute ?? tol.q * qUnit,
    unique: tol.uniqueAbsolute ?? tol.unique * radius,
    outlier: tol.outlier,
    adamQ: adam.tolQ * qUnit,
    polishQ: polish.tolQ * qUnit,
    lr: adam.lrAbsolute ?? adam.lr * coordinate,
  };
}

/** The candidates: one block of the initial states per input condition. */
export interface Candidates {
  count: number;
  initial: Float64Array;
  inputs: Float64Array;
  condition: Int32Array;
}

/** Tiles the initial states over the conditions: candidate c * S + s starts at state s with input row c. */
export function tileInputs(initial: Rows, inputs: Rows, K: number): Candidates {
  const N = initial.data.length / initial.rows;
  const S = initial.rows;
  const P = inputs.rows * S;
  const out: Candidates = { count: P, initial: new Float64Array(P * N), inputs: new Float64Array(P * K), condition: new Int32Array(P) };
  for (let c = 0; c < inputs.rows; c++) {
    out.initial.set(initial.data, c * S * N);
    for (let s = 0; s < S; s++) {
      out.inputs.set(inputs.data.subarray(c * K, (c + 1) * K), (c * S + s) * K);
      out.condition[c * S + s] = c;
    }
  }
  return out;
}

/** The native search's options: every field, from the resolved options and the absolute tolerances. */
function nativeOptions(o: ResolvedFixedPointOptions, t: Tolerances, candidates: number): NativeFixedPointOptions {
  const { adam, polish } = o;
  return {
    candidates,
    maxIterations: adam.maxIterations,
    lr: t.lr,
    beta1: adam.beta1,
    beta2: adam.beta2,
    eps: adam.eps,
    plateauFactor: adam.plateauFactor,
    plateauPatience: adam.plateauPatience,
    minLr: adam.minLr * t.lr,
    adamTolQ: t.adamQ,
    singlePrecision: adam.precision === 'float32',
    polishIterations: polish.maxIterations,
    polishTolQ: t.polishQ,
    acceptQ: t.q,
    uniqueTolerance: t.unique,
    outlierScale: t.outlier,
    method: o.eigen.method,
    right: o.eigen.vectors,
    left: o.eigen.vectors,
    threads: o.threads,
    device: o.device,
    latent: o.search === 'latent',
    newton: o.search === 'newton',
    latentStarts: o.latent.starts,
    latentIterations: o.latent.maxIterations,
    seed: o.seed,
  };
}

/**
 * The native search: optimise -> polish (or the latent search) -> outliers -> unique -> Jacobians ->
 * eigendecomposition (abortable).
 */
export function searchPoints(m: ModelArgs, c: Candidates, o: ResolvedFixedPointOptions, t: Tolerances): Promise<NativeFixedPointSearch> {
  const native = nativeOptions(o, t, c.count);
  return runJob(
    'the fixed-point search',
    (onProgress) => dynamics(o.device).findFixedPoints(m.spec, m.params, c.initial, c.inputs, c.condition, native, onProgress),
    o.signal,
    o.onProgress,
  );
}

/** The stability of each point from its eigenvalues (the trivial ones of reduced problems included). */
export function pointStability(pairs: Eigenvalues[], trivial: Eigenvalues['trivial'], conv: ResolvedConvention, E: number): PointStability {
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
    const s = classifyResolved(trivial ? { ...e, trivial } : e, conv);
    out.type.push(s.type);
    out.unstable[p] = s.unstable;
    out.marginal[p] = s.marginal;
    out.timeConstants.data.set(s.timeConstants, p * E);
    out.rotation.data.set(s.rotation, p * E);
  });
  return out;
}

/** The result: the distinct points (the representative candidate of each), their eigenpairs and stability. */
export function assemblePoints(
  m: ModelArgs,
  o: ResolvedFixedPointOptions,
  r: { inputs: Rows; candidates: Candidates; search: NativeFixedPointSearch; scales: Scales; tolerances: Tolerances },
): FixedPoints {
  const { size: N, inputs: K } = m;
  const { search, candidates: cand } = r;
  const U = search.pointQ.length;
  const reduced = o.eigen.reduced;
  const E = U > 0 ? search.eigen.count : reduced ? m.rank : N;
  const trivialEigenvalue = reduced ? { value: -1, multiplicity: N - m.rank } : undefined;
  const result: FixedPoints = {
    points: { data: search.points, shape: [U, N] },
    q: search.pointQ,
    condition: search.pointConditions,
    inputs: { data: r.inputs.data, shape: [r.inputs.rows, K] },
    eigenvalues: { re: { data: search.eigen.re, shape: [U, E] }, im: { data: search.eigen.im, shape: [U, E] } },
    stability: pointStability(splitEigenpairs(search.eigen, U), trivialEigenvalue, o.convention, E),
    candidates: {
      initial: { data: cand.initial, shape: [cand.count, N] },
      condition: cand.condition,
      final: { data: search.finalStates, shape: [cand.count, N] },
      q: search.finalQ,
      assignment: search.assignment,
      adamIterations: search.adamIterations,
      polishIterations: search.polishIterations,
      latentIterations: search.latentIterations,
    },
    scales: r.scales,
    tolerances: r.tolerances,
    method: reduced ? 'reduced' : 'dense',
    search: o.search,
    seconds: 0,
  };
  if (trivialEigenvalue) result.trivialEigenvalue = trivialEigenvalue;
  const e = search.eigen;
  if (o.eigen.vectors && e.rightRe && e.leftRe) {
    const shape = [U, E, N];
    result.eigenvectors = {
      right: { re: { data: e.rightRe, shape }, im: { data: e.rightIm!, shape } },
      left: { re: { data: e.leftRe, shape }, im: { data: e.leftIm!, shape } },
    };
  }
  return result;
}
