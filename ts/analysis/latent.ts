// Latent dynamics of low-rank nets (current formulation): the exact finite-N flow kappa' = F(kappa, u) on a grid,
// fixed points found in kappa space by Newton's method with the R x R Jacobian, and trajectories projected on kappa.
// Coordinates are described in docs/analysis-latent.md.
import { svd } from '../core/linalg.js';
import { classify, type PointType } from './linear.js';
import { LowRankRNN, type AnyModel } from '../model/models.js';
import type { NativeLatentField } from '../native/binding.js';
import { native } from '../native/load.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';

/**
 * 'coefficients': x = sum_r kappa_r m_r + sum_k u_k I_k (I_k = si_k wi_k, the input vectors); exact for any m.
 * 'overlaps': kappa_r = x . m_r / N, the reference's plot_field coordinates; x = sum_r (N / |m_r|^2) kappa_r m_r +
 * I_perp with I_perp the input current minus its projection on span(m). Needs orthogonal m columns (svdReparametrize).
 */
export type LatentCoordinates = 'coefficients' | 'overlaps';

export interface LatentOptions {
  /** Constant input u (one value per input channel; default zeros). */
  input?: ArrayLike<number>;
  coordinates?: LatentCoordinates;
}

/** A low-rank net's vectors in double precision: m, n [N, R], the input vectors si_k wi_k [K, N] and the bias b. */
export interface LowRankVectors {
  size: number;
  rank: number;
  inputs: number;
  m: Float64Array;
  n: Float64Array;
  inputVectors: Float64Array;
  bias: Float64Array;
  activation: string;
  slope: number;
}

/** The vectors of a low-rank net in the current formulation, the only kind whose latent reduction is exact. */
export function lowRankVectors(model: AnyModel, name = 'model'): LowRankVectors {
  if (!(model instanceof LowRankRNN)) throw new TypeError(`${name} must be a LowRankRNN; got ${model?.constructor?.name ?? typeof model}`);
  const c = model.config;
  if (c.formulation !== 'current') {
    throw new RangeError(`${name}: latent dynamics need the 'current' formulation (x' = -x + m n^T phi(x) / N + I); this model uses '${c.formulation}'`);
  }
  if (c.noAutapse) {
    throw new RangeError(`${name}: latent dynamics are exact only with autapses (noAutapse removes diag(m n^T) / N, which leaves span(m))`);
  }
  const N = c.size, K = c.inputs;
  const wi = model.param('wi').data, si = model.param('si').data;
  const inputVectors = new Float64Array(K * N);
  for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) inputVectors[k * N + i] = si[k] * wi[k * N + i];
  return {
    size: N,
    rank: c.rank,
    inputs: K,
    m: Float64Array.from(model.param('m').data),
    n: Float64Array.from(model.param('n').data),
    inputVectors,
    bias: Float64Array.from(model.param('b').data),
    activation: c.activation,
    slope: c.slope,
  };
}

/** Checks a constant input (K values) and returns the input current sum_k u_k I_k (N values). */
export function inputCurrent(v: LowRankVectors, input: ArrayLike<number> | undefined, name = 'input'): Float64Array {
  const current = new Float64Array(v.size);
  if (input === undefined) return current;
  if (input === null || typeof input !== 'object' || typeof input.length !== 'number' || input.length !== v.inputs) {
    throw new RangeError(`${name} must have one value per input channel (${v.inputs}); got ${input === null ? 'null' : (input as ArrayLike<number>).length ?? typeof input}`);
  }
  for (let k = 0; k < v.inputs; k++) {
    const u = input[k];
    if (typeof u !== 'number' || !Number.isFinite(u)) throw new RangeError(`${name}[${k}] must be a finite number; got ${u}`);
    for (let i = 0; i < v.size; i++) current[i] += u * v.inputVectors[k * v.size + i];
  }
  return current;
}

function columnNorms2(m: Float64Array, N: number, R: number): Float64Array {
  const out = new Float64Array(R);
  for (let i = 0; i < N; i++) for (let r = 0; r < R; r++) out[r] += m[i * R + r] ** 2;
  return out;
}

