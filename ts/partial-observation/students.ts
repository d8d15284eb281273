// BPTT students of size d (seed 003's "BPTT" students): a full-rank or rank-r network of the seed's form, trained
// with the package's training loop (train(): Adam, global-norm clipping, keep-best, as lint.fit trains its
// students) on the observed trajectories. lint.fit itself starts every trial from h0 = 0; a student of noisy
// observed activity must start each window from the data, so each window's first step injects the observed state
// through a fixed identity input (x_1 = a (wi^T u_0) = x_s with u_0 = x_s / a, phi(0) = 0), and the loss looks at
// the next `horizon` states only. With horizon 1 the loss is the one-step prediction error, whose minimiser is the
// closed-form estimate with ridge 0 (the check of docs/partial-observation.md).
import { checkModel } from '../model/check.js';
import { FullRankRNN } from '../model/fullrank.js';
import { LowRankRNN } from '../model/lowrank.js';
import type { AnyModel } from '../model/index.js';
import { STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { train, type EpochReport, type TrainResult } from '../training/train.js';
import { PARTIAL_ACTIVATIONS, observedShape, spectrum, type PartialActivation, type Spectrum } from './estimate.js';

/** Options of {@link fitStudent}; defaults in {@link STUDENT_DEFAULTS}. */
export interface StudentOptions {
  /** a = dt / tau of the student (required: the teacher's). */
  alpha?: number;
  /** phi: 'linear' (default) or 'tanh'. */
  activation?: PartialActivation;
  /** 'full' (default) or the rank r of a low-rank student J = m n^T / d. */
  rank?: number | 'full';
  /** Steps predicted from each observed state (default 1: one-step prediction). */
  horizon?: number;
  /** Training epochs (default 300). */
  epochs?: number;
  /** Adam's learning rate (default 3e-2). */
  lr?: number;
  /** Windows per minibatch (default all: full-batch Adam, so that keep-best compares the full loss). */
  batchSize?: number;
  /** Global-norm gradient clip (default 1). */
  clip?: number;
  /** Seed of the initial weights and the minibatch order (default 0). */
  seed?: number;
  signal?: AbortSignal;
  /** One report per epoch. */
  onProgress?: (report: EpochReport) => void;
}

/** The defaults of {@link fitStudent}. */
export const STUDENT_DEFAULTS = { activation: 'linear', rank: 'full', horizon: 1, epochs: 300, lr: 3e-2, clip: 1, seed: 0 } as const satisfies StudentOptions;

/** A BPTT student: the network, its effective dynamics matrix and spectrum, and its training. */
export interface Student extends Spectrum {
  /** The trained network (size d, d inputs: the fixed identity that injects the observed state). */
  model: AnyModel;
  /** Its dynamics matrix A [d, d]: wrec, or m n^T / d. */
  A: Tensor<Float64Array>;
  training: TrainResult;
}

/** The windows a student is fitted on: inputs, targets and mask of [W, horizon + 1, d]. */
export function studentWindows(states: Tensor, alpha: number, horizon: number): { inputs: Tensor; targets: Tensor; mask: Tensor } {
  const where = 'partialObservation.studentWindows';
  const { B, T, d } = observedShape(states, where);
  checkValue(where, 'alpha', alpha, is.number(0, 1, { minOpen: true }), 'argument');
  checkValue(where, 'horizon', horizon, is.integer(1, Math.max(1, T - 1)), 'argument');
  const L = horizon + 1;
  const starts: number[] = [];
  for (let b = 0; b < B; b++) for (let s = 0; s + horizon <= T - 1; s += horizon) starts.push(b * T + s);
  const W = starts.length;
  const inputs = new Float64Array(W * L * d), targets = new Float64Array(W * L * d), mask = new Float64Array(W * L);
  const x = states.data;
  starts.forEach((row, w) => {
    for (let j = 0; j < d; j++) inputs[w * L * d + j] = x[row * d + j] / alpha;
    targets.set(x.subarray(row * d, (row + L) * d), w * L * d);
    for (let k = 1; k < L; k++) mask[w * L + k] = 1;
  });
  return { inputs: { data: inputs, shape: [W, L, d] }, targets: { data: targets, shape: [W, L, d] }, mask: { data: mask, shape: [W, L] } };
}

/** Fits a BPTT student of size d to observed activity [T, d] or [B, T, d] (see the module comment). */
export async function fitStudent(states: Tensor, options: StudentOptions): Promise<Student> {
  const where = 'partialObservation.fitStudent';
  const { d } = observedShape(states, where);
  const rules: Rules<StudentOptions> = {
    alpha: is.number(0, 1, { minOpen: true }),
    activation: is.oneOf(PARTIAL_ACTIVATIONS),
    rank: [is.integer(1, d), is.oneOf(['full'])],
    horizon: is.integer(1),
    epochs: is.integer(1),
    lr: is.positive(),
    batchSize: is.integer(1),
    clip: is.positive(),
    seed: is.seed(),
    signal: is.signal(),
    onProgress: is.function(),
  };
  const o = checkOptions(where, rules, options, STUDENT_DEFAULTS);
  if (o.alpha === undefined) throw new TypeError(`${where}: option 'alpha' must be given (the teacher's a); got undefined`);
  const data = studentWindows(states, o.alpha, o.horizon!);
  const identity = new Float64Array(d * d);
  for (let i = 0; i < d; i++) identity[i * d + i] = 1;
  const common = {
    size: d, inputs: d, outputs: 0, noise: 0, alpha: o.alpha, activation: o.activation, dtype: 'float64' as const,
    train: { wi: false, si: false, h0: false },
    seed: streamSeed(o.seed!, STREAMS.studentInitialWeights),
  };
  const model: AnyModel = o.rank === 'full'
    ? new FullRankRNN({ ...common, rho: 0.1, init: { wi: identity } })
    : new LowRankRNN({ ...common, rank: o.rank, init: { wi: identity } });
  let training: TrainResult;
  try {
    training = await train(model, data, {
      lossOn: 'states', epochs: o.epochs, lr: o.lr, clip: o.clip, batchSize: Math.min(o.batchSize ?? Infinity, data.inputs.shape[0]),
      keepBest: true, drawNoise: false, seed: streamSeed(o.seed!, STREAMS.studentTraining), signal: o.signal, onProgress: o.onProgress,
    });
  } catch (err) {
    model.dispose();
    throw err;
  }
  const A = dynamicsMatrix(model);
  return { model, A, training, ...(await spectrum(A)) };
}

/** The dynamics matrix of a student: wrec, or m n^T / N. */
export function dynamicsMatrix(model: AnyModel): Tensor<Float64Array> {
  checkModel('partialObservation.dynamicsMatrix', 'model', model);
  const N = model.size;
  if (model instanceof FullRankRNN) return { data: Float64Array.from(model.param('wrec').data), shape: [N, N] };
  const m = model.param('m').data, n = model.param('n').data;
  const R = (model as LowRankRNN).rank;
  const a = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < R; k++) s += m[i * R + k] * n[j * R + k];
      a[i * N + j] = s / N;
    }
  return { data: a, shape: [N, N] };
}
