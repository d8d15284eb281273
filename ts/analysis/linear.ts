// The vector field of a model, its Jacobian, eigendecompositions, the stability of a linearisation and the
// line-attractor score. Conventions: docs/analysis.md.
import type { AnyModel } from '../model/models.js';
import { requireNumber } from '../model/models.js';
import type { NativeEigenMethod, NativeEigenpairs } from '../native/binding.js';
import { checkTensor, formatShape, type FloatArray, type Tensor } from '../core/tensor.js';
import { analysisDevice, checkThreads, dynamics, inputRows, inputsPerRow, modelArgs, stateRows, type AnalysisDevice } from './common.js';

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

export interface Eigendecomposition extends Eigenvalues {
  /** [count, dim]: row i is the right eigenvector v_i (A v_i = lambda_i v_i), unit 2-norm. */
  right?: ComplexTensor;
  /** [count, dim]: row i is the left eigenvector w_i (w_i^T A = lambda_i w_i^T), scaled so that w_i^T v_i = 1. */
  left?: ComplexTensor;
  /** Reciprocal condition number of the eigenvector matrix (with left vectors): near 0, the matrix is defective. */
  rcond?: number;
}

export type EigenMethod = NativeEigenMethod;

/** Which eigenvectors to compute. */
export type EigenVectors = 'none' | 'right' | 'both';

function vectorFlags(vectors: unknown, name: string): { right: boolean; left: boolean } {
  const v = vectors ?? 'none';
  if (v !== 'none' && v !== 'right' && v !== 'both') {
    throw new TypeError(`${name} must be 'none', 'right' or 'both'; got ${JSON.stringify(vectors)}`);
  }
  return { right: v !== 'none', left: v === 'both' };
}

export function checkMethod(method: unknown, name = 'method'): EigenMethod {
  const m = method ?? 'auto';
  if (m !== 'auto' && m !== 'dense' && m !== 'reduced') {
    throw new TypeError(`${name} must be 'auto', 'dense' or 'reduced'; got ${JSON.stringify(method)}`);
  }
  return m;
}

/** Splits native eigenpairs of `n` matrices into one decomposition each. */
export function splitEigenpairs(e: NativeEigenpairs, n: number, trivial?: Eigenvalues['trivial']): Eigendecomposition[] {
  const { count, dim } = e;
  const complex = (re: Float64Array, im: Float64Array, i: number): ComplexTensor => ({
    re: { data: re.slice(i * count * dim, (i + 1) * count * dim), shape: [count, dim] },
    im: { data: im.slice(i * count * dim, (i + 1) * count * dim), shape: [count, dim] },
  });
  return Array.from({ length: n }, (_, i) => {
    const out: Eigendecomposition = { re: e.re.slice(i * count, (i + 1) * count), im: e.im.slice(i * count, (i + 1) * count) };
    if (trivial) out.trivial = { ...trivial };
    if (e.rightRe && e.rightIm) out.right = complex(e.rightRe, e.rightIm, i);
    if (e.leftRe && e.leftIm) out.left = complex(e.leftRe, e.leftIm, i);
    if (e.rcond) out.rcond = e.rcond[i];
    return out;
  });
}

export interface FieldOptions {
  /** The constant input u: [K] for every state, or [rows, K] one per state; default zeros. */
  inputs?: Vector;
}

/**
 * The vector field F at states [N] or [rows, N] (DESIGN.md §2 with the noise off): one noise-free step of the model
 * is x -> x + alpha F(x). Also q = |F|^2 / 2 per state. Double precision.
 */
export async function velocity(
  model: AnyModel,
  states: Vector,
  opts: FieldOptions = {},
): Promise<{ velocity: Tensor<Float64Array>; q: Float64Array }> {
  const m = modelArgs(model);
  const x = stateRows(states, m.size, 'states');
  const u = inputsPerRow(inputRows(opts.inputs, m.inputs, 'inputs', x.rows), m.inputs, x.rows);
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
  const m = modelArgs(model);
  const r = await dynamics().jacobian(m.spec, m.params, singleState(model, state), singleInput(model, opts.inputs), { structured: false });
  return { data: r.jacobian!, shape: [m.size, m.size] };
}

export interface StructuredJacobian {
  /** J = diag(diagonal) + u v^T */
  diagonal: Float64Array;
  u: Tensor<Float64Array>;
  v: Tensor<Float64Array>;
  /** v^T u = (1/N) n^T diag(phi') m: with diagonal -1, the nontrivial eigenvalues of J are -1 + eig(reduced). */
  reduced: Tensor<Float64Array>;
}

/** The Jacobian of a low-rank net as diag(diagonal) + u v^T, in O(N R) (the N x N matrix is not formed). */
export async function structuredJacobian(model: AnyModel, state: Vector, opts: FieldOptions = {}): Promise<StructuredJacobian> {
  const m = modelArgs(model);
  if (m.rank === 0) throw new TypeError('structuredJacobian needs a low-rank net; use jacobian for a full-rank net');
  const r = await dynamics().jacobian(m.spec, m.params, singleState(model, state), singleInput(model, opts.inputs), { structured: true });
  const N = m.size;
  const R = m.rank;
  const u = r.u!;
  const v = r.v!;
  const reduced = new Float64Array(R * R);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < R; j++) {
      let s = 0;
      for (let k = 0; k < N; k++) s += v[k * R + i] * u[k * R + j];
      reduced[i * R + j] = s;
    }
  return { diagonal: r.diagonal!, u: { data: u, shape: [N, R] }, v: { data: v, shape: [N, R] }, reduced: { data: reduced, shape: [R, R] } };
}