function checkCoordinates(value: unknown): LatentCoordinates {
  const c = value ?? 'coefficients';
  if (c !== 'coefficients' && c !== 'overlaps') throw new TypeError(`coordinates must be 'coefficients' or 'overlaps'; got ${JSON.stringify(value)}`);
  return c;
}

/** Throws unless the columns of m are orthogonal (relative to their norms), which the overlap coordinates need. */
function requireOrthogonalColumns(v: LowRankVectors): Float64Array {
  const { size: N, rank: R, m } = v;
  const norms2 = columnNorms2(m, N, R);
  for (let r = 0; r < R; r++) {
    if (norms2[r] === 0) throw new RangeError(`model: column ${r} of m is zero; the latent coordinates need non-zero m columns`);
    for (let s = r + 1; s < R; s++) {
      let dot = 0;
      for (let i = 0; i < N; i++) dot += m[i * R + r] * m[i * R + s];
      const cos = dot / Math.sqrt(norms2[r] * norms2[s]);
      if (Math.abs(cos) > 1e-8) {
        throw new RangeError(`coordinates 'overlaps' need orthogonal m columns; m_${r} . m_${s} has cosine ${cos.toExponential(2)} (call svdReparametrize(model) first, or use 'coefficients')`);
      }
    }
  }
  return norms2;
}

/** The native description of the latent field at a constant input (see native/core/latent.hpp). */
export function latentField(model: AnyModel, opts: LatentOptions = {}): NativeLatentField {
  const v = lowRankVectors(model);
  const coordinates = checkCoordinates(opts.coordinates);
  const { size: N, rank: R } = v;
  const current = inputCurrent(v, opts.input);
  const scale = new Float64Array(R).fill(1);
  const shift = new Float64Array(R);
  const offset = new Float64Array(N);
  if (coordinates === 'overlaps') {
    const norms2 = requireOrthogonalColumns(v);
    for (let r = 0; r < R; r++) {
      scale[r] = N / norms2[r];
      let dot = 0;
      for (let i = 0; i < N; i++) dot += current[i] * v.m[i * R + r];
      shift[r] = dot / norms2[r];
    }
  }
  for (let i = 0; i < N; i++) {
    let inSpan = 0;
    for (let r = 0; r < R; r++) inSpan += v.m[i * R + r] * shift[r];
    offset[i] = current[i] - inSpan + v.bias[i];
  }
  return { size: N, rank: R, m: v.m, n: v.n, offset, scale, shift, activation: v.activation, slope: v.slope };
}

/** Flattens a [..., R] tensor of latent points into [P * R] doubles. */
function latentPoints(kappa: Tensor, R: number, name: string): { data: Float64Array; lead: number[] } {
  checkTensor(kappa, name);
  const last = kappa.shape[kappa.shape.length - 1];
  if (kappa.shape.length < 1 || last !== R) throw new RangeError(`${name} must have shape [..., ${R}] (the rank); got ${formatShape(kappa.shape)}`);
  return { data: Float64Array.from(kappa.data), lead: kappa.shape.slice(0, -1) };
}

/**
 * The states x (shape [..., N]) of latent points kappa (shape [..., R]) at a constant input: x = m kappa + I
 * ('coefficients') or x = sum_r (N / |m_r|^2) kappa_r m_r + I_perp ('overlaps').
 */
export function embedLatent(model: AnyModel, kappa: Tensor, opts: LatentOptions = {}): Tensor<Float64Array> {
  const f = latentField(model, opts);
  const { size: N, rank: R } = f;
  const { data, lead } = latentPoints(kappa, R, 'kappa');
  const P = data.length / R;
  const out = new Float64Array(P * N);
  const b = lowRankVectors(model).bias;
  for (let p = 0; p < P; p++)
    for (let i = 0; i < N; i++) {
      let x = f.offset[i] - b[i];
      for (let r = 0; r < R; r++) x += f.m[i * R + r] * f.scale[r] * data[p * R + r];
      out[p * N + i] = x;
    }
  return { data: out, shape: [...lead, N] };
}

