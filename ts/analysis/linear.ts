// The vector field of a model, its Jacobian, eigendecompositions, the stability of a linearisation and the
// line-attractor score. Conventions: docs/analysis.md.
import type { AnyModel } from '../model/index.js';
import type { NativeEigenMethod, NativeEigenpairs } from '../native/binding.js';
import { crossProduct } from '../core/linalg.js';
import { checkTensor, formatShape, type FloatArray, type Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, optionError, type Rules } from '../core/validate.js';
import { ANALYSIS_RULE, analysisDevice, dynamics, inputRows, inputsPerRow, modelArgs, stateRows, type AnalysisDevice } from './common.js';

/** A state or an input: a tensor, a flat float array or a plain array of numbers. */
type Vector = Tensor | FloatArray | readonly number[];

/** Complex values as real and imaginary parts. */
export interface ComplexTensor {
  re: Tensor<Float64Array>;
  im: Tensor<Float64Array>;
}

/**
 * Eigenvalues of the Jacobian dF/dx of the vector field F (continuous-time units of 1/tau), sorted by real part,
 * descending (real parts equal to rounding, within 1e-10 of the largest |lambda|, by imaginary part; docs/analysis.md).
 * A reduced (low-rank) problem lists only the R eigenvalues that differ from `trivial.value` (-1), which has the
 * remaining multiplicity.
 */
export interface Eigenvalues {
  re: Float64Array;
  im: Float64Array;
  trivial?: { value: number; multiplicity: number };
}

/** Eigenvalues with, on request, right and left eigenvectors. */
export interface Eigendecomposition extends Eigenvalues {
  /** Shape [count, dim]: row i is the right eigenvector v_i (A v_i = lambda_i v_i), unit 2-norm. */
  right?: ComplexTensor;
  /** Shape [count, dim]: row i is the left eigenvector w_i (w_i^T A = lambda_i w_i^T), scaled so that w_i^T v_i = 1. */
  left?: ComplexTensor;
  /** Reciprocal condition number of the eigenvector matrix (with left vectors): near 0, the matrix is defective. */
  rcond?: number;
}

/**
 * How eigenvalues of a Jacobian are computed: 'dense' (the N x N problem), 'reduced' (the R x R problem of a low-rank
 * net without no-autapse, O(N R^2)) or 'auto' (reduced where it applies, else dense).
 */
export type EigenMethod = NativeEigenMethod;

/** Which eigenvectors to compute. */
export type EigenVectors = 'none' | 'right' | 'both';

export const EIGEN_METHODS: readonly EigenMethod[] = ['auto', 'dense', 'reduced'];
const EIGEN_VECTORS: readonly EigenVectors[] = ['none', 'right', 'both'];

function vectorFlags(vectors: EigenVectors): { right: boolean; left: boolean } {
  return { right: vectors !== 'none', left: vectors === 'both' };
}

/** Splits native eigenpairs of `n` matrices into one decomposition each. */
export function splitEigenpairs(e: NativeEigenpairs, n: number, trivial?: Eigenvalues['trivial']): Eigendecomposition[] {
  const { count, dim } = e;
  // one matrix: the arrays as they came (no copy); several: a copy each, so that none keeps the others alive
  const part = (a: Float64Array, i: number, size: number) => (n === 1 ? a : a.slice(i * size, (i + 1) * size));
  const complex = (re: Float64Array, im: Float64Array, i: number): ComplexTensor => ({
    re: { data: part(re, i, count * dim), shape: [count, dim] },
    im: { data: part(im, i, count * dim), shape: [count, dim] },
  });
  return Array.from({ length: n }, (_, i) => {
    const out: Eigendecomposition = { re: part(e.re, i, count), im: part(e.im, i, count) };
    if (trivial) out.trivial = { ...trivial };
    if (e.rightRe && e.rightIm) out.right = complex(e.rightRe, e.rightIm, i);
    if (e.leftRe && e.leftIm) out.left = complex(e.leftRe, e.leftIm, i);
    if (e.rcond) out.rcond = e.rcond[i];
    return out;
  });
}

/** Options of the vector field and its Jacobians (velocity, jacobian, structuredJacobian). */
export interface FieldOptions {
  /** The constant input u: [K] for every state, or [rows, K] one per state; default zeros. */
  inputs?: Vector;
}

const FIELD_RULES: Rules<FieldOptions> = { inputs: ANALYSIS_RULE.values };

