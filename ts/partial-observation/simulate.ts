// The teacher's simulation and its partial observation (seed 003 eq. 2-3). The engine's full-rank "current"
// formulation, x_{t+1} = x_t + sigma xi_t + alpha (-x_t + W phi(x_t)) with no 1/N on W (DESIGN.md §2), is the seed's
// z_t = (1 - a) z_{t-1} + a B phi(z_{t-1}) + a xi_t, xi ~ N(0, s^2 I), with W = B, alpha = a and sigma = a s.
import { FullRankRNN } from '../model/fullrank.js';
import type { AnyModel } from '../model/index.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, is, optionError, type Rules } from '../core/validate.js';
import { PARTIAL_ACTIVATIONS, spectrum, type PartialActivation } from './estimate.js';
import { userTeacher, type Teacher } from './teachers.js';

/** Options of {@link simulateTeacher}; defaults in {@link SIMULATE_TEACHER_DEFAULTS}. */
export interface SimulateTeacherOptions {
  /** Observed time steps T per trial (default 5000). */
  steps?: number;
  /** Trials B, each its own sequence from its own initial state (default 1). */
  trials?: number;
  /** a = dt / tau (default 0.01, the authors'). */
  alpha?: number;
  /** The process noise std s of xi (default 0.2, the authors'); the engine's per-step sigma is a s. */
  noise?: number;
  /** Std of Gaussian measurement noise added to the observed units (default 0). */
  measurementNoise?: number;
  /** phi: 'linear' (default) or 'tanh'. */
  activation?: PartialActivation;
  /** How many units d are observed (default all). */
  units?: number;
  /** Which: the first d (default, P = [I_d 0] as in the seed) or a seeded random subset. */
  select?: 'first' | 'random';
  /** Steps simulated and dropped before the T observed ones (default 0). */
  burnIn?: number;
  /** Std of the Gaussian initial state (default 1, the authors'). */
  initialScale?: number;
  /** Keep the full teacher states [B, T, D] in the result (default false). */
  keepStates?: boolean;
  /** Seed of the initial states, the noise and the random subset (default 0). */
  seed?: number;
}

/** The defaults of {@link simulateTeacher}. */
export const SIMULATE_TEACHER_DEFAULTS = {
  steps: 5000,
  trials: 1,
  alpha: 0.01,
  noise: 0.2,
  measurementNoise: 0,
  activation: 'linear',
  select: 'first',
  burnIn: 0,
  initialScale: 1,
  keepStates: false,
  seed: 0,
} as const satisfies SimulateTeacherOptions;

function simulateRules(D: number): Rules<SimulateTeacherOptions> {
  return {
    steps: is.integer(2),
    trials: is.integer(1),
    alpha: is.number(0, 1, { minOpen: true }),
    noise: is.nonNegative(),
    measurementNoise: is.nonNegative(),
    activation: is.oneOf(PARTIAL_ACTIVATIONS),
    units: is.integer(1, D),
    select: is.oneOf(['first', 'random']),
    burnIn: is.integer(0),
    initialScale: is.nonNegative(),
    keepStates: is.boolean(),
    seed: is.seed(),
  };
}

/** A simulated teacher and what was observed of it. */
export interface ObservedRun {
  /** The observed activity x^o [B, T, d] (float64), measurement noise included. */
  observed: Tensor<Float64Array>;
  /** The observed units (indices into the teacher's D). */
  units: number[];
  /** The full teacher states [B, T, D], with `keepStates`. */
  states?: Tensor<Float64Array>;
  /** The settings used (every default filled in). */
  options: Required<Omit<SimulateTeacherOptions, 'units'>> & { units: number };
}

/** The teacher's dynamics matrix: a Teacher, a matrix [D, D] or a FullRankRNN (its wrec). */
export function teacherMatrix(source: Teacher | Tensor | AnyModel, where: string): Tensor<Float64Array> {
  if (source instanceof FullRankRNN) return userTeacher(source.param('wrec')).weights;
  if (source !== null && typeof source === 'object' && 'weights' in source) return source.weights;
  if (source !== null && typeof source === 'object' && 'shape' in source) return userTeacher(source).weights;
  throw optionError(where, 'teacher', 'a Teacher, a square matrix [D, D] or a FullRankRNN', source, TypeError, 'argument');
}

/**
 * Simulates the teacher z_t = (1 - a) z_{t-1} + a B phi(z_{t-1}) + a xi_t (B trials of T steps after `burnIn`,
 * native, double precision) and observes d of its D units, adding measurement noise. A teacher whose linear
 * dynamics (1 - a) I + a B are unstable (spectral radius >= 1, linear phi), or whose simulation leaves every
 * reasonable range, is an error that names the argument.
 */
