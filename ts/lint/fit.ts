// lint.fit: Low-rank Inference from Neural Trajectories (Valente, Pillow & Ostojic 2022; lint_reference.md §5).
// A rank-R student is trained so that its activity, rates phi(x) or states x, reproduces given trajectories under
// the same inputs: m, n and the input vectors wi are trained (si frozen at 1), h0 is fixed at 0, and the loss is
// the masked MSE on every neuron and step. The readout plays no part (the student has no outputs).
import { checkModel } from '../model/check.js';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../model/index.js';
import type { Device } from '../native/load.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import { checkTensor, formatShape, sliceSteps, takeRows, type DType, type Tensor } from '../core/tensor.js';
import { checkOptions, is, optionError, type Rules } from '../core/validate.js';
import { trainEnsemble } from '../training/ensemble.js';
import { train, type EpochReport, type TrainOptions, type TrainResult } from '../training/train.js';
import type { Dataset } from '../training/trials.js';
import { trajectoryR2, type TrajectoryR2 } from './metrics.js';
import { RUN_RULES, STUDENT_TRAINING_RULES, rule, type ActivityKind, type StudentTraining } from './rules.js';

export type { ActivityKind, StudentTraining } from './rules.js';

/** Options of {@link fit}: the student, what it is fitted on, and its training; defaults in {@link LINT_DEFAULTS}. */
export interface LintFitOptions extends StudentTraining {
  /** Rank R of the student (default 1), or 'full' for an unconstrained (full-rank) student. */
  rank?: number | 'full';
  /** Fit rates phi(x) (default) or states x. */
  on?: ActivityKind;
  /** [B, T] or [B, T, N]: 1 where the loss looks (default all ones); 0 e.g. on a free pre-period. */
  mask?: Tensor;
  /**
   * Conditions (trials) kept out of the fit and scored afterwards: a share in (0, 1) drawn at random (seeded), or
   * the indices themselves.
   */
  heldOut?: number | number[];
  /** Initial m, n (and wi) instead of N(0, 1) draws: a low-rank net of the same size, or the arrays (low-rank students). */
  init?: LowRankRNN | Partial<Record<'m' | 'n' | 'wi', Tensor>>;
  seed?: number;
  /**
   * Independent fits of the same data trained side by side in one call (default 1): restart r is the fit with seed
   * `seed + r` (its own initial student and minibatch order), all of them scored on the same held-out trials (drawn
   * from `seed`). The result is the restart with the lowest training loss; `restarts` in the result reports all.
   */
  restarts?: number;
  dtype?: DType;
  device?: Device;
  threads?: number;
  signal?: AbortSignal;
  /** One report per epoch (and, with several restarts, the restart it belongs to). */
  onProgress?: (report: EpochReport, restart: number) => void;
}

/** One restart of a fit with `restarts` (see {@link LintFitOptions.restarts}). */
export interface LintFitRestart {
  /** The seed this restart is the fit of. */
  seed: number;
  /** Its student with its best parameters, or undefined when its training diverged. */
  model?: AnyModel;
  /** Its training run. */
  training: TrainResult;
  /** R² of its noise-free student on the fitted trials (absent when it diverged). */
  r2?: TrajectoryR2;
  /** R² on the held-out trials, when there are any. */
  heldOutR2?: TrajectoryR2;
  /** Why it stopped early (its loss stopped being finite). */
  error?: Error;
}

/** What {@link fit} returns: the fitted student, its training, and its R² on the fitted and held-out trials. */
export interface LintFit {
  /** The student with its best parameters (a LowRankRNN, or a FullRankRNN for rank 'full'). */
  model: AnyModel;
  /** The student's training run. */
  training: TrainResult;
  /** Whether rates or states were fitted. */
  on: ActivityKind;
  /** The student's rank. */
  rank: number | 'full';
  /** Trials the student was fitted on. */
  fitted: number[];
  /** R² of the noise-free student against the targets it was fitted on (masked entries). */
  r2: TrajectoryR2;
  /** The same on the held-out trials, when there are any. */
  heldOut?: { trials: number[]; r2: TrajectoryR2 };
  /** With `restarts` > 1: every restart, in order; the fields above are those of `restarts[best]`. */
  restarts?: LintFitRestart[];
  /** With `restarts` > 1: which restart the result is. */
  best?: number;
}