/**
 * The vector field F at states [N] or [rows, N] (DESIGN.md §2 with the noise off): one noise-free step of the model
 * is x -> x + alpha F(x). Also q = |F|^2 / 2 per state. Double precision.
 */
export async function velocity(
  model: AnyModel,
  states: Vector,
  opts: FieldOptions = {},
): Promise<{ velocity: Tensor<Float64Array>; q: Float64Array }> {
  const o = checkOptions<FieldOptions>('velocity', FIELD_RULES, opts);
  const m = modelArgs(model);
  const x = stateRows(states, m.size, 'states');
  const u = inputsPerRow(inputRows(o.inputs, m.inputs, 'inputs', x.rows), m.inputs, x.rows);
  const r = await dynamics().velocity(m.spec, m.params, x.data, u, { rows: x.rows });
  return { velocity: { data: r.velocity, shape: x.single ? [m.size] : [x.rows, m.size] }, q: r.q };
}

/** The input as one row [K] (a single constant input). */
function singleInput(model: AnyModel, inputs: Vector | undefined): Float64Array {
  return inputRows(inputs, model.inputSize, 'inputs', 1).data;
}

function singleState(model: AnyModel, state: Vector): Float64Array {
  const x = stateRows(state, model.size, 'state');
  if (!x.single) throw new RangeError(`state must be one state of shape [${model.size}]`);
  return x.data;
}

/** The dense N x N Jacobian dF/dx at one state (row i = dF_i/dx), in double precision. */
export async function jacobian(model: AnyModel, state: Vector, opts: FieldOptions = {}): Promise<Tensor<Float64Array>> {
  const o = checkOptions<FieldOptions>('jacobian', FIELD_RULES, opts);
  const m = modelArgs(model);
  const r = await dynamics().jacobian(m.spec, m.params, singleState(model, state), singleInput(model, o.inputs), { structured: false });
  return { data: r.jacobian!, shape: [m.size, m.size] };
}

/**
 * The Jacobian dF/dx of a low-rank net as diag(diagonal) + u v^T: u = m, v = diag(phi') n / N (current formulation) or
 * u = diag(f') m, v = n / N (rate formulation).
 */
export interface StructuredJacobian {
  /** Shape [N]: J = diag(diagonal) + u v^T; -1, or -1 - phi'_i m_i·n_i / N under no-autapse. */
  diagonal: Float64Array;
  /** Shape [N, R]. */
  u: Tensor<Float64Array>;
  /** Shape [N, R]. */
  v: Tensor<Float64Array>;
  /** v^T u = (1/N) n^T diag(phi') m: with diagonal -1, the nontrivial eigenvalues of J are -1 + eig(reduced). */
  reduced: Tensor<Float64Array>;
}

/** The Jacobian of a low-rank net as diag(diagonal) + u v^T, in O(N R) (the N x N matrix is not formed). */
export async function structuredJacobian(model: AnyModel, state: Vector, opts: FieldOptions = {}): Promise<StructuredJacobian> {
  const o = checkOptions<FieldOptions>('structuredJacobian', FIELD_RULES, opts);
  const m = modelArgs(model);
  if (m.rank === 0) throw new TypeError('structuredJacobian needs a low-rank net; use jacobian for a full-rank net');
  const r = await dynamics().jacobian(m.spec, m.params, singleState(model, state), singleInput(model, o.inputs), { structured: true });
  const N = m.size;
  const R = m.rank;
  const u = r.u!;
  const v = r.v!;
  const reduced = crossProduct(v, u, N, R, R);
  return { diagonal: r.diagonal!, u: { data: u, shape: [N, R] }, v: { data: v, shape: [N, R] }, reduced: { data: reduced, shape: [R, R] } };
}

/** Options of {@link linearize}; defaults in {@link LINEARIZE_DEFAULTS}. */
export interface LinearizeOptions extends FieldOptions {
  /** 'auto' (default): the reduced R x R problem for low-rank nets without no-autapse, else dense. */
  method?: EigenMethod;
  /** 'none' (default), 'right' or 'both'. */
  vectors?: EigenVectors;
  /** CPU threads (0 = all cores). */
  threads?: number;
  /**
   * Where the reduced problems run (AnalysisDevice; default: the model's device): on the GPU, a block per state forms
   * the R x R problem and its vectors and one thread solves it. Dense problems always run on the CPU.
   */
  device?: AnalysisDevice;
}

