// What a student is compared with its teacher by beyond the spectrum (seed 003 fig. 1-3): fixed points and flow
// fields on the top principal components of each network's activity, and the detection of a sustained oscillation
// (a limit cycle) of a noise-free network.
import { FullRankRNN } from '../model/fullrank.js';
import { pca } from '../analysis/measures.js';
import { velocity } from '../analysis/linear.js';
import { fixedPoints } from '../analysis/fixed-points.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, type Rules } from '../core/validate.js';
import { spectrum, type PartialActivation } from './estimate.js';

/** A network of the seed's form x_t = (1 - a) x_{t-1} + a A phi(x_{t-1}) (noise off). */
export interface Network {
  /** A [n, n]. */
  weights: Tensor;
  activation: PartialActivation;
  alpha: number;
}

/** The engine's model of a network (full-rank "current" formulation: W = A, no inputs, float64). */
export function networkModel(net: Network, noise = 0): FullRankRNN {
  checkValue('partialObservation.networkModel', 'net', net, is.object('a network { weights, alpha, activation }'), 'argument');
  const n = net.weights.shape[0];
  return new FullRankRNN({ size: n, inputs: 0, outputs: 0, activation: net.activation, alpha: net.alpha, noise, dtype: 'float64', init: { wrec: Float64Array.from(net.weights.data) } });
}

/** Options of {@link portrait}; defaults in {@link PORTRAIT_DEFAULTS}. */
export interface PortraitOptions {
  /** Grid points per PC axis (default 15). */
  resolution?: number;
  /** The grid spans this many standard deviations of each PC's scores (default 3). */
  extent?: number;
  /** Search fixed points (default true). */
  fixedPoints?: boolean;
  /** Initial states of the fixed-point search (default 64). */
  starts?: number;
  seed?: number;
}

/** The defaults of {@link portrait}. */
export const PORTRAIT_DEFAULTS = { resolution: 15, extent: 3, fixedPoints: true, starts: 64, seed: 0 } as const satisfies PortraitOptions;

/** A flow field and the fixed points of a network on the plane of the top two principal components of its activity. */
export interface Portrait {
  /** The mean state [n] and the two axes [n, 2] (columns), with the share of variance of each. */
  mean: Float64Array;
  components: Tensor<Float64Array>;
  varianceRatio: Float64Array;
  /** Grid points in PC coordinates [G, 2] and the vector field F(x) = -x + A phi(x) projected on the axes [G, 2]. */
  grid: Tensor<Float64Array>;
  flow: Tensor<Float64Array>;
  /** |projected F| at each grid point [G]. */
  speed: Float64Array;
  /** Fixed points found (q below tolerance) in PC coordinates [P, 2], their q and stability label. */
  fixedPoints?: { points: Tensor<Float64Array>; q: Float64Array; type: string[]; slowestTimeConstant: Float64Array };
}

const PORTRAIT_RULES: Rules<PortraitOptions> = { resolution: is.integer(2, 200), extent: is.positive(), fixedPoints: is.boolean(), starts: is.integer(1), seed: is.seed() };

/**
 * The flow field of `net` on the plane of the top two PCs of `activity` [..., n] (the network's own activity), and
 * its fixed points (analysis.fixedPoints from states of the activity) in the same coordinates.
 */
