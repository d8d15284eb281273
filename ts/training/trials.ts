// The trials a run trains on: generated from a task (or given as a dataset), split into training and held-out
// validation trials, and the order in which each epoch draws its minibatches.
import { optionError } from '../core/validate.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyModel, LossOn } from '../model/index.js';

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
  /** The task's name, for messages. */
  readonly name: string;
  /** `batch` random trials, the same for the same seed. */
  sample(batch: number, opts?: { seed?: number }): Dataset;
  /** The fraction of trials of `batch` that outputs [B, T, O] solve, in [0, 1]; train() reports it on held-out trials. */
  accuracy?(outputs: Tensor, batch: Dataset): number;
}

export function isTask(source: TrainableTask | Dataset): source is TrainableTask {
  return typeof (source as TrainableTask).sample === 'function';
}

/** The trials of one stage of a run (the dataset, or one task of a curriculum). */
export interface TrialSplit {
  /** The task that generated them (undefined for a dataset). */
  task?: TrainableTask;
  total: number;
  training: Dataset;
  /** The held-out trials (the last ones), if any. */
  validation?: Dataset;
  /** The training trials as the engine takes them. */
  prepared: ReturnType<AnyModel['prepareBatch']>;
}

export interface SplitOptions {
  trials: number;
  heldOut: number;
  seed: number;
  batchSize: number;
  lossOn: LossOn;
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

/** The trials of `source` (a task's are generated with the run's seed), the last `heldOut` share held out. */
export function splitTrials(model: AnyModel, source: TrainableTask | Dataset, o: SplitOptions): TrialSplit {
  const task = isTask(source) ? source : undefined;
  const all = task ? task.sample(o.trials, { seed: o.seed }) : (source as Dataset);
  const total = all.inputs.shape[0];
  const held = Math.floor(total * o.heldOut);
  const kept = total - held;
  if (kept < o.batchSize) {
    throw optionError('train', 'batchSize', `at most the ${kept} training trials (lower batchSize or add trials)`, o.batchSize);
  }
  const training = held > 0 ? sliceTrials(all, 0, kept) : all;
  return {
    task,
    total,
    training,
    validation: held > 0 ? sliceTrials(all, kept, total) : undefined,
    prepared: model.prepareBatch(training, o.lossOn, task ? `${task.name} trials` : 'dataset'),
  };
}

/** Optimizer steps per epoch: floor(training trials / batchSize), as the reference. */
export function stepsPerEpoch(split: TrialSplit, batchSize: number): number {
  return Math.floor(split.training.inputs.shape[0] / batchSize);
}

/** The trials of each minibatch of one epoch (distinct within a minibatch), `steps` x `batch` indices. The epoch's
 * own stream: a resumed run draws what the uninterrupted one drew. */
export function minibatchOrder(seed: number, epoch: number, steps: number, batch: number, trials: number): Int32Array {
  const rng = new Random(streamSeed(seed, STREAMS.minibatchOrder, epoch));
  const indices = new Int32Array(steps * batch);
  for (let s = 0; s < steps; s++) indices.set(rng.sampleIndices(trials, batch), s * batch);
  return indices;
}