export interface LatentVelocity {
  /** kappa' (units of 1 / tau; one Euler step of the net moves kappa by alpha kappa'), shape [..., R]. */
  velocity: Tensor<Float64Array>;
  /** d kappa' / d kappa, shape [..., R, R] (on request). */
  jacobians?: Tensor<Float64Array>;
}

/** The exact latent velocity kappa' = F(kappa, u) at points kappa [..., R], and optionally its Jacobian. */
export async function latentVelocity(
  model: AnyModel,
  kappa: Tensor,
  opts: LatentOptions & { jacobians?: boolean } = {},
): Promise<LatentVelocity> {
  const field = latentField(model, opts);
  const R = field.rank;
  const { data, lead } = latentPoints(kappa, R, 'kappa');
  const r = await native().binding.latentVelocity(field, data, opts.jacobians ?? false);
  const out: LatentVelocity = { velocity: { data: r.velocity, shape: [...lead, R] } };
  if (r.jacobians) out.jacobians = { data: r.jacobians, shape: [...lead, R, R] };
  return out;
}

export interface GridOptions {
  /** Value range of each plotted axis (default [-3, 3], the reference's). */
  ranges?: [number, number][];
  /** Cells per axis (default 50, the reference's); points sit at cell centres. */
  resolution?: number;
  /** For rank >= 3: the two kappa axes of the slice (default [0, 1]). */
  axes?: [number, number];
  /** For rank >= 3: the values of every kappa coordinate off the slice (default zeros; entries on the slice are ignored). */
  at?: ArrayLike<number>;
}

export interface LatentGrid {
  /** The kappa axes plotted: [0] for rank 1, [0, 1] for rank 2, `axes` for rank >= 3. */
  dims: number[];
  /** Cell-centre coordinates of each plotted axis. */
  axes: Float64Array[];
  /** Every grid point in full kappa coordinates: [res, R] for rank 1, [res_y, res_x, R] otherwise (meshgrid 'xy' order). */
  points: Tensor<Float64Array>;
}

function checkRange(r: unknown, name: string): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(r[0] < r[1])) {
    throw new RangeError(`${name} must be [min, max] with finite min < max; got ${JSON.stringify(r)}`);
  }
  return [r[0], r[1]];
}

/** The grid of latent points a flow field is evaluated on (reference plot_field: cell centres of a res x res grid). */
export function latentGrid(rank: number, opts: GridOptions = {}): LatentGrid {
  const res = opts.resolution ?? 50;
  if (!Number.isInteger(res) || res < 1 || res > 4096) throw new RangeError(`resolution must be an integer in [1, 4096]; got ${JSON.stringify(opts.resolution)}`);
  let dims: number[];
  if (rank === 1) dims = [0];
  else if (rank === 2) dims = [0, 1];
  else {
    const a = opts.axes ?? [0, 1];
    if (!Array.isArray(a) || a.length !== 2 || !a.every((d) => Number.isInteger(d) && d >= 0 && d < rank) || a[0] === a[1]) {
      throw new RangeError(`axes must be two different kappa indices in [0, ${rank - 1}]; got ${JSON.stringify(opts.axes)}`);
    }
    dims = [...a];
  }
  const ranges = opts.ranges ?? dims.map(() => [-3, 3] as [number, number]);
  if (!Array.isArray(ranges) || ranges.length !== dims.length) {
    throw new RangeError(`ranges must have one [min, max] per plotted axis (${dims.length}); got ${JSON.stringify(opts.ranges)}`);
  }
  const axes = ranges.map((r, i) => {
    const [lo, hi] = checkRange(r, `ranges[${i}]`);
    return Float64Array.from({ length: res }, (_, j) => lo + ((j + 0.5) * (hi - lo)) / res);
  });
  const base = new Float64Array(rank);
  if (opts.at !== undefined) {
    if (opts.at.length !== rank) throw new RangeError(`at must have one value per kappa coordinate (${rank}); got ${opts.at.length}`);
    for (let r = 0; r < rank; r++) {
      if (!Number.isFinite(opts.at[r])) throw new RangeError(`at[${r}] must be finite; got ${opts.at[r]}`);
      base[r] = opts.at[r];
    }
  }
  const count = dims.length === 1 ? res : res * res;
  const points = new Float64Array(count * rank);
  for (let p = 0; p < count; p++) {
    points.set(base, p * rank);
    if (dims.length === 1) points[p * rank + dims[0]] = axes[0][p];
    else {
      points[p * rank + dims[0]] = axes[0][p % res];
      points[p * rank + dims[1]] = axes[1][Math.floor(p / res)];
    }
  }
  return { dims, axes, points: { data: points, shape: dims.length === 1 ? [res, rank] : [res, res, rank] } };
}

