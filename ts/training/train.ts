// train(model, task or dataset): the reference training loop (Adam, random minibatches, global-norm clipping,
// keep-best, early stop) run by the native engine, with validation, progress and cancellation.
import { existsSync } from 'node:fs';
import { abortError } from '../core/errors.js';
import { loadNpz, saveNpz, toFloatTensor, toStringScalar, type NpyValue } from '../io/index.js';
import type { AnyModel, LossOn } from '../model/models.js';
import { checkLossOn, checkSeed } from '../model/models.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

/** Trials to train on: inputs [D, T, K], targets [D, T, F], mask [D, T, F] or [D, T] (default all ones). */
export interface Dataset {
  inputs: Tensor;
  targets: Tensor;
  mask?: Tensor;
  /** Per-trial metadata (tasks provide it; accuracy functions may read it). */
  conditions?: Record<string, number[]>;
}

/** What train() needs from a task: trials for a seed, and optionally the task's accuracy. */
export interface TrainableTask {
  readonly name: string;
  sample(batch: number, opts?: { seed?: number }): Dataset;
  accuracy?(outputs: Tensor, batch: Dataset): number;
}

export interface EpochReport {
  epoch: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Mean of this epoch's minibatch losses (the reference's keep-best and early-stop criterion). */
  loss: number;
  validationLoss?: number;
  validationAccuracy?: number;
  seconds: number;
  best: boolean;
}

/** Learning-rate schedules: multiply by `factor` every `every` epochs, or after `patience` epochs without a better
 * epoch loss (relative improvement below `threshold`, default 1e-4), never below `minLr` (default 0). */
export type LrSchedule =
  | { kind: 'step'; every: number; factor: number }
  | { kind: 'plateau'; patience: number; factor: number; threshold?: number; minLr?: number };

export interface CheckpointOptions {
  /** The .npz written (atomically) every `every` epochs and after the last epoch; it is also a model file. */
  path: string;
  every?: number;
}

export interface TrainOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** Global gradient-norm clip; 0 or undefined = off. */
  clip?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Restore the parameters of the epoch with the lowest loss at the end (default true). */
  keepBest?: boolean;
  /** Stop as soon as an epoch's mean loss falls below this value. */
  earlyStop?: number;
  lossOn?: LossOn;
  /** Trials generated from a task (default 1000, as in the reference). */
  examples?: number;
  /** Fraction of trials held out for validation (default 0.2 for tasks, 0 for datasets). */
  validationSplit?: number;
  /** Per-step noise during training (default true). */
  noise?: boolean;
  seed?: number;
  lrSchedule?: LrSchedule;
  checkpoint?: CheckpointOptions;
  /**
   * Curriculum hook, for tasks: called at the start of every epoch; a task different from the current one replaces it
   * (its trials are generated with the same seed and count), e.g. `(e) => e <= 100 ? dms.withMaxDelay(700) : dms`.
   * It must depend on the epoch only, so that a resumed run sees the same tasks.
   */
  curriculum?: (epoch: number) => TrainableTask | undefined;
  /** Continue from this checkpoint (or, with `true`, from `checkpoint.path` when it exists): parameters, Adam
   * moments, best parameters, the learning rate and the epoch reports are restored, and the run reaches the same
   * result as one never interrupted. `epochs` is the total, not the number still to run. */
  resume?: string | boolean;
  signal?: AbortSignal;
  onProgress?: (report: EpochReport) => void;
}

