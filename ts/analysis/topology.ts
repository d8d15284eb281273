// The fixed-point topology graph (pyrnn, after Maheswaranathan et al. 2019): noisy restarts from each point, run
// forward without noise at the point's constant input, and where they end; transition probabilities between points.
import type { AnyModel } from '../model/index.js';
import type { NativeSearchProgress } from '../native/binding.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { saveResult } from '../results/format.js';
import { ANALYSIS_RULE, dynamics, modelArgs, runJob } from './common.js';
import type { FixedPoints } from './fixed-points.js';

/** Options of {@link topology}; defaults in {@link TOPOLOGY_DEFAULTS}. */
export interface TopologyOptions {
  /** Restarts per point (default 64, as pyrnn). */
  restarts?: number;
  /** Std of the Gaussian perturbation of each restart, per coordinate (default 0.1 x the result's coordinate scale). */
  perturbation?: number;
  /** A run ends at a point within this distance (default: half the smallest distance between two points of one
   * condition, at most 0.1 x the RMS radius of the reference states). */
  radius?: number;
  /** Steps x -> x + alpha F(x) at most (default 2000). */
  maxSteps?: number;
  /** How often a run looks for a stable point it has reached (default every 10 steps). */
  checkEvery?: number;
  /** Seed of the perturbations (default 0). */
  seed?: number;
  /** CPU threads (default 0: all cores). */
  threads?: number;
  /** Aborts the runs; the call then rejects with an error named AbortError. */
  signal?: AbortSignal;
  /** Called with the phase ('settle') and how many runs are done. */
  onProgress?: (p: NativeSearchProgress) => void;
}

/**
 * The fixed-point topology graph: where noisy restarts from each point of a {@link FixedPoints} result ended, as counts
 * and transition probabilities between its P points.
 */
export interface Topology {
  /** Shape [P, P + 1], row-major: restarts from point i that ended at point j; the last column counts runs that ended at none. */
  counts: Int32Array;
  /** counts / restarts, [P, P + 1] */
  probabilities: Tensor<Float64Array>;
  /** 95 % Wilson score intervals of the probabilities, [P, P + 1] each. */
  lower: Tensor<Float64Array>;
  /** See `lower`. */
  upper: Tensor<Float64Array>;
  /** Restarts per point. */
  restarts: number;
  /** Per run (point-major, restarts per point): the point it ended at (-1: none) and the steps it took. */
  end: Int32Array;
  /** See `end`. */
  steps: Int32Array;
  /** The perturbation std used. */
  perturbation: number;
  /** The end radius used. */
  radius: number;
  /** The step limit used. */
  maxSteps: number;
}

/**
 * The defaults of topology. Without a default: perturbation (0.1 x the result's coordinate scale) and radius (half the
 * smallest distance between two points of one condition, at most 0.1 x the RMS radius of the reference states).
 */
export const TOPOLOGY_DEFAULTS = Object.freeze({ restarts: 64, maxSteps: 2000, checkEvery: 10, seed: 0, threads: 0 });

const TOPOLOGY_RULES: Rules<TopologyOptions> = {
  restarts: is.integer(1),
  perturbation: is.nonNegative(),
  radius: is.positive(),
  maxSteps: is.integer(1),
  checkEvery: is.integer(1),
  seed: is.seed(),
  threads: ANALYSIS_RULE.threads,
  signal: ANALYSIS_RULE.signal,
  onProgress: ANALYSIS_RULE.onProgress,
};

function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Default radius: half the smallest distance between two points of one condition, at most 0.1 x the radius scale. */
function defaultRadius(fps: FixedPoints): number {
  const [P, N] = fps.points.shape;
  const x = fps.points.data;
  let closest = Infinity;
  for (let a = 0; a < P; a++)
    for (let b = a + 1; b < P; b++) {
      if (fps.condition[a] !== fps.condition[b]) continue;
      let d = 0;
      for (let i = 0; i < N; i++) d += (x[a * N + i] - x[b * N + i]) ** 2;
      closest = Math.min(closest, Math.sqrt(d));
    }
  return Math.min(closest / 2, 0.1 * fps.scales.radius);
}

function checkResult(fps: FixedPoints, N: number, K: number): void {
  if (!fps?.points?.shape || fps.points.shape[1] !== N) {
    throw new RangeError(`fps must be a fixed-point result of this model (points [P, ${N}])`);
  }
  if (fps.points.shape[0] < 1) throw new RangeError('fps has no points');
  if (fps.inputs.shape[1] !== K) throw new RangeError(`fps.inputs must have ${K} columns for this model; got ${fps.inputs.shape[1]}`);
}