export interface FlowField extends LatentGrid {
  /** kappa' at every grid point, same shape as `points`. */
  velocity: Tensor<Float64Array>;
  /** |kappa'| (Euclidean, over all R components) at every grid point. */
  speed: Tensor<Float64Array>;
}

/** Speeds |v| over the last axis of velocities shaped like `points`. */
export function speeds(velocity: Tensor<Float64Array>): Tensor<Float64Array> {
  const R = velocity.shape[velocity.shape.length - 1];
  const P = velocity.data.length / R;
  const out = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += velocity.data[p * R + r] ** 2;
    out[p] = Math.sqrt(s);
  }
  return { data: out, shape: velocity.shape.slice(0, -1) };
}

/**
 * Phase-portrait data: the exact latent flow on a grid (rank 1: a line, rank 2: the plane, rank >= 3: a 2-D slice).
 * Multiply `velocity` by N to get the reference plot_field's field (F(x) . m_r) in 'overlaps' coordinates.
 */
export async function latentFlowField(model: AnyModel, opts: LatentOptions & GridOptions = {}): Promise<FlowField> {
  const rank = lowRankVectors(model).rank;
  const grid = latentGrid(rank, opts);
  const { velocity } = await latentVelocity(model, grid.points, opts);
  return { ...grid, velocity, speed: speeds(velocity) };
}

export interface LatentFixedPointOptions extends LatentOptions {
  /** Start points [S, R] (e.g. projected trajectory states), or omit for a grid over `range`. */
  starts?: Tensor;
  /** The box the default starts fill, one [min, max] per kappa axis (default [-3, 3] each). */
  range?: [number, number][];
  /** Default starts: about this many (a grid with the same count per axis, or uniform draws when that grid is too big). */
  startCount?: number;
  seed?: number;
  /** Convergence: max_r |kappa'_r| <= tolerance (default 1e-10). */
  tolerance?: number;
  maxIterations?: number;
  /** Two converged points closer than this (max-norm, relative to max(1, |kappa|)) are one point (default 1e-6). */
  uniqueTolerance?: number;
}

export interface LatentFixedPoints {
  /** The distinct fixed points [F, R], in the order first reached. */
  points: Tensor<Float64Array>;
  /** max_r |kappa'_r| at each point [F]. */
  speed: Float64Array;
  /** d kappa' / d kappa [F, R, R]. */
  jacobians: Tensor<Float64Array>;
  /** Eigenvalues of each Jacobian [F, R] (continuous time: stable when every real part is < 0). */
  eigenvalues: { re: Tensor<Float64Array>; im: Tensor<Float64Array> };
  /** Number of eigenvalues with a positive real part [F] (the saddle index). */
  unstableModes: Int32Array;
  /** The type of each point ('stable', 'saddle', 'unstable' or 'marginal'), from `classify` in continuous time. */
  stability: PointType[];
  /** The start points used [S, R]. */
  starts: Tensor<Float64Array>;
  /** For each start, the index of the point it reached, or -1 when Newton's method did not converge [S]. */
  startPoint: Int32Array;
}