/**
 * The defaults of `lint.fit` (the reference's): rank 1 on rates, Adam at lr 1e-2 with global-norm clip 1 for 500
 * epochs, keep-best, student noise 0, alpha 0.2, tanh, wi trained; the batch size is min(32, fitted trials).
 */
export const LINT_DEFAULTS = {
  rank: 1,
  on: 'rates',
  epochs: 500,
  lr: 1e-2,
  clip: 1,
  keepBest: true,
  noise: 0,
  alpha: 0.2,
  activation: 'tanh',
  trainInputs: true,
  rho: 1,
  seed: 0,
  restarts: 1,
} as const satisfies LintFitOptions;

/** The rules of `lint.fit` for N neurons and B trials. */
export function lintFitRules(N: number, B: number): Rules<LintFitOptions> {
  return {
    ...STUDENT_TRAINING_RULES,
    ...RUN_RULES,
    rank: [is.integer(1, N), is.oneOf(['full'])],
    on: rule.activity(),
    mask: is.tensor(),
    heldOut: [rule.share(), rule.indices(B, 'trial')],
    init: is.custom('a LowRankRNN or an object of m, n, wi tensors', (v) => v instanceof LowRankRNN || (v !== null && typeof v === 'object' && !Array.isArray(v))),
    seed: is.seed(),
    restarts: is.integer(1, 4096),
    onProgress: is.function(),
  };
}

/** Options of {@link trajectories}; defaults in {@link TRAJECTORY_DEFAULTS}. */
export interface TrajectoryOptions {
  /** Rates phi(x + b) (default) or states x. */
  on?: ActivityKind;
  /** Draw the model's per-step noise (default true: one noisy rollout, as the reference). */
  drawNoise?: boolean;
  /** Seed of the noise (default 0). */
  seed?: number;
  /** Include x_0: [B, T+1, N] (default false: steps 1..T, aligned with the inputs). */
  includeInitial?: boolean;
}

/** The defaults of `lint.trajectories`: rates, one noisy rollout, steps 1..T (x_0 left out). */
export const TRAJECTORY_DEFAULTS = { on: 'rates', drawNoise: true, includeInitial: false } as const satisfies TrajectoryOptions;

const TRAJECTORY_RULES: Rules<TrajectoryOptions> = { on: rule.activity(), drawNoise: is.boolean(), seed: is.seed(), includeInitial: is.boolean() };

/**
 * The activity of `model` on `inputs` of shape [B, T, K]: rates or states of shape [B, T, N] for steps 1..T (aligned
 * with the inputs, as fit targets are), or [B, T+1, N] including x_0 with `includeInitial`.
 */
export async function trajectories(model: AnyModel, inputs: Tensor, options: TrajectoryOptions = {}): Promise<Tensor> {
  checkModel('lint.trajectories', 'model', model);
  const o = checkOptions('lint.trajectories', TRAJECTORY_RULES, options, TRAJECTORY_DEFAULTS);
  const sim = await model.simulate(inputs, {
    drawNoise: o.drawNoise,
    seed: o.seed,
    states: o.on === 'states',
    rates: o.on === 'rates',
    outputs: false,
  });
  const all = (o.on === 'rates' ? sim.rates : sim.states)!;
  return o.includeInitial ? all : sliceSteps(all, 1);
}

/** The held-out trials: the given indices (sorted), or a seeded random share of the B trials. */
function heldOutTrials(heldOut: LintFitOptions['heldOut'], B: number, seed: number): number[] {
  if (heldOut === undefined) return [];
  if (Array.isArray(heldOut)) {
    const unique = [...new Set(heldOut)].sort((a, b) => a - b);
    if (unique.length !== heldOut.length) throw optionError('lint.fit', 'heldOut', 'a list of distinct trial indices', heldOut);
    return unique;
  }
  const count = Math.max(1, Math.round(heldOut * B));
  return new Random(streamSeed(seed, STREAMS.heldOutTrials)).sampleIndices(B, count).sort((a, b) => a - b);
}