export interface LinearizeOptions extends FieldOptions {
  /** 'auto' (default): the reduced R x R problem for low-rank nets without no-autapse, else dense. */
  method?: EigenMethod;
  vectors?: EigenVectors;
  /** CPU threads (0 = all cores). */
  threads?: number;
  /**
   * Where the reduced problems run (AnalysisDevice; default: the model's device): on the GPU, a block per state forms
   * the R x R problem and its vectors and one thread solves it. Dense problems always run on the CPU.
   */
  device?: AnalysisDevice;
}

/** Eigenvalues (and eigenvectors) of the Jacobian at one state [N], or at each of [rows, N] states. */
export async function linearize(model: AnyModel, states: Vector, opts: LinearizeOptions = {}): Promise<Eigendecomposition | Eigendecomposition[]> {
  const m = modelArgs(model);
  const x = stateRows(states, m.size, 'states');
  const u = inputsPerRow(inputRows(opts.inputs, m.inputs, 'inputs', x.rows), m.inputs, x.rows);
  const flags = vectorFlags(opts.vectors, 'vectors');
  const threads = checkThreads(opts.threads);
  const device = analysisDevice(opts.device, model);
  const e = await dynamics(device).linearize(m.spec, m.params, x.data, u, { rows: x.rows, method: checkMethod(opts.method), ...flags, threads, device });
  const trivial = e.reduced ? { value: -1, multiplicity: m.size - m.rank } : undefined;
  const all = splitEigenpairs(e, x.rows, trivial);
  return x.single ? all[0] : all;
}

/** Eigendecomposition of a real square matrix [n, n] (double precision, Eigen). */
export async function eigen(matrix: Tensor, opts: { vectors?: EigenVectors } = {}): Promise<Eigendecomposition> {
  checkTensor(matrix, 'matrix');
  const [n, cols] = matrix.shape;
  if (matrix.shape.length !== 2 || n !== cols || n < 1) {
    throw new RangeError(`matrix must be square [n, n] with n >= 1; got ${formatShape(matrix.shape)}`);
  }
  const flags = vectorFlags(opts.vectors, 'vectors');
  const e = await dynamics().eigen(Float64Array.from(matrix.data), { n, ...flags });
  return splitEigenpairs(e, 1)[0];
}

export type Convention = 'continuous' | 'discrete';
export type PointType = 'stable' | 'saddle' | 'unstable' | 'marginal';

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

export interface Stability {
  type: PointType;
  /** Unstable modes (the saddle index), counting the multiplicity of the trivial eigenvalue. */
  unstable: number;
  marginal: number;
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

export function resolveConvention(opts: ClassifyOptions = {}): ResolvedConvention {
  const convention = opts.convention ?? 'continuous';
  if (convention !== 'continuous' && convention !== 'discrete') {
    throw new TypeError(`convention must be 'continuous' or 'discrete'; got ${JSON.stringify(opts.convention)}`);
  }
  if (convention === 'discrete' && opts.alpha === undefined) {
    throw new RangeError("convention 'discrete' needs alpha (dt / tau of the model's map)");
  }
  const alpha = requireNumber(opts.alpha ?? 1, 'alpha', (v) => v > 0, 'a number > 0');
  const tau = requireNumber(opts.tau ?? 1, 'tau', (v) => v > 0, 'a number > 0');
  const marginalTolerance = requireNumber(opts.marginalTolerance ?? 1e-6, 'marginalTolerance', (v) => v >= 0, 'a number >= 0');
  return { convention, alpha, tau, marginalTolerance };
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
  const c = resolveConvention(opts);
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
  out.type =
    out.unstable === 0 ? (out.marginal === 0 ? 'stable' : 'marginal') : out.stable === 0 && out.marginal === 0 ? 'unstable' : 'saddle';
  return out;
}

export interface LineAttractorOptions extends ClassifyOptions {
  /** For a matrix A: 'discrete' (default; x_{t+1} = A x_t, tau_i = dt / |ln|lambda_i||) or 'continuous' (dx/dt = A x, tau_i = 1 / |Re lambda_i|). */
  time?: Convention;
  /** Bin width of a discrete matrix (default 1). */
  dt?: number;
}

/**
 * Line-attractor score (Nair et al. 2023) log2(tau_1 / tau_2) of the two longest time constants: of a dynamics
 * matrix [D, D] (an LDS A matrix by default), or of a Jacobian's eigenvalues (from linearize or a fixed-point result,
 * read in the convention of `opts`; the trivial eigenvalues of a reduced problem count with their multiplicity).
 */
export async function lineAttractorScore(
  source: Tensor | Eigenvalues,
  opts: LineAttractorOptions = {},
): Promise<{ score: number; timeConstants: Float64Array }> {
  let taus: number[];
  if (source !== null && typeof source === 'object' && 'shape' in source) {
    const time = opts.time ?? 'discrete';
    if (time !== 'discrete' && time !== 'continuous') throw new TypeError(`time must be 'discrete' or 'continuous'; got ${JSON.stringify(opts.time)}`);
    const dt = requireNumber(opts.dt ?? 1, 'dt', (v) => v > 0, 'a number > 0');
    const e = await eigen(source as Tensor);
    taus = Array.from(e.re, (re, i) =>
      time === 'discrete' ? dt / Math.abs(Math.log(Math.hypot(re, e.im[i]))) : 1 / Math.abs(re),
    );
  } else {
    const s = classify(source as Eigenvalues, opts);
    taus = Array.from(s.timeConstants);
    if (s.trivial) taus.push(...Array(Math.min(s.trivial.multiplicity, 2)).fill(s.trivial.timeConstant));
  }
  if (taus.length < 2) throw new RangeError('the line-attractor score needs at least two eigenvalues');
  taus.sort((a, b) => b - a);
  return { score: Math.log2(taus[0] / taus[1]), timeConstants: Float64Array.from(taus) };
}