/** The defaults of linearize (device: the model's). */
export const LINEARIZE_DEFAULTS = { method: 'auto', vectors: 'none', threads: 0 } as const satisfies LinearizeOptions;

const LINEARIZE_RULES: Rules<LinearizeOptions> = {
  ...FIELD_RULES,
  method: is.oneOf(EIGEN_METHODS),
  vectors: is.oneOf(EIGEN_VECTORS),
  threads: ANALYSIS_RULE.threads,
  device: ANALYSIS_RULE.device,
};

/**
 * Eigenvalues (and eigenvectors) of the Jacobian at each state: one decomposition per state, always an array (of
 * length 1 for a single state [N]; of length rows for states [rows, N]).
 */
export async function linearize(model: AnyModel, states: Vector, opts: LinearizeOptions = {}): Promise<Eigendecomposition[]> {
  const o = checkOptions<LinearizeOptions>('linearize', LINEARIZE_RULES, opts, LINEARIZE_DEFAULTS);
  const m = modelArgs(model);
  const x = stateRows(states, m.size, 'states');
  const u = inputsPerRow(inputRows(o.inputs, m.inputs, 'inputs', x.rows), m.inputs, x.rows);
  const device = analysisDevice(o.device, model);
  const e = await dynamics(device).linearize(m.spec, m.params, x.data, u, {
    rows: x.rows,
    method: o.method!,
    ...vectorFlags(o.vectors!),
    threads: o.threads!,
    device,
  });
  const trivial = e.reduced ? { value: -1, multiplicity: m.size - m.rank } : undefined;
  return splitEigenpairs(e, x.rows, trivial);
}

/** Options of {@link eigen}. */
export interface EigenSolveOptions {
  /** 'none' (default), 'right' or 'both'. */
  vectors?: EigenVectors;
  /** LAPACK's threads for this call (OpenBLAS); 0 (default): the library's default (LOWRANK_LAPACK_THREADS, else every core). */
  threads?: number;
}

const EIGEN_RULES: Rules<EigenSolveOptions> = { vectors: is.oneOf(EIGEN_VECTORS), threads: ANALYSIS_RULE.threads };

/**
 * Eigendecomposition of a real square matrix [n, n] in double precision: LAPACK's dgeev where a LAPACK library is
 * found at run time (backendInfo().lapack), else Eigen's solver.
 */
export async function eigen(matrix: Tensor, opts: EigenSolveOptions = {}): Promise<Eigendecomposition> {
  const o = checkOptions<EigenSolveOptions>('eigen', EIGEN_RULES, opts, { vectors: 'none', threads: 0 });
  checkTensor(matrix, 'matrix');
  const [n, cols] = matrix.shape;
  if (matrix.shape.length !== 2 || n !== cols || n < 1) {
    throw new RangeError(`matrix must be square [n, n] with n >= 1; got ${formatShape(matrix.shape)}`);
  }
  // a Float64Array goes to the addon as it is (the addon copies it once, into LAPACK's work array)
  const data = matrix.data instanceof Float64Array ? matrix.data : Float64Array.from(matrix.data);
  const e = await dynamics().eigen(data, { n, ...vectorFlags(o.vectors!), threads: o.threads! });
  return splitEigenpairs(e, 1)[0];
}

/**
 * How eigenvalues are read: 'continuous' (dx/dt = F(x) / tau) or 'discrete' (the model's map x -> x + alpha F(x)).
 */
export type Convention = 'continuous' | 'discrete';

/**
 * The stability labels of a fixed point, the same for every search (fixedPoints, latentFixedPoints) and read in the
 * full state space (the trivial eigenvalues of a reduced problem count): 'stable' (every direction decays), 'saddle'
 * (some but not all directions grow), 'unstable' (every direction grows), and 'marginal' (none grows, some have a
 * growth rate within the marginal tolerance: line and ring attractors).
 */
export const STABILITY_LABELS = ['stable', 'saddle', 'unstable', 'marginal'] as const;
/** The stability label of a fixed point, one of {@link STABILITY_LABELS}. */
export type PointType = (typeof STABILITY_LABELS)[number];