export interface TrainResult {
  epochs: EpochReport[];
  bestLoss: number;
  /** 0 = the initial parameters were never beaten. */
  bestEpoch: number;
  aborted: boolean;
  seconds: number;
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(value: unknown, name: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number; got ${JSON.stringify(value)}`);
  }
  return value;
}

function sliceTrials(d: Dataset, from: number, to: number): Dataset {
  const cut = (t: Tensor): Tensor => {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return { data: t.data.slice(from * per, to * per), shape: [to - from, ...t.shape.slice(1)] };
  };
  const conditions = d.conditions
    ? Object.fromEntries(Object.entries(d.conditions).map(([k, v]) => [k, v.slice(from, to)]))
    : undefined;
  return { inputs: cut(d.inputs), targets: cut(d.targets), mask: d.mask ? cut(d.mask) : undefined, conditions };
}

const trainingAborted = (result: TrainResult) => abortError('training was aborted; the model holds its best parameters', { result });

const CHECKPOINT_VERSION = 1;

/** What must match between a checkpoint and the run that resumes it. */
interface RunSignature {
  seed: number;
  batchSize: number;
  lossOn: LossOn;
  trials: number;
  validation: number;
  model: string;
}

interface CheckpointState {
  version: number;
  epoch: number;
  lr: number;
  bestLoss: number;
  bestEpoch: number;
  plateauEpochs: number;
  optimizerStep: number;
  reports: EpochReport[];
  signature: RunSignature;
}

function validateSchedule(schedule: LrSchedule | undefined): void {
  if (!schedule) return;
  if (schedule.kind === 'step') {
    positiveInt(schedule.every, 'lrSchedule.every');
  } else if (schedule.kind === 'plateau') {
    positiveInt(schedule.patience, 'lrSchedule.patience');
  } else {
    throw new TypeError(`lrSchedule.kind must be 'step' or 'plateau'; got ${JSON.stringify((schedule as { kind: unknown }).kind)}`);
  }
  if (!(schedule.factor > 0 && schedule.factor <= 1)) throw new RangeError(`lrSchedule.factor must be in (0, 1]; got ${schedule.factor}`);
}

/** Minibatch order of one epoch: its own stream, so that a resumed run draws what the uninterrupted one drew. */
function epochIndices(seed: number, epoch: number, steps: number, batch: number, trials: number): Int32Array {
  const rng = new Random(Number((BigInt(seed) * 1000003n + BigInt(epoch)) % 9007199254740881n));
  const indices = new Int32Array(steps * batch);
  for (let s = 0; s < steps; s++) indices.set(rng.sampleIndices(trials, batch), s * batch);
  return indices;
}

async function writeCheckpoint(path: string, model: AnyModel, best: Float32Array | Float64Array, state: CheckpointState): Promise<void> {
  const opt = model.handle.optimizerState();
  const arrays: Record<string, NpyValue> = {
    ...model.params(),
    config: JSON.stringify(model.config),
    best_params: { data: best, shape: [best.length] },
    adam_m: { data: opt.m, shape: [opt.m.length] },
    adam_v: { data: opt.v, shape: [opt.v.length] },
    training: JSON.stringify(state),
  };
  await saveNpz(path, arrays);
}

async function readCheckpoint(path: string, model: AnyModel, signature: RunSignature) {
  const arrays = await loadNpz(path);
  for (const key of ['training', 'best_params', 'adam_m', 'adam_v']) {
    if (!arrays[key]) throw new Error(`${path} is not a training checkpoint: array '${key}' is missing`);
  }
  const state = JSON.parse(toStringScalar(arrays.training, `${path}: 'training'`)) as CheckpointState;
  if (state.version !== CHECKPOINT_VERSION) throw new Error(`${path}: checkpoint version ${state.version} is not supported`);
  for (const key of Object.keys(signature) as (keyof RunSignature)[]) {
    if (state.signature[key] !== signature[key]) {
      throw new Error(`${path} was written by a different run: ${key} was ${JSON.stringify(state.signature[key])}, now ${JSON.stringify(signature[key])}; resume with the same options or start afresh`);
    }
  }
  const values: Record<string, Float32Array | Float64Array> = {};
  for (const name of model.paramNames) values[name] = toFloatTensor(arrays[name], `${path}: '${name}'`, model.dtype).data;
  model.setParams(values);
  const best = toFloatTensor(arrays.best_params, `${path}: 'best_params'`, model.dtype).data;
  const m = toFloatTensor(arrays.adam_m, `${path}: 'adam_m'`, 'float64').data as Float64Array;
  const v = toFloatTensor(arrays.adam_v, `${path}: 'adam_v'`, 'float64').data as Float64Array;
  model.handle.setOptimizerState({ step: state.optimizerStep, m, v });
  return { state, best };
}

/**
 * Trains `model` in place. With a task, `examples` trials are generated once (seeded) and the last
 * `validationSplit` of them are held out, as in the reference generators. Each epoch runs floor(train / batchSize)
 * Adam steps on minibatches drawn without replacement within a batch. Rejects with an AbortError when `signal`
 * aborts (within one minibatch) and with an Error when the loss becomes NaN/Inf; in both cases the model keeps its
 * best parameters.
 */
export async function train(model: AnyModel, source: TrainableTask | Dataset, opts: TrainOptions = {}): Promise<TrainResult> {
  const epochs = positiveInt(opts.epochs ?? 1, 'epochs');
  const lr = positiveNumber(opts.lr ?? 1e-3, 'lr');
  const batchSize = positiveInt(opts.batchSize ?? 32, 'batchSize');
  const clip = positiveNumber(opts.clip ?? 0, 'clip', true);
  const lossOn = checkLossOn(opts.lossOn);
  const seed = checkSeed(opts.seed);
  const keepBest = opts.keepBest ?? true;
  const noise = opts.noise ?? true;
  const isTask = typeof (source as TrainableTask).sample === 'function';
  const split = opts.validationSplit ?? (isTask ? 0.2 : 0);
  if (!(split >= 0 && split < 1)) throw new RangeError(`validationSplit must be in [0, 1); got ${split}`);
  if (opts.earlyStop !== undefined) positiveNumber(opts.earlyStop, 'earlyStop');

  if (opts.curriculum !== undefined && (!isTask || typeof opts.curriculum !== 'function')) {
    throw new TypeError('curriculum must be a function (epoch) => task, and train() must be given a task');
  }
  const examples = isTask ? positiveInt(opts.examples ?? 1000, 'examples') : 0;
  // Trials of the current task (or the dataset), split into training and validation trials.
  const materialize = (t: TrainableTask | undefined) => {
    const all = t ? t.sample(examples, { seed }) : (source as Dataset);
    const count = all.inputs.shape[0];
    const held = Math.floor(count * split);
    const kept = count - held;
    if (kept < batchSize) {
      throw new RangeError(`batchSize (${batchSize}) is larger than the ${kept} training trials; lower batchSize or add trials`);
    }
    const trainSet = held > 0 ? sliceTrials(all, 0, kept) : all;
    return {
      total: count,
      nVal: held,
      nTrain: kept,
      trainSet,
      valSet: held > 0 ? sliceTrials(all, kept, count) : undefined,
      data: model.prepareBatch(trainSet, lossOn, t ? `${t.name} trials` : 'dataset'),
    };
  };
  let task = isTask ? (source as TrainableTask) : undefined;
  let trials = materialize(task);
  const { total, nVal, nTrain } = trials;
  const stepsPerEpoch = Math.floor(nTrain / batchSize);
  validateSchedule(opts.lrSchedule);
  const checkpointEvery = opts.checkpoint ? positiveInt(opts.checkpoint.every ?? 1, 'checkpoint.every') : 0;
  const signature: RunSignature = {
    seed,
    batchSize,
    lossOn,
    trials: total,
    validation: nVal,
    model: JSON.stringify({ ...model.config, train: undefined }),
  };

  const started = performance.now();
  let reports: EpochReport[] = [];
  let bestLoss: number;
  let bestParams: Float32Array | Float64Array;
  let bestEpoch = 0;
  let currentLr = lr;
  let plateauEpochs = 0;
  let firstEpoch = 1;
  const resumeFrom = opts.resume === true ? opts.checkpoint?.path : opts.resume || undefined;
  if (opts.resume === true && !opts.checkpoint) throw new TypeError('resume: true needs checkpoint.path; or pass the checkpoint path as resume');
  if (resumeFrom && existsSync(resumeFrom)) {
    const { state, best } = await readCheckpoint(resumeFrom, model, signature);
    reports = state.reports;
    bestLoss = state.bestLoss;
    bestEpoch = state.bestEpoch;
    bestParams = best;
    currentLr = state.lr;
    plateauEpochs = state.plateauEpochs;
    firstEpoch = state.epoch + 1;
  } else {
    if (typeof opts.resume === 'string') throw new Error(`resume: checkpoint ${opts.resume} does not exist`);
    bestLoss = await model.loss(trials.trainSet, { lossOn, seed, noise: false });
    bestParams = model.flatParams();
  }
  const handle = model.handle;
  const onAbort = () => handle.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const result = (aborted: boolean): TrainResult => ({
    epochs: reports,
    bestLoss,
    bestEpoch,
    aborted,
    seconds: (performance.now() - started) / 1000,
  });
  const restoreBest = () => {
    if (keepBest) model.setFlatParams(bestParams);
  };
  const checkpoint = (epoch: number) =>
    writeCheckpoint(opts.checkpoint!.path, model, bestParams, {
      version: CHECKPOINT_VERSION,
      epoch,
      lr: currentLr,
      bestLoss,
      bestEpoch,
      plateauEpochs,
      optimizerStep: handle.optimizerState().step,
      reports,
      signature,
    });

  try {
    for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) {
        restoreBest();
        throw trainingAborted(result(true));
      }
      const stage = opts.curriculum?.(epoch);
      if (stage && stage !== task) {
        task = stage;
        trials = materialize(task);
      }
      const { data, valSet } = trials;
      const t0 = performance.now();
      let run;
      try {
        run = await handle.trainSteps(data.inputs, data.targets, data.mask, epochIndices(seed, epoch, stepsPerEpoch, batchSize, nTrain), {
          examples: data.B,
          steps: data.T,
          lossOn,
          batch: batchSize,
          optimizerSteps: stepsPerEpoch,
          lr: currentLr,
          beta1: opts.beta1 ?? 0.9,
          beta2: opts.beta2 ?? 0.999,
          eps: opts.eps ?? 1e-8,
          clip,
          seed,
          noise,
        });
      } catch (err) {
        restoreBest();
        const e = err as Error;
        throw new Error(`training diverged in epoch ${epoch}: ${e.message}; the model holds its best parameters (epoch ${bestEpoch})`, { cause: err });
      }
      if (run.aborted || opts.signal?.aborted) {
        restoreBest();
        throw trainingAborted(result(true));
      }
      const loss = run.losses.reduce((a, b) => a + b, 0) / Math.max(1, run.losses.length);
      const report: EpochReport = { epoch, lr: currentLr, loss, seconds: 0, best: false };
      const threshold = opts.lrSchedule?.kind === 'plateau' ? (opts.lrSchedule.threshold ?? 1e-4) : 0;
      if (loss < bestLoss * (1 - threshold)) plateauEpochs = 0;
      else plateauEpochs += 1;
      if (loss < bestLoss) {
        bestLoss = loss;
        bestEpoch = epoch;
        bestParams = model.flatParams();
        report.best = true;
      }
      if (valSet) {
        report.validationLoss = await model.loss(valSet, { lossOn, seed: seed + epoch, noise });
        if (task?.accuracy && lossOn === 'outputs') {
          const sim = await model.simulate(valSet.inputs, { seed: seed + epoch, noise, states: false });
          report.validationAccuracy = task.accuracy(sim.outputs!, valSet);
        }
      }
      currentLr = nextLearningRate(opts.lrSchedule, currentLr, epoch, plateauEpochs);
      if (opts.lrSchedule?.kind === 'plateau' && plateauEpochs >= opts.lrSchedule.patience) plateauEpochs = 0;
      report.seconds = (performance.now() - t0) / 1000;
      reports.push(report);
      const stopping = epoch === epochs || (opts.earlyStop !== undefined && loss < opts.earlyStop);
      if (opts.checkpoint && (stopping || epoch % checkpointEvery === 0)) await checkpoint(epoch);
      opts.onProgress?.(report);
      if (stopping) break;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  restoreBest();
  return result(false);
}

function nextLearningRate(schedule: LrSchedule | undefined, lr: number, epoch: number, plateauEpochs: number): number {
  if (!schedule) return lr;
  if (schedule.kind === 'step') return epoch % schedule.every === 0 ? lr * schedule.factor : lr;
  if (plateauEpochs >= schedule.patience) return Math.max(schedule.minLr ?? 0, lr * schedule.factor);
  return lr;
}
