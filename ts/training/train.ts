// train(model, task or dataset): the reference training loop (Adam, random minibatches, global-norm clipping,
// keep-best, early stop) run by the native engine, with validation, progress, checkpoints and cancellation. Read
// `train` top to bottom: check the options, claim the model, split the trials, start (or resume) the run, then each
// epoch: optimise, evaluate, record, checkpoint, report.
import { existsSync } from 'node:fs';
import { abortError } from '../core/errors.js';
import { STREAMS, streamSeed } from '../core/random.js';
import type { AnyModel } from '../model/index.js';
import { readCheckpoint, writeCheckpoint, type RunSignature } from './checkpoint.js';
import { checkTrainArguments, checkTrainOptions, resolveMonitor, type Monitor, type ResolvedTrainOptions, type TrainOptions } from './options.js';
import type { NativeEnsembleMember } from '../native/binding.js';
import { monitoredLoss, recordEpoch, type EpochReport, type RunState, type TrainResult } from './progress.js';
import { isTask, minibatchOrder, splitTrials, stepsPerEpoch, type Dataset, type TrainableTask, type TrialSplit } from './trials.js';

export type { CheckpointOptions, LrSchedule, Monitor, TrainOptions, WeightDecay } from './options.js';
export type { EpochReport, TrainResult } from './progress.js';
export type { Dataset, TrainableTask } from './trials.js';

/** One run: the model, its checked options, the monitored loss, what a checkpoint must match, when it started. */
export interface Run {
  model: AnyModel;
  opts: ResolvedTrainOptions;
  monitor: Monitor;
  signature: RunSignature;
  started: number;
}

/** Models being trained: a second train() or trainEnsemble() on one of them is refused (they would share Adam's state). */
const inTraining = new WeakSet<AnyModel>();

/** Claims `models` for one call (all or none); the returned function releases them. `names[i]` says which model. */
export function claimModels(where: string, models: readonly AnyModel[], names: readonly string[] = ['this model']): () => void {
  models.forEach((model, i) => {
    if (inTraining.has(model)) {
      throw new Error(`${where}: ${names[i]} is already being trained by another train() or trainEnsemble() call; await it or abort it first`);
    }
  });
  models.forEach((model) => inTraining.add(model));
  return () => models.forEach((model) => inTraining.delete(model));
}

/**
 * Trains `model` in place. With a task, `trials` trials are generated once (seeded) and the last `heldOut` share of
 * them are held out, as in the reference generators. Each epoch runs floor(training trials / batchSize) Adam steps on
 * minibatches drawn without replacement within a batch. Keep-best, `earlyStop` and the plateau schedule follow the
 * held-out trials' loss when there are any (`monitor` chooses). Rejects with an AbortError when `signal` aborts
 * (within one minibatch) and with an Error when the loss becomes NaN/Inf; in both cases the model keeps its best
 * parameters. One train() at a time per model: a second concurrent call is rejected.
 */
export async function train(model: AnyModel, source: TrainableTask | Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  checkTrainArguments(model, source);
  const opts = checkTrainOptions(options, isTask(source), model.paramNames);
  const release = claimModels('train', [model]);
  try {
    let stage = splitTrials(model, source, opts);
    const run = startRun(model, opts, stage);
    const state = await initialState(run, stage);
    for (let epoch = state.firstEpoch; epoch <= opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw aborted(run, state);
      stage = stageOf(run, stage, epoch);
      const report = await runEpoch(run, state, stage, epoch);
      const stopping = stopsAfter(run, report);
      await checkpointAfter(run, state, epoch, stopping);
      opts.onProgress?.(report);
      if (stopping) break;
    }
    restoreBest(run, state);
    return resultOf(run, state, false);
  } finally {
    release();
  }
}

export function startRun(model: AnyModel, opts: ResolvedTrainOptions, stage: TrialSplit): Run {
  const heldOut = stage.validation?.inputs.shape[0] ?? 0;
  const monitor = resolveMonitor(opts.monitor, heldOut);
  const { seed, batchSize, lossOn } = opts;
  const model_ = JSON.stringify({ ...model.config, train: undefined });
  const signature: RunSignature = { seed, batchSize, lossOn, trials: stage.total, heldOut, monitor, model: model_ };
  return { model, opts, monitor, signature, started: performance.now() };
}

/** A fresh run's state (the initial parameters are the best so far), or the checkpoint's when resuming. */
export async function initialState(run: Run, stage: TrialSplit): Promise<RunState> {
  const { model, opts } = run;
  if (opts.resumeFrom && existsSync(opts.resumeFrom)) return readCheckpoint(opts.resumeFrom, model, run.signature);
  if (opts.resumeRequired) throw new Error(`train: resume: checkpoint ${opts.resumeFrom} does not exist`);
  const bestLoss =
    run.monitor === 'validation'
      ? (await evaluate(run, stage)).validationLoss
      : await model.loss(stage.training, { lossOn: opts.lossOn, seed: opts.seed, drawNoise: false });
  return { reports: [], bestLoss, bestEpoch: 0, bestParams: model.flatParams(), lr: opts.lr, plateauEpochs: 0, firstEpoch: 1 };
}

/** The trials of `epoch`: the curriculum's task when it names a new one. */
export function stageOf(run: Run, stage: TrialSplit, epoch: number): TrialSplit {
  const task = run.opts.curriculum?.(epoch);
  return task && task !== stage.task ? splitTrials(run.model, task, run.opts) : stage;
}

async function runEpoch(run: Run, state: RunState, stage: TrialSplit, epoch: number): Promise<EpochReport> {
  const t0 = performance.now();
  const losses = await optimise(run, state, stage, epoch);
  return finishEpoch(run, state, stage, epoch, losses, t0);
}