/** The one classifier of a point from its counts of unstable, marginal and stable modes. */
export function stabilityLabel(modes: { unstable: number; marginal: number; stable: number }): PointType {
  checkValue('stabilityLabel', 'modes', modes, is.custom('counts { unstable, marginal, stable }', (v) => v !== null && typeof v === 'object' && ['unstable', 'marginal', 'stable'].every((k) => Number.isInteger((v as Record<string, unknown>)[k]))), 'argument');
  if (modes.unstable === 0) return modes.marginal === 0 ? 'stable' : 'marginal';
  return modes.stable === 0 && modes.marginal === 0 ? 'unstable' : 'saddle';
}

/** Options of {@link classify}: the convention and units of the eigenvalues; defaults in {@link CLASSIFY_DEFAULTS}. */
export interface ClassifyOptions {
  /**
   * 'continuous' (default): dx/dt = F(x) / tau, eigenvalues lambda / tau, unstable when Re lambda > 0.
   * 'discrete': the model's map x -> x + alpha F(x), eigenvalues mu = 1 + alpha lambda, unstable when |mu| > 1.
   */
  convention?: Convention;
  /** dt / tau of the discrete map (needed for 'discrete'). */
  alpha?: number;
  /** The time unit tau (default 1: time constants in units of tau). */
  tau?: number;
  /** Growth rates with |rate| * tau <= this count as marginal (default 1e-6). */
  marginalTolerance?: number;
}

/** The defaults of classify (and of fixedPoints' `stability` group); alpha has none ('discrete' needs it). */
export const CLASSIFY_DEFAULTS = { convention: 'continuous', tau: 1, marginalTolerance: 1e-6 } as const satisfies ClassifyOptions;

export const CLASSIFY_RULES: Rules<ClassifyOptions> = {
  convention: is.oneOf<Convention>(['continuous', 'discrete']),
  alpha: is.positive(),
  tau: is.positive(),
  marginalTolerance: is.nonNegative(),
};

/** The stability of a linearisation, as {@link classify} reads it in the chosen convention. */
export interface Stability {
  /** The label that the mode counts give (see {@link STABILITY_LABELS}). */
  type: PointType;
  /** Unstable modes (the saddle index), counting the multiplicity of the trivial eigenvalue. */
  unstable: number;
  /** Marginal modes (growth rate within the marginal tolerance), with the trivial multiplicity. */
  marginal: number;
  /** Stable modes, with the trivial multiplicity. */
  stable: number;
  /** Per listed eigenvalue: growth rate g (1 / time), continuous Re lambda / tau, discrete ln|mu| / (alpha tau). */
  growthRates: Float64Array;
  /** 1 / |g| (Infinity for g = 0). */
  timeConstants: Float64Array;
  /** Angular frequency (rad / time): Im lambda / tau, or arg(mu) / (alpha tau). */
  rotation: Float64Array;
  /** The eigenvalues in this convention: lambda / tau or mu = 1 + alpha lambda. */
  values: { re: Float64Array; im: Float64Array };
  /** The trivial eigenvalue's growth rate and time constant (reduced problems). */
  trivial?: { growthRate: number; timeConstant: number; multiplicity: number };
}

export interface ResolvedConvention {
  convention: Convention;
  alpha: number;
  tau: number;
  marginalTolerance: number;
}

/** Checks classify options (`where` names the caller in messages) and fills in the defaults. */
export function resolveConvention(opts: ClassifyOptions = {}, where = 'classify'): ResolvedConvention {
  const o = checkOptions<ClassifyOptions>(where, CLASSIFY_RULES, opts, CLASSIFY_DEFAULTS);
  if (o.convention === 'discrete' && o.alpha === undefined) {
    throw optionError(where, 'alpha', "a finite number > 0 with convention 'discrete' (dt / tau of the model's map; it needs alpha)", undefined);
  }
  return { convention: o.convention!, alpha: o.alpha ?? 1, tau: o.tau!, marginalTolerance: o.marginalTolerance! };
}

/** Growth rate, angular frequency and the eigenvalue in the chosen convention, for one eigenvalue of dF/dx. */
function readEigenvalue(re: number, im: number, c: ResolvedConvention) {
  if (c.convention === 'continuous') return { rate: re / c.tau, omega: im / c.tau, vre: re / c.tau, vim: im / c.tau };
  const mre = 1 + c.alpha * re;
  const mim = c.alpha * im;
  const dt = c.alpha * c.tau;
  return { rate: Math.log(Math.hypot(mre, mim)) / dt, omega: Math.atan2(mim, mre) / dt, vre: mre, vim: mim };
}