function maskOf(mask: Tensor | undefined, trials: number[]): Tensor | undefined {
  return mask ? takeRows(mask, trials) : undefined;
}

/** Trials B and neurons N of targets [B, T, N]. */
function targetSize(targets: Tensor): [number, number] {
  checkTensor(targets, 'targets');
  if (targets.shape.length !== 3) throw new RangeError(`targets must have shape [trials, steps, neurons]; got ${formatShape(targets.shape)}`);
  return [targets.shape[0], targets.shape[2]];
}

/** Checks inputs [B, T, K] and mask [B, T] or [B, T, N] against targets [B, T, N]; returns K. */
function checkFitData(targets: Tensor, inputs: Tensor, mask: Tensor | undefined): number {
  const [B, T, N] = targets.shape;
  checkTensor(inputs, 'inputs');
  if (inputs.shape.length !== 3 || inputs.shape[0] !== B || inputs.shape[1] !== T) {
    throw new RangeError(`inputs must have shape [${B}, ${T}, K] to match targets ${formatShape(targets.shape)}; got ${formatShape(inputs.shape)}`);
  }
  if (mask) {
    if (mask.shape.length === 3) checkTensor(mask, 'mask', [B, T, N]);
    else checkTensor(mask, 'mask', [B, T]);
  }
  return inputs.shape[2];
}

/**
 * Fits a rank-R network to trajectories `targets` [B, T, N] (targets[:, t] is the activity after input step t, i.e.
 * state t+1 of a network started at x_0 = 0) driven by `inputs` [B, T, K]. Adam with global-norm clipping and
 * keep-best, as the reference (lr 1e-2, clip 1, 500 epochs by default). The model keeps the best parameters. When
 * `signal` aborts, the promise rejects with an AbortError whose `model` is the student with its best parameters.
 */
export async function fit(targets: Tensor, inputs: Tensor, options: LintFitOptions = {}): Promise<LintFit> {
  const p = fitProblem('lint.fit', targets, inputs, options);
  const { o } = p;
  if (o.restarts === 1) {
    const model = studentFor(p.N, p.K, o);
    return scoredFit(p, model, await trainStudent(model, p.data, o, p.fitted.length));
  }
  const seeds = Array.from({ length: o.restarts! }, (_, r) => o.seed! + r);
  const restarts: LintFitRestart[] = await trainStudents(seeds.map((seed) => ({ problem: p, seed })), o);
  for (const r of restarts) {
    if (!r.model) continue;
    const scored = await scoredFit(p, r.model, r.training);
    r.r2 = scored.r2;
    if (scored.heldOut) r.heldOutR2 = scored.heldOut.r2;
  }
  const best = bestRestart(restarts);
  const chosen = restarts[best];
  const result: LintFit = { model: chosen.model!, training: chosen.training, on: o.on!, rank: o.rank!, fitted: p.fitted, r2: chosen.r2!, restarts, best };
  if (p.heldOut) result.heldOut = { trials: p.held, r2: chosen.heldOutR2! };
  return result;
}

/** One fit of {@link fitMany}: the fit of its target, or why its training stopped (its loss stopped being finite). */
export type LintFitOutcome = { fit: LintFit; error?: undefined } | { fit?: undefined; error: Error; training: TrainResult };

/**
 * Fits one student to each of several targets in one call: `targets[i]` [B_i, T_i, N] driven by `inputs[i]`, all
 * with the same N and K and the same options (`restarts` 1). The students train side by side in one ensemble; fit i
 * is bit for bit `lint.fit(targets[i], inputs[i], options)`. A fit whose training diverges stops alone with its
 * error; the others go on.
 */