function defaultStarts(R: number, opts: LatentFixedPointOptions): Float64Array {
  const ranges = (opts.range ?? Array.from({ length: R }, () => [-3, 3] as [number, number])).map((r, i) => checkRange(r, `range[${i}]`));
  if (ranges.length !== R) throw new RangeError(`range must have one [min, max] per kappa axis (${R}); got ${ranges.length}`);
  const target = opts.startCount ?? 200;
  if (!Number.isInteger(target) || target < 1) throw new RangeError(`startCount must be a positive integer; got ${JSON.stringify(opts.startCount)}`);
  const perAxis = Math.max(2, Math.round(target ** (1 / R)));
  if (perAxis ** R <= 4 * target) {
    const count = perAxis ** R;
    const out = new Float64Array(count * R);
    for (let p = 0; p < count; p++) {
      let rest = p;
      for (let r = 0; r < R; r++) {
        const j = rest % perAxis;
        rest = Math.floor(rest / perAxis);
        out[p * R + r] = ranges[r][0] + (j * (ranges[r][1] - ranges[r][0])) / (perAxis - 1);
      }
    }
    return out;
  }
  const rng = new Random(opts.seed ?? 0);
  const out = new Float64Array(target * R);
  for (let p = 0; p < target; p++) for (let r = 0; r < R; r++) out[p * R + r] = ranges[r][0] + rng.uniform() * (ranges[r][1] - ranges[r][0]);
  return out;
}