/** Stability of a linearisation: type, saddle index, time constants and rotation in the chosen convention. */
export function classify(eigenvalues: Eigenvalues, opts: ClassifyOptions = {}): Stability {
  return classifyResolved(eigenvalues, resolveConvention(opts));
}

/** classify() with options already resolved. */
export function classifyResolved(eigenvalues: Eigenvalues, c: ResolvedConvention): Stability {
  if (!(eigenvalues?.re instanceof Float64Array) || !(eigenvalues.im instanceof Float64Array) || eigenvalues.re.length !== eigenvalues.im.length) {
    throw new TypeError('eigenvalues must be { re: Float64Array, im: Float64Array } of equal length');
  }
  const n = eigenvalues.re.length;
  const out: Stability = {
    type: 'stable',
    unstable: 0,
    marginal: 0,
    stable: 0,
    growthRates: new Float64Array(n),
    timeConstants: new Float64Array(n),
    rotation: new Float64Array(n),
    values: { re: new Float64Array(n), im: new Float64Array(n) },
  };
  const tol = c.marginalTolerance / c.tau;
  const count = (rate: number, times: number) => {
    if (rate > tol) out.unstable += times;
    else if (rate < -tol) out.stable += times;
    else out.marginal += times;
  };
  for (let i = 0; i < n; i++) {
    const e = readEigenvalue(eigenvalues.re[i], eigenvalues.im[i], c);
    out.growthRates[i] = e.rate;
    out.timeConstants[i] = 1 / Math.abs(e.rate);
    out.rotation[i] = e.omega;
    out.values.re[i] = e.vre;
    out.values.im[i] = e.vim;
    count(e.rate, 1);
  }
  const t = eigenvalues.trivial;
  if (t && t.multiplicity > 0) {
    const e = readEigenvalue(t.value, 0, c);
    out.trivial = { growthRate: e.rate, timeConstant: 1 / Math.abs(e.rate), multiplicity: t.multiplicity };
    count(e.rate, t.multiplicity);
  }
  out.type = stabilityLabel(out);
  return out;
}

/** Options of {@link lineAttractorScore}: how a matrix's eigenvalues or a Jacobian's are read as time constants. */
export interface LineAttractorOptions extends ClassifyOptions {
  /** For a matrix A: 'discrete' (default; x_{t+1} = A x_t, tau_i = dt / |ln|lambda_i||) or 'continuous' (dx/dt = A x, tau_i = 1 / |Re lambda_i|). */
  time?: Convention;
  /** Bin width of a discrete matrix (default 1). */
  dt?: number;
}

const LINE_ATTRACTOR_RULES: Rules<LineAttractorOptions> = {
  ...CLASSIFY_RULES,
  time: is.oneOf<Convention>(['discrete', 'continuous']),
  dt: is.positive(),
};

/**
 * Line-attractor score (Nair et al. 2023) log2(tau_1 / tau_2) of the two longest time constants: of a dynamics
 * matrix [D, D] (an LDS A matrix by default), or of a Jacobian's eigenvalues (from linearize or a fixed-point result,
 * read in the convention of `opts`; the trivial eigenvalues of a reduced problem count with their multiplicity).
 */
export async function lineAttractorScore(
  source: Tensor | Eigenvalues,
  opts: LineAttractorOptions = {},
): Promise<{ score: number; timeConstants: Float64Array }> {
  const { time, dt, ...classifyOptions } = checkOptions<LineAttractorOptions>('lineAttractorScore', LINE_ATTRACTOR_RULES, opts, { time: 'discrete', dt: 1 });
  let taus: number[];
  if (source !== null && typeof source === 'object' && 'shape' in source) {
    const e = await eigen(source as Tensor);
    taus = Array.from(e.re, (re, i) =>
      time === 'discrete' ? dt! / Math.abs(Math.log(Math.hypot(re, e.im[i]))) : 1 / Math.abs(re),
    );
  } else {
    const s = classifyResolved(source as Eigenvalues, resolveConvention(classifyOptions, 'lineAttractorScore'));
    taus = Array.from(s.timeConstants);
    if (s.trivial) taus.push(...Array(Math.min(s.trivial.multiplicity, 2)).fill(s.trivial.timeConstant));
  }
  if (taus.length < 2) throw new RangeError('the line-attractor score needs at least two eigenvalues');
  taus.sort((a, b) => b - a);
  return { score: Math.log2(taus[0] / taus[1]), timeConstants: Float64Array.from(taus) };
}