export async function fitMany(targets: readonly Tensor[], inputs: readonly Tensor[], options: LintFitOptions = {}): Promise<LintFitOutcome[]> {
  const where = 'lint.fitMany';
  if (!Array.isArray(targets) || targets.length === 0) throw optionError(where, 'targets', 'a non-empty array of tensors', targets, TypeError, 'argument');
  if (!Array.isArray(inputs) || inputs.length !== targets.length) {
    throw optionError(where, 'inputs', `an array of ${targets.length} tensors (one per target)`, inputs, TypeError, 'argument');
  }
  const problems = targets.map((t, i) => fitProblem(`${where}: targets[${i}]`, t, inputs[i], options));
  problems.forEach((p, i) => {
    if (p.N !== problems[0].N || p.K !== problems[0].K) {
      throw new RangeError(`${where}: every target must have the neurons and input channels of targets[0] (${problems[0].N}, ${problems[0].K}); targets[${i}] has ${p.N}, ${p.K}`);
    }
  });
  if (problems[0].o.restarts !== 1) throw optionError(where, 'restarts', '1 (fitMany fits each target once)', problems[0].o.restarts);
  const runs = await trainStudents(problems.map((problem) => ({ problem, seed: problem.o.seed! })), problems[0].o);
  return Promise.all(runs.map(async (r, i) => (r.model ? { fit: await scoredFit(problems[i], r.model, r.training) } : { error: r.error!, training: r.training })));
}

/** A checked fit: its options, sizes, held-out and fitted trials and their data. */
interface FitProblem {
  o: LintFitOptions;
  N: number;
  K: number;
  held: number[];
  fitted: number[];
  data: Dataset;
  heldOut?: Dataset;
}

function fitProblem(where: string, targets: Tensor, inputs: Tensor, options: LintFitOptions): FitProblem {
  const [B, N] = targetSize(targets);
  const o = checkOptions(where, lintFitRules(N, B), options, LINT_DEFAULTS);
  const K = checkFitData(targets, inputs, o.mask);
  const held = heldOutTrials(o.heldOut, B, o.seed!);
  const heldSet = new Set(held);
  const fitted = [...Array(B).keys()].filter((i) => !heldSet.has(i));
  if (fitted.length === 0) throw optionError(where, 'heldOut', 'a share or a list of trials that leaves some trials to fit', o.heldOut);
  const rows = (trials: number[]) => ({ inputs: takeRows(inputs, trials), targets: takeRows(targets, trials), mask: maskOf(o.mask, trials) });
  const data = held.length ? rows(fitted) : { inputs, targets, mask: o.mask };
  return { o, N, K, held, fitted, data, heldOut: held.length ? rows(held) : undefined };
}

/** The fit of `problem` by a trained student: R² of the noise-free student on the fitted (and held-out) trials. */
async function scoredFit(problem: FitProblem, model: AnyModel, training: TrainResult): Promise<LintFit> {
  const { o, data, heldOut } = problem;
  const score = async (d: Dataset) => trajectoryR2(d.targets, await trajectories(model, d.inputs, { on: o.on, drawNoise: false }), { mask: d.mask });
  const result: LintFit = { model, training, on: o.on!, rank: o.rank!, fitted: problem.fitted, r2: await score(data) };
  if (heldOut) result.heldOut = { trials: problem.held, r2: await score(heldOut) };
  return result;
}

/** The restart with the lowest training loss among those that did not diverge (the first one's error when all did). */
function bestRestart(restarts: LintFitRestart[]): number {
  let best = -1;
  restarts.forEach((r, i) => {
    if (r.model && (best < 0 || r.training.bestLoss < restarts[best].training.bestLoss)) best = i;
  });
  if (best < 0) throw restarts[0].error!;
  return best;
}

/** The options train() gets for a student fitted with seed `seed` (without the call's signal and progress). */
function studentTraining(o: LintFitOptions, trials: number, seed: number): TrainOptions {
  return {
    lossOn: o.on,
    epochs: o.epochs,
    lr: o.lr,
    clip: o.clip,
    batchSize: o.batchSize ?? Math.min(32, trials),
    earlyStop: o.earlyStop,
    keepBest: o.keepBest,
    drawNoise: o.noise! > 0,
    seed: streamSeed(seed, STREAMS.studentTraining),
  };
}

