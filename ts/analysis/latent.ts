// Latent dynamics of low-rank nets (current formulation): the exact finite-N flow kappa' = F(kappa, u) on a grid,
// fixed points found in kappa space by Newton's method with the R x R Jacobian, and trajectories projected on kappa.
// Coordinates are described in docs/analysis-latent.md.

import { classify, type PointType } from './linear.js';
import { LowRankRNN, type AnyModel } from '../model/index.js';
import type { NativeLatentField } from '../native/binding.js';
import { native } from '../native/load.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, show, type Rules } from '../core/validate.js';

/**
 * 'coefficients': x = sum_r kappa_r m_r + sum_k u_k I_k (I_k = si_k wi_k, the input vectors); exact for any m.
 * 'overlaps': kappa_r = x . m_r / N, the reference's plot_field coordinates; x = sum_r (N / |m_r|^2) kappa_r m_r +
 * I_perp with I_perp the input current minus its projection on span(m). Needs orthogonal m columns (svdReparametrize).
 */
export type LatentCoordinates = 'coefficients' | 'overlaps';

/**
 * Options of every latent-space entry (embedLatent, latentVelocity, latentFlowField, latentFixedPoints): the constant
 * input and the coordinates kappa are read in; defaults in {@link LATENT_DEFAULTS}.
 */
export interface LatentOptions {
  /** Constant input u (one value per input channel; default zeros). */
  inputs?: ArrayLike<number>;
  /** 'coefficients' (default) or 'overlaps'. */
  coordinates?: LatentCoordinates;
}

/** One finite number per entry (the count is checked where the model is known). */
export const FINITE_VALUES = is.custom(
  'an array of finite numbers',
  (v) => v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number' && Array.from(v as ArrayLike<unknown>).every((x) => typeof x === 'number' && Number.isFinite(x)),
  (v) => v !== null && typeof v === 'object',
);

export const LATENT_RULES: Rules<LatentOptions> = {
  inputs: FINITE_VALUES,
  coordinates: is.oneOf<LatentCoordinates>(['coefficients', 'overlaps']),
};

/** The defaults of every latent entry (inputs: zeros). */
export const LATENT_DEFAULTS = Object.freeze({ coordinates: 'coefficients' as LatentCoordinates });

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

/** The basis [m | I^T] of a low-rank net's latent space, N x (R + K) row-major: the columns of m, then each input
 * vector si_k wi_k. */
export function latentBasis(v: LowRankVectors): Float64Array {
  const { size: N, rank: R, inputs: K } = v;
  const D = R + K;
  const basis = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let r = 0; r < R; r++) basis[i * D + r] = v.m[i * R + r];
    for (let k = 0; k < K; k++) basis[i * D + R + k] = v.inputVectors[k * N + i];
  }
  return basis;
}