/** An epoch's report from its minibatch losses (run since `t0`): validation, keep-best, the next learning rate. */
export async function finishEpoch(run: Run, state: RunState, stage: TrialSplit, epoch: number, losses: Float64Array, t0: number): Promise<EpochReport> {
  const report: EpochReport = { epoch, lr: state.lr, loss: epochLoss(losses), monitor: run.monitor, seconds: 0, best: false };
  if (stage.validation) Object.assign(report, await evaluate(run, stage));
  recordEpoch(state, report, () => run.model.flatParams(), run.opts.lrSchedule);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** An epoch's loss: the mean of its minibatch losses (the engine's epoch_rules.hpp sums them in the same order). */
export function epochLoss(losses: Float64Array): number {
  return losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
}

/** Whether the run stops after `report`: its last epoch, or early stopping. */
export function stopsAfter(run: Run, report: EpochReport): boolean {
  const { epochs, earlyStop } = run.opts;
  return report.epoch === epochs || (earlyStop !== undefined && monitoredLoss(report) < earlyStop);
}

/** The engine's arguments for one epoch of Adam steps (the same for train() and for an ensemble's member), or for
 * `count` epochs from `epoch` on (their minibatches one epoch after another; the learning rate is the first's). */
export function epochSteps(run: Run, state: RunState, stage: TrialSplit, epoch: number, count = 1): Omit<NativeEnsembleMember, 'model'> {
  const { opts } = run;
  const { prepared: data } = stage;
  const steps = stepsPerEpoch(stage, opts.batchSize);
  const order = (e: number) => minibatchOrder(opts.seed, e, steps, opts.batchSize, stage.training.inputs.shape[0]);
  const perEpoch = steps * opts.batchSize;
  const indices = count === 1 ? order(epoch) : new Int32Array(perEpoch * count);
  for (let k = 0; count > 1 && k < count; k++) indices.set(order(epoch + k), k * perEpoch);
  const options = {
    examples: data.B,
    steps: data.T,
    lossOn: opts.lossOn,
    batch: opts.batchSize,
    optimizerSteps: steps,
    lr: state.lr,
    beta1: opts.beta1,
    beta2: opts.beta2,
    eps: opts.eps,
    clip: opts.clip,
    weightDecay: opts.weightDecay,
    seed: opts.seed,
    drawNoise: opts.drawNoise,
  };
  return { inputs: data.inputs, targets: data.targets, mask: data.mask, indices, options };
}

/** One epoch of Adam steps in the engine; its abort is this call's own (a concurrent call on the model runs on). */
async function optimise(run: Run, state: RunState, stage: TrialSplit, epoch: number): Promise<Float64Array> {
  const { model, opts } = run;
  const a = epochSteps(run, state, stage, epoch);
  const job = model.handle.trainSteps(a.inputs, a.targets, a.mask, a.indices, a.options);
  const onAbort = () => job.abort();
  opts.signal?.addEventListener('abort', onAbort);
  let result;
  try {
    result = await job.promise;
  } catch (err) {
    throw divergedError(run, state, epoch, err as Error);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (result.aborted || opts.signal?.aborted) throw aborted(run, state);
  return result.losses;
}

/** The error of a run whose loss stopped being finite in `epoch`; the model is given its best parameters back. */
export function divergedError(run: Run, state: RunState, epoch: number, err: Error): Error {
  restoreBest(run, state);
  return new Error(`training diverged in epoch ${epoch}: ${err.message}; the model holds its best parameters (epoch ${state.bestEpoch})`, { cause: err });
}

/**
 * The held-out trials' loss (and the task's accuracy), with the training's noise setting but one fixed noise draw
 * (its own stream, the same every epoch): epochs are compared on the same noise, so a lower loss means better
 * parameters, not a luckier draw, and the loss stays the one training minimises (noise included, as the reference
 * evaluates its networks).
 */
async function evaluate(run: Run, stage: TrialSplit): Promise<{ validationLoss: number; validationAccuracy?: number }> {
  const { model, opts } = run;
  const validation = stage.validation!;
  const seed = streamSeed(opts.seed, STREAMS.validationNoise);
  const { drawNoise } = opts;
  const validationLoss = await model.loss(validation, { lossOn: opts.lossOn, seed, drawNoise });
  if (!stage.task?.accuracy || opts.lossOn !== 'outputs') return { validationLoss };
  const sim = await model.simulate(validation.inputs, { seed, drawNoise, states: false });
  return { validationLoss, validationAccuracy: stage.task.accuracy(sim.outputs!, validation) };
}

/** Writes the run's checkpoint when one is due after `epoch`. */
export async function checkpointAfter(run: Run, state: RunState, epoch: number, stopping: boolean): Promise<void> {
  const { checkpoint } = run.opts;
  if (checkpoint && (stopping || epoch % checkpoint.every === 0)) await writeCheckpoint(checkpoint.path, run.model, state, epoch, run.signature);
}

export function restoreBest(run: Run, state: RunState): void {
  if (run.opts.keepBest) run.model.setFlatParams(state.bestParams);
}

export function resultOf(run: Run, state: RunState, wasAborted: boolean): TrainResult {
  const { reports: epochs, bestLoss, bestEpoch } = state;
  return { epochs, monitor: run.monitor, bestLoss, bestEpoch, aborted: wasAborted, seconds: (performance.now() - run.started) / 1000 };
}

function aborted(run: Run, state: RunState): Error {
  restoreBest(run, state);
  return abortError('training was aborted; the model holds its best parameters', { result: resultOf(run, state, true) });
}
