// The package's seeded random numbers in TypeScript (task generation, initial weights, minibatch order):
// xoshiro128** seeded through splitmix32, Gaussian variates by Box-Muller. The native engine's per-step noise uses
// its own counter-based generator (Philox), which must be addressable per (step, trial, neuron) on GPU threads.
// The models' initial weights are drawn with this generator ported to the native core (native/core/initial_values),
// so that large nets are drawn off the event loop; test/model/initial-values.test.ts keeps the two in step.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator for task trials, initial weights and minibatch order: xoshiro128** seeded through
 * splitmix32, normal variates by Box-Muller. Equal seeds give equal streams on every platform.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  /** `seed` is any safe integer; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer; got ${seed}`);
    const st = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2f) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs a positive integer n; got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal variate. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with N(mean, std^2) variates. */
  fillNormal<A extends Float32Array | Float64Array>(out: A, std = 1, mean = 0): A {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** One element of `items`, uniformly. */
  choice<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** `k` distinct indices from [0, n), in random order. */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot draw ${k} distinct indices from ${n}`);
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, k);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The seeds of the package's named random streams. Every stochastic step draws from its own stream, derived from the
 * user's seed, the stream's name and optional indices (an epoch, a draw), so that adding a draw in one place never
 * shifts the numbers of another. Two places that must draw the same numbers name the same stream (for example the
 * teacher's held-out trajectories of a LINT fit and of its SVD-truncation baselines: both are scored against the
 * same teacher run). Streams are listed in STREAMS so that the names are checked by the compiler.
 */
export const STREAMS = {
  /** The order of minibatches in one epoch of training (indexed by the epoch: a resumed run draws the same). */
  minibatchOrder: 'minibatch-order',
  /** The noise of train()'s held-out trials: one draw, the same every epoch, so that keep-best and early stopping
   * compare epochs on the same noise (a lower validation loss means better parameters, not a luckier draw). */
  validationNoise: 'validation-noise',
  /** The trials of a LINT fit held out for scoring. */
  heldOutTrials: 'held-out-trials',
  /** The per-step noise (and the minibatch order) of a fitted student while it is trained. */
  studentTraining: 'student-training',
  /** The initial weights of a fitted student (m, n, wi, or wrec for an unconstrained student). */
  studentInitialWeights: 'student-initial-weights',
  /** The teacher's trajectories that a LINT fit is fitted to. */
  teacherTargets: 'teacher-targets',
  /** The teacher's run that fits and truncations are scored against (shared: a fit and its baselines must agree). */
  teacherComparison: 'teacher-comparison',
  /** The other network's run in a comparison (its own noise, as the reference evaluates). */
  comparedNetwork: 'compared-network',
  /** A student's or truncation's task trials for accuracy (shared by fits and baselines). */
  studentAccuracy: 'student-accuracy',
  /** The teacher's own task accuracy on the same trials. */
  teacherAccuracy: 'teacher-accuracy',
  /** The neurons drawn in the subsampling experiment (indexed by the draw and the count). */
  subsampledNeurons: 'subsampled-neurons',
  /** The neurons of a resampled network (populations; indexed by the draw). */
  resampledConnectivity: 'resampled-connectivity',
  /** The task trials that populations analyses score networks on (one draw shared by every network compared). */
  populationTrials: 'population-trials',
  /** The neurons inactivated in a draw (indexed by the group and the draw). */
  inactivatedNeurons: 'inactivated-neurons',
  /** The subsamples of a bootstrap stability analysis (indexed by the bootstrap). */
  bootstrapSubsample: 'bootstrap-subsample',
  /** The null data of ePAIRS and of the stability analysis (indexed by the draw). */
  populationNull: 'population-null',
  /** The connectivity of a partial-observation teacher (its random rotation, vectors and spectrum draws). */
  partialTeacher: 'partial-teacher',
  /** The initial states of a partial-observation teacher's trials (and of a limit-cycle check's noise-free runs). */
  partialInitialState: 'partial-initial-state',
  /** The process noise of a partial-observation teacher's simulation. */
  partialProcessNoise: 'partial-process-noise',
  /** The measurement noise added to the observed units. */
  partialMeasurementNoise: 'partial-measurement-noise',
  /** The observed units when they are a random subset. */
  partialObservedUnits: 'partial-observed-units',
} as const;

export type StreamName = (typeof STREAMS)[keyof typeof STREAMS];

/** The seed of stream `name` (indexed by `indices`) under the user's `seed`: a safe integer, well mixed. */
export function streamSeed(seed: number, name: StreamName, ...indices: number[]): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer; got ${seed}`);
  const st = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2f) };
  let h = splitmix32(st);
  const mix = (x: number) => {
    st.s = (st.s ^ x ^ h) | 0;
    h = splitmix32(st);
  };
  for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  for (const index of indices) {
    if (!Number.isSafeInteger(index)) throw new RangeError(`stream index must be a safe integer; got ${index}`);
    mix(index >>> 0);
    mix(Math.floor(index / 4294967296) | 0);
  }
  const high = splitmix32(st) & 0x1fffff; // 21 bits
  return high * 4294967296 + h;
}