function positive(value: unknown, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a positive number; got ${JSON.stringify(value)}`);
  return v;
}

/**
 * Fixed points of the latent flow found directly in kappa space: damped Newton from each start with the analytic
 * R x R Jacobian, duplicates merged, stability from the Jacobian's eigenvalues. The eigenvalues are the non-trivial
 * eigenvalues of the full network's Jacobian at the fixed point (the other N - R are -1).
 */
export async function latentFixedPoints(model: AnyModel, opts: LatentFixedPointOptions = {}): Promise<LatentFixedPoints> {
  const field = latentField(model, opts);
  const R = field.rank;
  const starts = opts.starts ? latentPoints(opts.starts, R, 'starts').data : defaultStarts(R, opts);
  const tolerance = positive(opts.tolerance, 'tolerance', 1e-10);
  const unique = positive(opts.uniqueTolerance, 'uniqueTolerance', 1e-6);
  const maxIterations = opts.maxIterations ?? 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new RangeError(`maxIterations must be an integer >= 0; got ${JSON.stringify(opts.maxIterations)}`);
  const roots = await native().binding.latentRoots(field, starts, { tolerance, maxIterations });
  const S = starts.length / R;
  const chosen: number[] = [];
  const startPoint = new Int32Array(S).fill(-1);
  for (let s = 0; s < S; s++) {
    if (!roots.converged[s]) continue;
    const k = roots.points.subarray(s * R, s * R + R);
    const scale = Math.max(1, ...Array.from(k, Math.abs));
    const same = chosen.findIndex((c) => {
      let d = 0;
      for (let r = 0; r < R; r++) d = Math.max(d, Math.abs(roots.points[c * R + r] - k[r]));
      return d <= unique * scale;
    });
    if (same >= 0) startPoint[s] = same;
    else {
      startPoint[s] = chosen.length;
      chosen.push(s);
    }
  }
  const F = chosen.length;
  const pick = (src: Float64Array, per: number) => {
    const out = new Float64Array(F * per);
    chosen.forEach((s, f) => out.set(src.subarray(s * per, s * per + per), f * per));
    return out;
  };
  const re = pick(roots.eigenRe, R), im = pick(roots.eigenIm, R);
  const unstableModes = new Int32Array(F);
  const stability: PointType[] = [];
  for (let f = 0; f < F; f++) {
    const s = classify({ re: re.slice(f * R, f * R + R), im: im.slice(f * R, f * R + R) });
    unstableModes[f] = s.unstable;
    stability.push(s.type);
  }
  return {
    points: { data: pick(roots.points, R), shape: [F, R] },
    speed: Float64Array.from(chosen, (s) => roots.speed[s]),
    jacobians: { data: pick(roots.jacobians, R * R), shape: [F, R, R] },
    eigenvalues: { re: { data: re, shape: [F, R] }, im: { data: im, shape: [F, R] } },
    unstableModes,
    stability,
    starts: { data: starts, shape: [S, R] },
    startPoint,
  };
}

export interface LatentProjection {
  /** kappa of every state, shape [..., R]. */
  kappa: Tensor<Float64Array>;
  /** 'coefficients' only: the input coordinates v (x = m kappa + sum_k v_k I_k + residual), shape [..., K]. */
  inputs?: Tensor<Float64Array>;
  /** 'coefficients' only: |residual| / |x| per state (0 for noise-free trajectories from h0 in span(m, I)), shape [...]. */
  residual?: Tensor<Float64Array>;
}

/**
 * Projects states [..., N] (e.g. simulate().states [B, T+1, N]) on the latent coordinates. 'coefficients': least
 * squares on [m | I_1 .. I_K] (exact: a noise-free trajectory from h0 in that span has v = the leaky-filtered input
 * and residual 0). 'overlaps': kappa_r = x . m_r / N (reference plot_trajectories), with orthogonal m.
 */
export async function projectOnLatent(model: AnyModel, states: Tensor, opts: { coordinates?: LatentCoordinates } = {}): Promise<LatentProjection> {
  const v = lowRankVectors(model);
  const coordinates = checkCoordinates(opts.coordinates);
  const { size: N, rank: R, inputs: K } = v;
  checkTensor(states, 'states');
  if (states.shape.length < 1 || states.shape[states.shape.length - 1] !== N) {
    throw new RangeError(`states must have shape [..., ${N}] (the model's size); got ${formatShape(states.shape)}`);
  }
  const lead = states.shape.slice(0, -1);
  const P = states.data.length / N;
  const x = states.data;
  if (coordinates === 'overlaps') {
    requireOrthogonalColumns(v);
    const kappa = new Float64Array(P * R);
    for (let p = 0; p < P; p++)
      for (let i = 0; i < N; i++) {
        const xi = x[p * N + i];
        for (let r = 0; r < R; r++) kappa[p * R + r] += (xi * v.m[i * R + r]) / N;
      }
    return { kappa: { data: kappa, shape: [...lead, R] } };
  }
  // Basis B = [m | I^T] (N x D); coefficients = V S^-1 U^T x from the SVD of B.
  const D = R + K;
  const basis = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let r = 0; r < R; r++) basis[i * D + r] = v.m[i * R + r];
    for (let k = 0; k < K; k++) basis[i * D + R + k] = v.inputVectors[k * N + i];
  }
  if (N < D) throw new RangeError(`projectOnLatent: rank + inputs (${D}) exceeds the size (${N}); use coordinates 'overlaps'`);
  const { u, s, v: w } = await svd(basis, N, D, D);
  if (!(s[D - 1] > 1e-10 * s[0])) {
    throw new RangeError(`projectOnLatent: the columns of m and the input vectors are linearly dependent (singular values ${Array.from(s, (z) => z.toExponential(2)).join(', ')}); use coordinates 'overlaps'`);
  }
  const kappa = new Float64Array(P * R);
  const inputs = new Float64Array(P * K);
  const residual = new Float64Array(P);
  const ux = new Float64Array(D);
  for (let p = 0; p < P; p++) {
    ux.fill(0);
    let norm2 = 0;
    for (let i = 0; i < N; i++) {
      const xi = x[p * N + i];
      norm2 += xi * xi;
      for (let d = 0; d < D; d++) ux[d] += u[i * D + d] * xi;
    }
    let rest2 = 0;
    for (let i = 0; i < N; i++) {
      let r = x[p * N + i];
      for (let d = 0; d < D; d++) r -= u[i * D + d] * ux[d];
      rest2 += r * r;
    }
    residual[p] = norm2 > 0 ? Math.sqrt(rest2 / norm2) : 0;
    for (let j = 0; j < D; j++) {
      let c = 0;
      for (let d = 0; d < D; d++) c += (w[j * D + d] * ux[d]) / s[d];
      if (j < R) kappa[p * R + j] = c;
      else inputs[p * K + j - R] = c;
    }
  }
  return {
    kappa: { data: kappa, shape: [...lead, R] },
    inputs: { data: inputs, shape: [...lead, K] },
    residual: { data: residual, shape: lead },
  };
}
