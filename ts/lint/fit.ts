// lint.fit: Low-rank Inference from Neural Trajectories (Valente, Pillow & Ostojic 2022; lint_reference.md §5).
// A rank-R student is trained so that its activity, rates phi(x) or states x, reproduces given trajectories under
// the same inputs: m, n and the input vectors wi are trained (si frozen at 1), h0 is fixed at 0, and the loss is
// the masked MSE on every neuron and step. The readout plays no part (the student has no outputs).
import { FullRankRNN, LowRankRNN, checkSeed, type Activation, type AnyModel } from '../model/models.js';
import type { Device } from '../native/load.js';
import { Random } from '../core/random.js';
import { checkTensor, formatShape, sliceSteps, takeRows, type DType, type Tensor } from '../core/tensor.js';
import { train, type EpochReport, type TrainResult } from '../training/train.js';
import { trajectoryR2, type TrajectoryR2 } from './metrics.js';

/** Which activity is fitted and compared: rates phi(x + b) (the LINT default) or states x (recordings). */
export type ActivityKind = 'rates' | 'states';

export interface LintFitOptions {
  /** Rank R of the student (default 1), or 'full' for an unconstrained (full-rank) student. */
  rank?: number | 'full';
  /** Fit rates phi(x) (default) or states x. */
  on?: ActivityKind;
  /** [B, T] or [B, T, N]: 1 where the loss looks (default all ones); 0 e.g. on a free pre-period. */
  mask?: Tensor;
  /**
   * Conditions (trials) kept out of the fit and scored afterwards: a fraction in (0, 1) drawn at random (seeded), or
   * the indices themselves.
   */
  heldOut?: number | number[];
  epochs?: number;
  lr?: number;
  clip?: number;
  /** Default min(32, number of fitted trials). */
  batchSize?: number;
  earlyStop?: number;
  keepBest?: boolean;
  /** Per-step noise sigma of the student while it is fitted (default 0). */
  noise?: number;
  alpha?: number;
  activation?: Activation;
  /** Train the input vectors wi (default true, as in the reference). */
  trainInputs?: boolean;
  /** Initial m, n (and wi) instead of N(0, 1) draws: a low-rank net of the same size, or the arrays (low-rank students). */
  init?: LowRankRNN | Partial<Record<'m' | 'n' | 'wi', Tensor>>;
  /** Initial connectivity scale of a full-rank student, wrec ~ N(0, rho^2 / N) (default 1). */
  rho?: number;
  seed?: number;
  dtype?: DType;
  device?: Device;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (report: EpochReport) => void;
}

export interface LintFit {
  model: AnyModel;
  training: TrainResult;
  on: ActivityKind;
  rank: number | 'full';
  /** Trials the student was fitted on. */
  fitted: number[];
  /** R² of the noise-free student against the targets it was fitted on (masked entries). */
  r2: TrajectoryR2;
  /** The same on the held-out trials, when there are any. */
  heldOut?: { trials: number[]; r2: TrajectoryR2 };
}

export const LINT_DEFAULTS = { rank: 1, epochs: 500, lr: 1e-2, clip: 1, noise: 0, alpha: 0.2 } as const;

/**
 * The activity of `model` on `inputs` [B, T, K]: rates or states [B, T, N] for steps 1..T (aligned with the inputs,
 * as fit targets are), or [B, T+1, N] including x_0 with `includeInitial`.
 */
export async function trajectories(
  model: AnyModel,
  inputs: Tensor,
  opts: { on?: ActivityKind; noise?: boolean; seed?: number; includeInitial?: boolean } = {},
): Promise<Tensor> {
  const on = checkActivityKind(opts.on);
  const sim = await model.simulate(inputs, {
    noise: opts.noise ?? true,
    seed: opts.seed,
    states: on === 'states',
    rates: on === 'rates',
    outputs: false,
  });
  const all = (on === 'rates' ? sim.rates : sim.states)!;
  return opts.includeInitial ? all : sliceSteps(all, 1);
}

export function checkActivityKind(on: unknown): ActivityKind {
  const v = on ?? 'rates';
  if (v !== 'rates' && v !== 'states') throw new TypeError(`on must be 'rates' or 'states'; got ${JSON.stringify(on)}`);
  return v;
}

function heldOutTrials(heldOut: LintFitOptions['heldOut'], B: number, seed: number): number[] {
  if (heldOut === undefined) return [];
  if (Array.isArray(heldOut)) {
    const unique = new Set(heldOut);
    heldOut.forEach((i, k) => {
      if (!Number.isInteger(i) || i < 0 || i >= B) throw new RangeError(`heldOut[${k}] must be a trial index in [0, ${B}); got ${i}`);
    });
    if (unique.size !== heldOut.length) throw new RangeError('heldOut lists a trial more than once');
    return [...unique].sort((a, b) => a - b);
  }
  if (typeof heldOut !== 'number' || !(heldOut > 0 && heldOut < 1)) {
    throw new RangeError(`heldOut must be a fraction in (0, 1) or an array of trial indices; got ${JSON.stringify(heldOut)}`);
  }
  const count = Math.max(1, Math.round(heldOut * B));
  return new Random(seed + 7919).sampleIndices(B, count).sort((a, b) => a - b);
}

function maskOf(mask: Tensor | undefined, trials: number[]): Tensor | undefined {
  return mask ? takeRows(mask, trials) : undefined;
}