/** The vectors of a low-rank net in the current formulation, the only kind whose latent reduction is exact. */
export function lowRankVectors(model: AnyModel, name = 'model'): LowRankVectors {
  if (!(model instanceof LowRankRNN)) throw new TypeError(`${name} must be a LowRankRNN; got ${show(model)}`);
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

/** The input current sum_k u_k I_k (N values) of a constant input (K finite values, checked by the caller's rules). */
export function inputCurrent(v: LowRankVectors, inputs: ArrayLike<number> | undefined, where: string): Float64Array {
  const current = new Float64Array(v.size);
  if (inputs === undefined) return current;
  checkValue(where, 'inputs', inputs, is.custom(`one finite number per input channel (${v.inputs})`, (x) => FINITE_VALUES.test(x) && (x as ArrayLike<number>).length === v.inputs));
  for (let k = 0; k < v.inputs; k++) for (let i = 0; i < v.size; i++) current[i] += inputs[k] * v.inputVectors[k * v.size + i];
  return current;
}

function columnNorms2(m: Float64Array, N: number, R: number): Float64Array {
  const out = new Float64Array(R);
  for (let i = 0; i < N; i++) for (let r = 0; r < R; r++) out[r] += m[i * R + r] ** 2;
  return out;
}

/** Throws unless the columns of m are orthogonal (relative to their norms), which the overlap coordinates need. */
export function requireOrthogonalColumns(v: LowRankVectors): Float64Array {
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

/**
 * The native description of the latent field at a constant input (see native/core/latent.hpp). `opts` are checked by
 * the caller (`where` names it in messages).
 */
export function latentField(model: AnyModel, opts: LatentOptions, where = 'latentField'): NativeLatentField {
  const v = lowRankVectors(model);
  const coordinates = opts.coordinates ?? LATENT_DEFAULTS.coordinates;
  const { size: N, rank: R } = v;
  const current = inputCurrent(v, opts.inputs, where);
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
  const f = latentField(model, checkOptions<LatentOptions>('embedLatent', LATENT_RULES, opts, LATENT_DEFAULTS), 'embedLatent');
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

/** What {@link latentVelocity} returns. */
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
  const o = checkOptions<LatentOptions & { jacobians?: boolean }>('latentVelocity', { ...LATENT_RULES, jacobians: is.boolean() }, opts, { ...LATENT_DEFAULTS, jacobians: false });
  return fieldVelocity(latentField(model, o, 'latentVelocity'), kappa, o.jacobians!);
}

async function fieldVelocity(field: NativeLatentField, kappa: Tensor, jacobians: boolean): Promise<LatentVelocity> {
  const R = field.rank;
  const { data, lead } = latentPoints(kappa, R, 'kappa');
  const r = await native().binding.latentVelocity(field, data, jacobians);
  const out: LatentVelocity = { velocity: { data: r.velocity, shape: [...lead, R] } };
  if (r.jacobians) out.jacobians = { data: r.jacobians, shape: [...lead, R, R] };
  return out;
}

/** Options of {@link latentGrid} and the grid of {@link latentFlowField}; defaults in {@link GRID_DEFAULTS}. */
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

/** A grid of latent points kappa, as {@link latentGrid} returns it. */
export interface LatentGrid {
  /** The kappa axes plotted: [0] for rank 1, [0, 1] for rank 2, `axes` for rank >= 3. */
  dims: number[];
  /** Cell-centre coordinates of each plotted axis. */
  axes: Float64Array[];
  /** Every grid point in full kappa coordinates: [res, R] for rank 1, [res_y, res_x, R] otherwise (meshgrid 'xy' order). */
  points: Tensor<Float64Array>;
}

/** The defaults of latentGrid (ranges: [-3, 3] per plotted axis, the reference's; at: zeros). */
export const GRID_DEFAULTS = Object.freeze({ resolution: 50, axes: [0, 1] as [number, number] });
const DEFAULT_RANGE: [number, number] = [-3, 3];

const RANGE = is.custom('[min, max] with finite min < max', (r) => Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Number.isFinite(x)) && r[0] < r[1]);
const RANGES = is.custom('an array of [min, max] pairs', Array.isArray);

export const GRID_RULES: Rules<GridOptions> = {
  ranges: RANGES,
  resolution: is.integer(1, 4096),
  axes: is.custom('two different kappa indices', (a) => Array.isArray(a) && a.length === 2 && a.every(Number.isInteger) && a[0] !== a[1]),
  at: FINITE_VALUES,
};

/** One [min, max] per axis (each checked), or the default box. */
function checkRanges(where: string, name: string, ranges: unknown, count: number): [number, number][] {
  if (ranges === undefined) return Array.from({ length: count }, () => [...DEFAULT_RANGE] as [number, number]);
  checkValue(where, name, ranges, is.custom(`${count} [min, max] pair${count > 1 ? 's' : ''} (one per axis)`, (r) => Array.isArray(r) && r.length === count));
  return (ranges as unknown[]).map((r, i) => checkValue<[number, number]>(where, `${name}[${i}]`, r, RANGE));
}

/** The plotted kappa axes: [0] for rank 1, [0, 1] for rank 2, `axes` (checked against the rank) otherwise. */
function plottedAxes(where: string, rank: number, axes: [number, number]): number[] {
  // A rank-1 or rank-2 net plots all its axes; its default [0, 1] is the only value that means anything there.
  const top = Math.max(rank, 2) - 1;
  const valid = (a: unknown) => Array.isArray(a) && a.length === 2 && a[0] !== a[1] && a.every((d) => Number.isInteger(d) && d >= 0 && d <= top);
  checkValue(where, 'axes', axes, is.custom(`two different kappa indices in [0, ${top}]`, valid));
  if (rank <= 2) return rank === 1 ? [0] : [0, 1];
  return [...axes];
}

/** The grid of latent points a flow field is evaluated on (reference plot_field: cell centres of a res x res grid). */
export function latentGrid(rank: number, opts: GridOptions = {}): LatentGrid {
  checkValue('latentGrid', 'rank', rank, is.integer(1), 'argument');
  return gridOf('latentGrid', rank, checkOptions<GridOptions>('latentGrid', GRID_RULES, opts, GRID_DEFAULTS));
}

/** latentGrid with checked options (`where` names the caller). */
export function gridOf(where: string, rank: number, o: GridOptions): LatentGrid {
  const res = o.resolution!;
  const dims = plottedAxes(where, rank, o.axes!);
  const axes = checkRanges(where, 'ranges', o.ranges, dims.length).map(([lo, hi]) =>
    Float64Array.from({ length: res }, (_, j) => lo + ((j + 0.5) * (hi - lo)) / res),
  );
  const base = new Float64Array(rank);
  if (o.at !== undefined) {
    checkValue(where, 'at', o.at, is.custom(`one value per kappa coordinate (${rank})`, (a) => (a as ArrayLike<number>).length === rank));
    base.set(Array.from(o.at));
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

/** What {@link latentFlowField} returns: the grid and the latent velocity at each of its points. */
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
  const o = checkOptions<LatentOptions & GridOptions>('latentFlowField', { ...LATENT_RULES, ...GRID_RULES }, opts, { ...LATENT_DEFAULTS, ...GRID_DEFAULTS });
  return flowFieldOf('latentFlowField', model, o);
}

/** latentFlowField with checked options (`where` names the caller). */
export async function flowFieldOf(where: string, model: AnyModel, o: LatentOptions & GridOptions): Promise<FlowField> {
  const field = latentField(model, o, where);
  const grid = gridOf(where, field.rank, o);
  const { velocity } = await fieldVelocity(field, grid.points, false);
  return { ...grid, velocity, speed: speeds(velocity) };
}

/** Options of {@link latentFixedPoints}; defaults in {@link LATENT_FIXED_POINT_DEFAULTS}. */
export interface LatentFixedPointOptions extends LatentOptions {
  /** Start points [S, R] (e.g. projected trajectory states), or omit for a grid over `range`. */
  starts?: Tensor;
  /** The box the default starts fill, one [min, max] per kappa axis (default [-3, 3] each). */
  range?: [number, number][];
  /** Default starts: about this many (a grid with the same count per axis, or uniform draws when that grid is too big). */
  startCount?: number;
  /** Seed of the uniform draws of the default starts (default 0). */
  seed?: number;
  /** Convergence: max_r |kappa'_r| <= tolerance (default 1e-10). */
  tolerance?: number;
  /** Newton steps per start at most (default 100). */
  maxIterations?: number;
  /** Two converged points closer than this (max-norm, relative to max(1, |kappa|)) are one point (default 1e-6). */
  uniqueTolerance?: number;
}

/** What {@link latentFixedPoints} returns: the distinct fixed points of the latent flow, F of them, with their stability. */
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
  /** The stability label of each point (STABILITY_LABELS, the same as fixedPoints'), from `classify` in continuous
   * time with the N - R trivial eigenvalues -1 counted. */
  stability: PointType[];
  /** The start points used [S, R]. */
  starts: Tensor<Float64Array>;
  /** For each start, the index of the point it reached, or -1 when Newton's method did not converge [S]. */
  startPoint: Int32Array;
}

/** The defaults of latentFixedPoints (range: [-3, 3] per kappa axis; starts: a grid over the range). */
export const LATENT_FIXED_POINT_DEFAULTS = Object.freeze({
  ...LATENT_DEFAULTS,
  startCount: 200,
  seed: 0,
  tolerance: 1e-10,
  maxIterations: 100,
  uniqueTolerance: 1e-6,
});

const LATENT_FIXED_POINT_RULES: Rules<LatentFixedPointOptions> = {
  ...LATENT_RULES,
  starts: is.tensor(),
  range: RANGES,
  startCount: is.integer(1),
  seed: is.seed(),
  tolerance: is.positive(),
  maxIterations: is.integer(0),
  uniqueTolerance: is.positive(),
};

/** Default starts: a grid over the range with about startCount points, or uniform draws when that grid is too big. */
function defaultStarts(R: number, o: LatentFixedPointOptions): Float64Array {
  const ranges = checkRanges('latentFixedPoints', 'range', o.range, R);
  const target = o.startCount!;
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
  const rng = new Random(o.seed!);
  const out = new Float64Array(target * R);
  for (let p = 0; p < target; p++) for (let r = 0; r < R; r++) out[p * R + r] = ranges[r][0] + rng.uniform() * (ranges[r][1] - ranges[r][0]);
  return out;
}

/** The distinct converged roots (first reached first) and, per start, the index of the one it reached (-1: none). */
function distinctRoots(points: Float64Array, converged: Uint8Array | ArrayLike<number>, R: number, unique: number) {
  const S = points.length / R;
  const chosen: number[] = [];
  const startPoint = new Int32Array(S).fill(-1);
  for (let s = 0; s < S; s++) {
    if (!converged[s]) continue;
    const k = points.subarray(s * R, s * R + R);
    const scale = Math.max(1, ...Array.from(k, Math.abs));
    const same = chosen.findIndex((c) => {
      let d = 0;
      for (let r = 0; r < R; r++) d = Math.max(d, Math.abs(points[c * R + r] - k[r]));
      return d <= unique * scale;
    });
    startPoint[s] = same >= 0 ? same : chosen.push(s) - 1;
  }
  return { chosen, startPoint };
}

/**
 * Fixed points of the latent flow found directly in kappa space: damped Newton from each start with the analytic
 * R x R Jacobian, duplicates merged, stability from the Jacobian's eigenvalues. The eigenvalues are the non-trivial
 * eigenvalues of the full network's Jacobian at the fixed point; the other N - R are -1 and count in the stability
 * label, which is therefore the one fixedPoints gives the same point (e.g. 'saddle' for a point whose R latent
 * directions all grow).
 */
export async function latentFixedPoints(model: AnyModel, opts: LatentFixedPointOptions = {}): Promise<LatentFixedPoints> {
  const o = checkOptions<LatentFixedPointOptions>('latentFixedPoints', LATENT_FIXED_POINT_RULES, opts, LATENT_FIXED_POINT_DEFAULTS);
  const field = latentField(model, o, 'latentFixedPoints');
  const R = field.rank;
  const starts = o.starts ? latentPoints(o.starts, R, 'starts').data : defaultStarts(R, o);
  const roots = await native().binding.latentRoots(field, starts, { tolerance: o.tolerance!, maxIterations: o.maxIterations! });
  const { chosen, startPoint } = distinctRoots(roots.points, roots.converged, R, o.uniqueTolerance!);
  const F = chosen.length;
  const pick = (src: Float64Array, per: number) => {
    const out = new Float64Array(F * per);
    chosen.forEach((s, f) => out.set(src.subarray(s * per, s * per + per), f * per));
    return out;
  };
  const re = pick(roots.eigenRe, R), im = pick(roots.eigenIm, R);
  const trivial = { value: -1, multiplicity: field.size - R };
  const labels = Array.from({ length: F }, (_, f) => classify({ re: re.slice(f * R, f * R + R), im: im.slice(f * R, f * R + R), trivial }));
  return {
    points: { data: pick(roots.points, R), shape: [F, R] },
    speed: Float64Array.from(chosen, (s) => roots.speed[s]),
    jacobians: { data: pick(roots.jacobians, R * R), shape: [F, R, R] },
    eigenvalues: { re: { data: re, shape: [F, R] }, im: { data: im, shape: [F, R] } },
    unstableModes: Int32Array.from(labels, (l) => l.unstable),
    stability: labels.map((l) => l.type),
    starts: { data: starts, shape: [starts.length / R, R] },
    startPoint,
  };
}