export async function simulateTeacher(source: Teacher | Tensor | AnyModel, options: SimulateTeacherOptions = {}): Promise<ObservedRun> {
  const where = 'partialObservation.simulateTeacher';
  const b = teacherMatrix(source, where);
  const known = source !== null && typeof source === 'object' && 'eigenvalues' in source ? (source as Teacher).eigenvalues : undefined;
  const D = b.shape[0];
  const units = options?.units;
  if (typeof units === 'number' && Number.isInteger(units) && (units < 1 || units > D)) {
    throw optionError(where, 'units', `an integer in [1, ${D}] (the observed units d cannot exceed the teacher's D = ${D})`, units);
  }
  const o = checkOptions(where, simulateRules(D), options, { ...SIMULATE_TEACHER_DEFAULTS, units: D });
  if (o.activation === 'linear') await requireStable(b, known, o.alpha!, where);
  const d = o.units!;
  const observedUnits = o.select === 'random'
    ? new Random(streamSeed(o.seed!, STREAMS.partialObservedUnits)).sampleIndices(D, d).sort((x, y) => x - y)
    : Array.from({ length: d }, (_, i) => i);
  const { trials: B, steps: T, burnIn } = o as Required<SimulateTeacherOptions>;
  const model = new FullRankRNN({
    size: D, inputs: 0, outputs: 0, activation: o.activation, alpha: o.alpha, noise: o.alpha! * o.noise!, dtype: 'float64', init: { wrec: b },
  });
  try {
    const x0 = new Random(streamSeed(o.seed!, STREAMS.partialInitialState)).fillNormal(new Float64Array(B * D), o.initialScale);
    const sim = await model.simulate(
      { data: new Float64Array(0), shape: [B, T + burnIn - 1, 0] },
      { seed: streamSeed(o.seed!, STREAMS.partialProcessNoise), initialStates: { data: x0, shape: [B, D] }, outputs: false },
    );
    const z = sim.states!.data as Float64Array;
    const steps = T + burnIn;
    checkBounded(z, B, steps, D, where);
    const observed = new Float64Array(B * T * d);
    const noise = new Random(streamSeed(o.seed!, STREAMS.partialMeasurementNoise));
    const sd = o.measurementNoise!;
    for (let tr = 0; tr < B; tr++)
      for (let t = 0; t < T; t++) {
        const row = (tr * steps + burnIn + t) * D;
        for (let j = 0; j < d; j++) observed[(tr * T + t) * d + j] = z[row + observedUnits[j]] + (sd > 0 ? sd * noise.normal() : 0);
      }
    const out: ObservedRun = { observed: { data: observed, shape: [B, T, d] }, units: observedUnits, options: o as ObservedRun['options'] };
    if (o.keepStates) {
      const states = new Float64Array(B * T * D);
      for (let tr = 0; tr < B; tr++) states.set(z.subarray((tr * steps + burnIn) * D, (tr * steps + steps) * D), tr * T * D);
      out.states = { data: states, shape: [B, T, D] };
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** Rejects a linear teacher whose one-step map (1 - a) I + a B has spectral radius >= 1. */
async function requireStable(b: Tensor<Float64Array>, known: Tensor | undefined, alpha: number, where: string): Promise<void> {
  const e = (await spectrum(b, known)).eigenvalues.data;
  let radius = 0;
  for (let i = 0; i < e.length; i += 2) radius = Math.max(radius, Math.hypot(1 - alpha + alpha * e[i], alpha * e[i + 1]));
  if (radius >= 1) {
    throw new RangeError(
      `${where}: argument 'teacher' must give stable linear dynamics, the map (1 - a) I + a B with spectral radius < 1; got spectral radius ${radius.toPrecision(6)} (the simulation would diverge): scale the teacher down`,
    );
  }
}

/** Throws when the simulation left every reasonable range (a diverging teacher). */
function checkBounded(z: Float64Array, B: number, steps: number, D: number, where: string): void {
  for (let i = 0; i < z.length; i++) {
    if (!(Math.abs(z[i]) < 1e12)) {
      const trial = Math.floor(i / (steps * D));
      const step = Math.floor(i / D) % steps;
      throw new RangeError(`${where}: argument 'teacher' diverges: its state reached ${z[i]} at step ${step} of trial ${trial}; use a stable teacher (smaller weights or a smaller alpha)`);
    }
  }
}