/**
 * Fits a rank-R network to trajectories `targets` [B, T, N] (targets[:, t] is the activity after input step t, i.e.
 * state t+1 of a network started at x_0 = 0) driven by `inputs` [B, T, K]. Adam with global-norm clipping and
 * keep-best, as the reference (lr 1e-2, clip 1, 500 epochs by default). The model keeps the best parameters. When
 * `signal` aborts, the promise rejects with an AbortError whose `model` is the student with its best parameters.
 */
export async function fit(targets: Tensor, inputs: Tensor, opts: LintFitOptions = {}): Promise<LintFit> {
  checkTensor(targets, 'targets');
  checkTensor(inputs, 'inputs');
  if (targets.shape.length !== 3) throw new RangeError(`targets must have shape [trials, steps, neurons]; got ${formatShape(targets.shape)}`);
  const [B, T, N] = targets.shape;
  if (inputs.shape.length !== 3 || inputs.shape[0] !== B || inputs.shape[1] !== T) {
    throw new RangeError(`inputs must have shape [${B}, ${T}, K] to match targets ${formatShape(targets.shape)}; got ${formatShape(inputs.shape)}`);
  }
  const on = checkActivityKind(opts.on);
  const seed = checkSeed(opts.seed);
  const rank = opts.rank ?? LINT_DEFAULTS.rank;
  if (opts.mask) {
    if (opts.mask.shape.length === 3) checkTensor(opts.mask, 'mask', [B, T, N]);
    else checkTensor(opts.mask, 'mask', [B, T]);
  }
  const held = heldOutTrials(opts.heldOut, B, seed);
  const heldSet = new Set(held);
  const fitted = [...Array(B).keys()].filter((i) => !heldSet.has(i));
  if (fitted.length === 0) throw new RangeError('heldOut leaves no trial to fit on');

  const model = studentFor(N, inputs.shape[2], rank, opts, seed);
  const fitTargets = held.length ? takeRows(targets, fitted) : targets;
  const fitInputs = held.length ? takeRows(inputs, fitted) : inputs;
  const fitMask = held.length ? maskOf(opts.mask, fitted) : opts.mask;
  let training: TrainResult;
  try {
    training = await train(
      model,
      { inputs: fitInputs, targets: fitTargets, mask: fitMask },
      {
        lossOn: on,
        epochs: opts.epochs ?? LINT_DEFAULTS.epochs,
        lr: opts.lr ?? LINT_DEFAULTS.lr,
        clip: opts.clip ?? LINT_DEFAULTS.clip,
        batchSize: opts.batchSize ?? Math.min(32, fitted.length),
        earlyStop: opts.earlyStop,
        keepBest: opts.keepBest ?? true,
        noise: (opts.noise ?? LINT_DEFAULTS.noise) > 0,
        seed,
        signal: opts.signal,
        onProgress: opts.onProgress,
      },
    );
  } catch (err) {
    // an aborted fit hands its student (holding the best parameters) to the caller on the error; otherwise it is freed
    if ((err as Error).name === 'AbortError') Object.assign(err as Error, { model });
    else model.dispose();
    throw err;
  }
  const score = async (x: Tensor, u: Tensor, mask: Tensor | undefined) =>
    trajectoryR2(x, await trajectories(model, u, { on, noise: false }), { mask });
  const result: LintFit = { model, training, on, rank, fitted, r2: await score(fitTargets, fitInputs, fitMask) };
  if (held.length) {
    result.heldOut = { trials: held, r2: await score(takeRows(targets, held), takeRows(inputs, held), maskOf(opts.mask, held)) };
  }
  return result;
}

/**
 * The student of the reference: LowRankRNN(N, R) with m, n, wi ~ N(0, 1) (or `init`), si = 1 frozen, h0 = 0 and no
 * outputs; or, for rank 'full', a FullRankRNN with wrec ~ N(0, rho^2 / N) and the same input treatment.
 */
function studentFor(N: number, K: number, rank: number | 'full', opts: LintFitOptions, seed: number): AnyModel {
  const common = {
    size: N,
    inputs: K,
    outputs: 0,
    noise: opts.noise ?? LINT_DEFAULTS.noise,
    alpha: opts.alpha ?? LINT_DEFAULTS.alpha,
    activation: opts.activation ?? 'tanh',
    train: (opts.trainInputs ?? true) ? { wi: true } : { si: false },
    seed: seed + 1,
    dtype: opts.dtype,
    device: opts.device,
    threads: opts.threads,
  };
  if (rank === 'full') {
    if (opts.init) throw new TypeError("init applies to low-rank students; rank 'full' starts from wrec ~ N(0, rho^2 / N)");
    return new FullRankRNN({ ...common, rho: opts.rho });
  }
  if (!Number.isInteger(rank) || rank < 1 || rank > N) throw new RangeError(`rank must be an integer in [1, ${N}] or 'full'; got ${JSON.stringify(rank)}`);
  let init: Partial<Record<'m' | 'n' | 'wi', Tensor>> | undefined;
  if (opts.init instanceof LowRankRNN) {
    if (opts.init.size !== N || opts.init.rank !== rank || opts.init.inputSize !== K) {
      throw new RangeError(
        `init must be a rank-${rank} net of size ${N} with ${K} inputs; got rank ${opts.init.rank}, size ${opts.init.size}, ${opts.init.inputSize} inputs`,
      );
    }
    const p = opts.init.params();
    const si = p.si.data;
    // the student's si is 1: fold the initial net's input scales into wi
    const wi = p.wi.data.map((v, i) => v * si[Math.floor(i / N)]);
    init = { m: p.m, n: p.n, wi: { data: wi, shape: p.wi.shape } };
  } else {
    init = opts.init;
  }
  return new LowRankRNN({ ...common, rank, init });
}