/** One student per (problem, seed), all trained side by side in one ensemble (`o`: the call's threads, signal and
 * progress); a student whose training diverged is disposed and reported by its error. */
async function trainStudents(students: { problem: FitProblem; seed: number }[], o: LintFitOptions): Promise<LintFitRestart[]> {
  const models = students.map(({ problem: p, seed }) => studentFor(p.N, p.K, { ...p.o, seed }));
  try {
    const members = students.map(({ problem: p, seed }) => studentTraining(p.o, p.fitted.length, seed));
    const onProgress = o.onProgress && ((r: number, report: EpochReport) => o.onProgress!(report, r));
    const data = students.map(({ problem }) => problem.data);
    const runs = await trainEnsemble(models, data, { members, threads: o.threads || undefined, signal: o.signal, onProgress });
    return runs.map(({ error, ...training }, r) => {
      if (error) models[r].dispose();
      return { seed: students[r].seed, model: error ? undefined : models[r], training, ...(error ? { error } : {}) };
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') Object.assign(err as Error, { models });
    else for (const m of models) m.dispose();
    throw err;
  }
}

/** Trains the student on the fitted trials; an aborted fit hands its student (best parameters) to the caller. */
async function trainStudent(
  model: AnyModel,
  data: { inputs: Tensor; targets: Tensor; mask?: Tensor },
  o: LintFitOptions,
  trials: number,
): Promise<TrainResult> {
  try {
    const onProgress = o.onProgress && ((report: EpochReport) => o.onProgress!(report, 0));
    return await train(model, data, { ...studentTraining(o, trials, o.seed!), signal: o.signal, onProgress });
  } catch (err) {
    if ((err as Error).name === 'AbortError') Object.assign(err as Error, { model });
    else model.dispose();
    throw err;
  }
}

/**
 * The student of the reference: LowRankRNN(N, R) with m, n, wi ~ N(0, 1) (or `init`), si = 1 frozen, h0 = 0 and no
 * outputs; or, for rank 'full', a FullRankRNN with wrec ~ N(0, rho^2 / N) and the same input treatment.
 */
function studentFor(N: number, K: number, o: LintFitOptions): AnyModel {
  const common = {
    size: N,
    inputs: K,
    outputs: 0,
    noise: o.noise,
    alpha: o.alpha,
    activation: o.activation,
    train: o.trainInputs ? { wi: true } : { si: false },
    seed: streamSeed(o.seed!, STREAMS.studentInitialWeights),
    dtype: o.dtype,
    device: o.device,
    threads: o.threads,
  };
  if (o.rank === 'full') {
    if (o.init) throw optionError('lint.fit', 'init', "undefined for rank 'full' (an unconstrained student starts from wrec ~ N(0, rho^2 / N))", o.init, TypeError);
    return new FullRankRNN({ ...common, rho: o.rho });
  }
  return new LowRankRNN({ ...common, rank: o.rank, init: initialFactors(o.init, N, o.rank!, K) });
}

/** The initial m, n, wi of a low-rank student: a net's (its si folded into wi, since the student's si is 1) or the given arrays. */
function initialFactors(init: LintFitOptions['init'], N: number, rank: number, K: number): Partial<Record<'m' | 'n' | 'wi', Tensor>> | undefined {
  if (!(init instanceof LowRankRNN)) return init;
  if (init.size !== N || init.rank !== rank || init.inputSize !== K) {
    const got = `a net of rank ${init.rank}, size ${init.size}, ${init.inputSize} inputs`;
    throw new RangeError(`lint.fit: option 'init' must be a rank-${rank} net of size ${N} with ${K} inputs; got ${got}`);
  }
  const p = init.params();
  const si = p.si.data;
  const wi = p.wi.data.map((v, i) => v * si[Math.floor(i / N)]);
  return { m: p.m, n: p.n, wi: { data: wi, shape: p.wi.shape } };
}