/** The runs: `restarts` perturbed copies of each point (point-major), each with its point's input and condition. */
function restartsFrom(fps: FixedPoints, K: number, restarts: number, perturbation: number, seed: number) {
  const [P, N] = fps.points.shape;
  const rng = new Random(seed);
  const S = P * restarts;
  const starts = new Float64Array(S * N);
  const inputs = new Float64Array(S * K);
  const conditions = new Int32Array(S);
  for (let p = 0; p < P; p++) {
    const c = fps.condition[p];
    for (let r = 0; r < restarts; r++) {
      const s = p * restarts + r;
      for (let i = 0; i < N; i++) starts[s * N + i] = fps.points.data[p * N + i] + perturbation * rng.normal();
      inputs.set(fps.inputs.data.subarray(c * K, (c + 1) * K), s * K);
      conditions[s] = c;
    }
  }
  return { count: S, starts, inputs, conditions };
}

/** Counts of where the runs from each point ended, their probabilities and 95 % Wilson intervals. */
function transitions(end: Int32Array, P: number, restarts: number) {
  const W = P + 1;
  const counts = new Int32Array(P * W);
  end.forEach((to, s) => (counts[Math.floor(s / restarts) * W + (to >= 0 ? to : P)] += 1));
  const probabilities = new Float64Array(P * W);
  const lower = new Float64Array(P * W);
  const upper = new Float64Array(P * W);
  counts.forEach((k, i) => {
    probabilities[i] = k / restarts;
    [lower[i], upper[i]] = wilson(k, restarts);
  });
  const shape = [P, W];
  return { counts, probabilities: { data: probabilities, shape }, lower: { data: lower, shape }, upper: { data: upper, shape } };
}

/** Transition probabilities between the points of a fixed-point result (see docs/analysis.md). */
export async function topology(model: AnyModel, fps: FixedPoints, options: TopologyOptions = {}): Promise<Topology> {
  const o = checkOptions<TopologyOptions>('topology', TOPOLOGY_RULES, options, TOPOLOGY_DEFAULTS);
  const m = modelArgs(model);
  checkResult(fps, m.size, m.inputs);
  const P = fps.points.shape[0];
  const restarts = o.restarts!;
  const perturbation = checkValue<number>('topology', 'perturbation', o.perturbation ?? 0.1 * fps.scales.coordinate, TOPOLOGY_RULES.perturbation);
  const radius = checkValue<number>('topology', 'radius', o.radius ?? defaultRadius(fps), TOPOLOGY_RULES.radius);
  const runs = restartsFrom(fps, m.inputs, restarts, perturbation, o.seed!);
  const stable = Uint8Array.from(fps.stability.type, (t) => (t === 'stable' ? 1 : 0));
  const points = Float64Array.from(fps.points.data);
  const native = { starts: runs.count, points: P, maxSteps: o.maxSteps!, checkEvery: o.checkEvery!, radius, settleQ: fps.tolerances.q, threads: o.threads! };
  const run = await runJob(
    'the topology runs',
    (onProgress) =>
      dynamics().settle(m.spec, m.params, runs.starts, runs.inputs, runs.conditions, points, Int32Array.from(fps.condition), stable, native, onProgress),
    o.signal,
    o.onProgress,
  );
  return { ...transitions(run.end, P, restarts), restarts, end: run.end, steps: run.steps, perturbation, radius, maxSteps: o.maxSteps! };
}

/**
 * Writes a topology as a .npz numpy reads (kind 'topology'): counts [P, P + 1], probabilities, lower, upper, end and
 * steps; restarts, perturbation, radius and maxSteps in `meta`.
 */
export async function saveTopology(path: string, t: Topology): Promise<void> {
  checkValue('saveTopology', 'path', path, is.string(), 'argument');
  checkValue('saveTopology', 't', t, is.object(), 'argument');
  const P = t.probabilities.shape[0];
  const { restarts, perturbation, radius, maxSteps } = t;
  const arrays = {
    counts: { data: t.counts, shape: [P, P + 1] },
    probabilities: t.probabilities,
    lower: t.lower,
    upper: t.upper,
    end: t.end,
    steps: t.steps,
  };
  await saveResult(path, 'topology', arrays, { meta: { restarts, perturbation, radius, maxSteps } });
}
