// The fixed-point topology graph (pyrnn, after Maheswaranathan et al. 2019): noisy restarts from each point, run
// forward without noise at the point's constant input, and where they end; transition probabilities between points.
import { saveNpz } from '../io/index.js';
import type { AnyModel } from '../model/models.js';
import { checkSeed, requireInt, requireNumber } from '../model/models.js';
import type { NativeSearchProgress } from '../native/binding.js';
import { Random } from '../core/random.js';
import { mergeOptions } from '../tasks/validate.js';
import type { Tensor } from '../core/tensor.js';
import { checkThreads, dynamics, modelArgs, runJob } from './common.js';
import type { FixedPoints } from './fixed-points.js';

export interface TopologyOptions {
  /** Restarts per point (default 64, as pyrnn). */
  restarts?: number;
  /** Std of the Gaussian perturbation of each restart, per coordinate (default 0.1 x the result's coordinate scale). */
  noise?: number;
  /** A run ends at a point within this distance (default: half the smallest distance between two points of one
   * condition, at most 0.1 x the RMS radius of the reference states). */
  radius?: number;
  /** Steps x -> x + alpha F(x) at most (default 2000). */
  maxSteps?: number;
  /** How often a run looks for a stable point it has reached (default every 10 steps). */
  checkEvery?: number;
  seed?: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: NativeSearchProgress) => void;
}

export interface Topology {
  /** [P, P + 1]: restarts from point i that ended at point j; the last column counts runs that ended at none. */
  counts: Int32Array;
  /** counts / restarts, [P, P + 1] */
  probabilities: Tensor<Float64Array>;
  /** 95 % Wilson score intervals of the probabilities, [P, P + 1] each. */
  lower: Tensor<Float64Array>;
  upper: Tensor<Float64Array>;
  restarts: number;
  /** Per run (point-major, restarts per point): the point it ended at (-1: none) and the steps it took. */
  end: Int32Array;
  steps: Int32Array;
  noise: number;
  radius: number;
  maxSteps: number;
}

const DEFAULTS: TopologyOptions = {
  restarts: 64,
  noise: undefined,
  radius: undefined,
  maxSteps: 2000,
  checkEvery: 10,
  seed: undefined,
  threads: 0,
  signal: undefined,
  onProgress: undefined,
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

/** Transition probabilities between the points of a fixed-point result (see docs/analysis.md). */
export async function topology(model: AnyModel, fps: FixedPoints, options: TopologyOptions = {}): Promise<Topology> {
  const o = mergeOptions('topology', DEFAULTS, options);
  const m = modelArgs(model);
  if (!fps?.points?.shape || fps.points.shape[1] !== m.size) {
    throw new RangeError(`fps must be a fixed-point result of this model (points [P, ${m.size}])`);
  }
  const [P, N] = fps.points.shape;
  if (P < 1) throw new RangeError('fps has no points');
  const K = m.inputs;
  if (fps.inputs.shape[1] !== K) throw new RangeError(`fps.inputs must have ${K} columns for this model; got ${fps.inputs.shape[1]}`);
  const restarts = requireInt(o.restarts, 'restarts', 1);
  const noise = requireNumber(o.noise ?? 0.1 * fps.scales.coordinate, 'noise', (v) => v >= 0, 'a number >= 0');
  const radius = requireNumber(o.radius ?? defaultRadius(fps), 'radius', (v) => v > 0, 'a number > 0');
  const maxSteps = requireInt(o.maxSteps, 'maxSteps', 1);
  const checkEvery = requireInt(o.checkEvery, 'checkEvery', 1);
  const threads = checkThreads(o.threads);
  const rng = new Random(checkSeed(o.seed));

  const S = P * restarts;
  const starts = new Float64Array(S * N);
  const inputs = new Float64Array(S * K);
  const startConditions = new Int32Array(S);
  for (let p = 0; p < P; p++) {
    const c = fps.condition[p];
    for (let r = 0; r < restarts; r++) {
      const s = p * restarts + r;
      for (let i = 0; i < N; i++) starts[s * N + i] = fps.points.data[p * N + i] + noise * rng.normal();
      inputs.set(fps.inputs.data.subarray(c * K, (c + 1) * K), s * K);
      startConditions[s] = c;
    }
  }
  const stable = Uint8Array.from(fps.stability.type, (t) => (t === 'stable' ? 1 : 0));
  const run = await runJob(
    'the topology runs',
    (onProgress) =>
      dynamics().settle(
        m.spec,
        m.params,
        starts,
        inputs,
        startConditions,
        Float64Array.from(fps.points.data),
        Int32Array.from(fps.condition),
        stable,
        { starts: S, points: P, maxSteps, checkEvery, radius, settleQ: fps.tolerances.q, threads },
        onProgress,
      ),
    o.signal,
    o.onProgress,
  );

  const W = P + 1;
  const counts = new Int32Array(P * W);
  for (let s = 0; s < S; s++) {
    const from = Math.floor(s / restarts);
    const to = run.end[s] >= 0 ? run.end[s] : P;
    counts[from * W + to] += 1;
  }
  const probabilities = new Float64Array(P * W);
  const lower = new Float64Array(P * W);
  const upper = new Float64Array(P * W);
  counts.forEach((k, i) => {
    probabilities[i] = k / restarts;
    [lower[i], upper[i]] = wilson(k, restarts);
  });
  const shape = [P, W];
  return {
    counts,
    probabilities: { data: probabilities, shape },
    lower: { data: lower, shape },
    upper: { data: upper, shape },
    restarts,
    end: run.end,
    steps: run.steps,
    noise,
    radius,
    maxSteps,
  };
}

/** Writes a topology as a .npz numpy reads: counts, probabilities, lower, upper, end, steps and a JSON `info`. */
export async function saveTopology(path: string, t: Topology): Promise<void> {
  const P = t.probabilities.shape[0];
  await saveNpz(path, {
    counts: { data: t.counts, shape: [P, P + 1] },
    probabilities: t.probabilities,
    lower: t.lower,
    upper: t.upper,
    end: { data: t.end, shape: [t.end.length] },
    steps: { data: t.steps, shape: [t.steps.length] },
    info: JSON.stringify({ restarts: t.restarts, noise: t.noise, radius: t.radius, maxSteps: t.maxSteps }),
  });
}