export async function portrait(net: Network, activity: Tensor, options: PortraitOptions = {}): Promise<Portrait> {
  checkValue('partialObservation.portrait', 'net', net, is.object('a network { weights, alpha, activation }'), 'argument');
  const o = checkOptions('partialObservation.portrait', PORTRAIT_RULES, options, PORTRAIT_DEFAULTS);
  const n = net.weights.shape[0];
  const p = await pca(activity, { components: 2 });
  const C = p.components.data;
  const G = o.resolution!;
  const sd = [Math.sqrt(p.variance[0]), Math.sqrt(p.variance[1])];
  const grid = new Float64Array(G * G * 2), states = new Float64Array(G * G * n);
  for (let i = 0; i < G; i++)
    for (let j = 0; j < G; j++) {
      const g = i * G + j;
      const c0 = o.extent! * sd[0] * (2 * i / (G - 1) - 1), c1 = o.extent! * sd[1] * (2 * j / (G - 1) - 1);
      grid[2 * g] = c0;
      grid[2 * g + 1] = c1;
      for (let k = 0; k < n; k++) states[g * n + k] = p.mean[k] + C[k * 2] * c0 + C[k * 2 + 1] * c1;
    }
  const model = networkModel(net);
  try {
    const v = (await velocity(model, { data: states, shape: [G * G, n] })).velocity.data;
    const flow = project(v, G * G, n, C, false, p.mean);
    const speed = Float64Array.from({ length: G * G }, (_, g) => Math.hypot(flow[2 * g], flow[2 * g + 1]));
    const out: Portrait = { mean: p.mean, components: p.components, varianceRatio: p.varianceRatio, grid: { data: grid, shape: [G * G, 2] }, flow: { data: flow, shape: [G * G, 2] }, speed };
    if (o.fixedPoints) {
      const rows = activity.data.length / n;
      const fps = await fixedPoints(model, { from: { data: Float64Array.from(activity.data), shape: [rows, n] }, count: Math.min(o.starts!, rows), seed: o.seed, stability: { convention: 'continuous' } });
      const P = fps.points.shape[0];
      const slowest = Float64Array.from({ length: P }, (_, i) => {
        const re = fps.eigenvalues.re.data.slice(i * fps.eigenvalues.re.shape[1], (i + 1) * fps.eigenvalues.re.shape[1]);
        return Math.abs(1 / Math.max(...re.map((x) => x)));
      });
      out.fixedPoints = { points: { data: project(fps.points.data, P, n, C, true, p.mean), shape: [P, 2] }, q: fps.q, type: [...fps.stability.type], slowestTimeConstant: slowest };
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** Rows [rows, n] onto the two axes C [n, 2]: positions (centred on `mean`) or vectors. */
function project(x: ArrayLike<number>, rows: number, n: number, C: Float64Array, positions: boolean, mean: Float64Array): Float64Array {
  const out = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < n; k++) {
      const v = x[r * n + k] - (positions ? mean[k] : 0);
      out[2 * r] += v * C[k * 2];
      out[2 * r + 1] += v * C[k * 2 + 1];
    }
  return out;
}

/** Options of {@link limitCycle}; defaults in {@link LIMIT_CYCLE_DEFAULTS}. */
export interface LimitCycleOptions {
  /** Noise-free runs from random initial states (default 4). */
  runs?: number;
  /** Steps dropped before the oscillation is measured (default 20000). */
  transient?: number;
  /** Steps measured, in two halves whose amplitudes are compared (default 40000: several periods of the slow
   * oscillations a small alpha gives). */
  window?: number;
  /** Std of the Gaussian initial states (default 1). */
  initialScale?: number;
  seed?: number;
}

/** The defaults of {@link limitCycle}. */
export const LIMIT_CYCLE_DEFAULTS = { runs: 4, transient: 20000, window: 40000, initialScale: 1, seed: 0 } as const satisfies LimitCycleOptions;

/**
 * The verdict on a noise-free network's long-time behaviour. A limit cycle is reported when, after the transient,
 * the runs stay bounded, keep an amplitude (RMS distance from their time average, largest run) above 1e-3 of their
 * scale, that amplitude does not decay between the two halves of the window (ratio >= 0.97), and the top-PC
 * projection keeps crossing its mean over the window (at least 3 crossings, 1.5 periods): a sustained bounded
 * oscillation. The linearisation at
 * the origin is reported beside it: an unstable complex pair there (|1 - a + a lambda| > 1, Im lambda != 0) with a
 * bounded orbit is the mechanism of seed 003 fig. 3.
 */
export interface LimitCycle {
  cycle: boolean;
  /** True when a run left every reasonable range (a linear network with an unstable mode). */
  diverged: boolean;
  /** RMS amplitude of the oscillation (largest run) over the second half of the window. */
  amplitude: number;
  /** Amplitude of the second half over the first (1: sustained; < 1: decaying). */
  persistence: number;
  /** Period in steps from the mean-crossings of the top-PC projection over the window (NaN without crossings). */
  period: number;
  /** Largest |1 - a + a lambda| over the eigenvalues of A (the one-step map linearised at 0). */
  originRadius: number;
  /** Whether a complex pair of A is unstable at the origin. */
  unstableComplexPair: boolean;
}

/** Runs `net` without noise and reports whether it settles on a sustained oscillation (see {@link LimitCycle}). */
export async function limitCycle(net: Network, options: LimitCycleOptions = {}): Promise<LimitCycle> {
  checkValue('partialObservation.limitCycle', 'net', net, is.object('a network { weights, alpha, activation }'), 'argument');
  const rules: Rules<LimitCycleOptions> = { runs: is.integer(1), transient: is.integer(0), window: is.integer(8), initialScale: is.positive(), seed: is.seed() };
  const o = checkOptions('partialObservation.limitCycle', rules, options, LIMIT_CYCLE_DEFAULTS);
  const n = net.weights.shape[0];
  const s = await spectrum(net.weights);
  let originRadius = 0, unstableComplexPair = false;
  for (let i = 0; i < n; i++) {
    const re = s.eigenvalues.data[2 * i], im = s.eigenvalues.data[2 * i + 1];
    const r = Math.hypot(1 - net.alpha + net.alpha * re, net.alpha * im);
    originRadius = Math.max(originRadius, r);
    if (r > 1 && Math.abs(im) > 1e-12) unstableComplexPair = true;
  }
  const R = o.runs!, W = o.window!, steps = o.transient! + W;
  const model = networkModel(net);
  let sim;
  try {
    const x0 = new Random(streamSeed(o.seed!, STREAMS.partialInitialState)).fillNormal(new Float64Array(R * n), o.initialScale);
    sim = await model.simulate({ data: new Float64Array(0), shape: [R, steps, 0] }, { drawNoise: false, initialStates: { data: x0, shape: [R, n] }, outputs: false });
  } finally {
    model.dispose();
  }
  const z = sim.states!.data as Float64Array;
  const base = { originRadius, unstableComplexPair };
  if (z.some((v) => !(Math.abs(v) < 1e6))) return { cycle: false, diverged: true, amplitude: Infinity, persistence: NaN, period: NaN, ...base };
  let best = { amplitude: 0, persistence: 0, period: NaN, crossings: 0, scale: 0 };
  for (let r = 0; r < R; r++) {
    const late = z.subarray((r * (steps + 1) + steps + 1 - W) * n, (r * (steps + 1) + steps + 1) * n);
    const half = W >> 1;
    const rms = (from: number, to: number) => {
      const mean = new Float64Array(n);
      for (let t = from; t < to; t++) for (let k = 0; k < n; k++) mean[k] += late[t * n + k] / (to - from);
      let sum = 0, scale = 0;
      for (let t = from; t < to; t++) for (let k = 0; k < n; k++) sum += (late[t * n + k] - mean[k]) ** 2;
      for (let k = 0; k < n; k++) scale += mean[k] ** 2;
      return { amplitude: Math.sqrt(sum / (to - from)), scale: Math.sqrt(scale), mean };
    };
    const first = rms(0, half), second = rms(half, W);
    if (second.amplitude <= best.amplitude) continue;
    const p = await pca({ data: Float64Array.from(late), shape: [W, n] }, { components: 1 });
    let crossings = 0;
    const sc = p.scores.data;
    for (let t = 1; t < sc.length; t++) if (Math.sign(sc[t]) !== Math.sign(sc[t - 1]) && sc[t] !== 0) crossings++;
    best = { amplitude: second.amplitude, persistence: first.amplitude > 0 ? second.amplitude / first.amplitude : 0, period: crossings > 0 ? (2 * sc.length) / crossings : NaN, crossings, scale: Math.max(second.scale, 1) };
  }
  const cycle = best.amplitude > 1e-3 * best.scale && best.persistence >= 0.97 && best.crossings >= 3;
  return { cycle, diverged: false, amplitude: best.amplitude, persistence: best.persistence, period: best.period, ...base };
}
