// train()'s options: the one defaults table (TRAIN_DEFAULTS) and the rules every option is checked against, as data
// checked by core/validate.ts (one message format: "train: option 'beta1' must be a finite number in [0, 1); got 1").
import { checkModel } from '../model/check.js';
import { checkOptions, checkValue, is, optionError, type NotApplicable, type Rules, checkOptionGroup } from '../core/validate.js';
import type { LossOn, ParamName } from '../model/index.js';
import type { EpochReport } from './progress.js';
import type { TrainableTask } from './trials.js';

const WHERE = 'train';

/** The loss that keep-best, early stopping and the plateau schedule follow. */
export type Monitor = 'validation' | 'training';

/** Learning-rate schedules: multiply by `factor` every `every` epochs, or after `patience` epochs without a better
 * monitored loss (relative improvement below `threshold`), never below `minLr`. */
export type LrSchedule =
  | { kind: 'step'; every: number; factor: number }
  | { kind: 'plateau'; patience: number; factor: number; threshold?: number; minLr?: number };

/** Periodic checkpoints of a run (the train option `checkpoint`), from which `resume` continues it. */
export interface CheckpointOptions {
  /** The .npz written (atomically) every `every` epochs and after the last epoch; it is also a model file. */
  path: string;
  /** Epochs between checkpoints (default 1). */
  every?: number;
}

/** L2 weight decay: one coefficient for every trained parameter, or one per parameter (others 0). */
export type WeightDecay = number | Partial<Record<ParamName, number>>;

/** Options of {@link train}; defaults in {@link TRAIN_DEFAULTS}. */
export interface TrainOptions {
  /** Epochs in all (default 1); an epoch is one pass of minibatches over the training trials. */
  epochs?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Trials per minibatch (default 32). */
  batchSize?: number;
  /** Global gradient-norm clip; 0 = off. */
  clip?: number;
  /** Adam's first-moment decay (default 0.9). */
  beta1?: number;
  /** Adam's second-moment decay (default 0.999). */
  beta2?: number;
  /** Adam's epsilon (default 1e-8). */
  eps?: number;
  /**
   * L2 weight decay as in PyTorch's `Adam(weight_decay=...)`: Adam is given g + weightDecay * p, with g the gradient
   * after global-norm clipping (the reference clips before `optimizer.step()`, which adds the decay). A number applies
   * to every trained parameter; `{ m: 1e-4, n: 1e-4 }` to the named ones only. Frozen parameters never move.
   */
  weightDecay?: WeightDecay;
  /** Restore the parameters of the epoch with the lowest monitored loss at the end. */
  keepBest?: boolean;
  /** Stop as soon as an epoch's monitored loss falls below this value. */
  earlyStop?: number;
  /**
   * The loss keep-best, `earlyStop` and the plateau schedule follow: 'validation' (the held-out trials' loss, the
   * default when trials are held out) or 'training' (the mean of the epoch's minibatch losses, as the reference).
   */
  monitor?: Monitor;
  /** What the loss compares with the targets (default 'outputs'). */
  lossOn?: LossOn;
  /** Trials generated from a task. */
  trials?: number;
  /** Share of the trials held out for validation (the last ones, as the reference generators do). */
  heldOut?: number;
  /** Per-step noise during training. */
  drawNoise?: boolean;
  /** Seed of the generated trials, the minibatch order and the noise (default 0). */
  seed?: number;
  /** A step or plateau schedule of the learning rate (default none: constant). */
  lrSchedule?: LrSchedule;
  /** Writes checkpoints during the run. */
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
  /**
   * Stops the run within one minibatch; the model keeps its best parameters and the call rejects with an error named
   * AbortError whose `result` is the run so far.
   */
  signal?: AbortSignal;
  /** Called after every epoch with its report. */
  onProgress?: (report: EpochReport) => void;
}

/** train()'s defaults: the only place they live (the native engine has none of its own). */
export const TRAIN_DEFAULTS = Object.freeze({
  epochs: 1,
  lr: 1e-3,
  batchSize: 32,
  clip: 0,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  keepBest: true,
  lossOn: 'outputs' as LossOn,
  /** Trials generated from a task (as the reference). */
  trials: 1000,
  /** Held out of a task's trials (as the reference generators), and of a dataset's. */
  heldOut: Object.freeze({ task: 0.2, dataset: 0 }),
  /** When trials are held out; 'training' when none are. */
  monitor: 'validation' as Monitor,
  drawNoise: true,
  seed: 0,
  /** Of the plateau schedule. */
  lrSchedule: Object.freeze({ threshold: 1e-4, minLr: 0 }),
  checkpoint: Object.freeze({ every: 1 }),
});

/** A schedule with every field set. */
export type ResolvedSchedule = { kind: 'step'; every: number; factor: number } | Required<Extract<LrSchedule, { kind: 'plateau' }>>;

/** The options of a run, checked and merged over TRAIN_DEFAULTS. */
export interface ResolvedTrainOptions
  extends Required<Pick<TrainOptions, 'epochs' | 'lr' | 'batchSize' | 'clip' | 'beta1' | 'beta2' | 'eps' | 'keepBest' | 'lossOn' | 'trials' | 'heldOut' | 'drawNoise' | 'seed'>>,
    Pick<TrainOptions, 'earlyStop' | 'monitor' | 'curriculum' | 'signal' | 'onProgress'> {
  weightDecay: Record<ParamName, number>;
  lrSchedule?: ResolvedSchedule;
  checkpoint?: Required<CheckpointOptions>;
  /** The checkpoint to resume from, if any (it may not exist yet when `resume: true`). */
  resumeFrom?: string;
  /** Whether `resume` named the file (then it must exist). */
  resumeRequired: boolean;
}

const unit = (open: 'min' | 'max') => is.number(0, 1, open === 'min' ? { minOpen: true } : { maxOpen: true });

const TRAIN_RULES: Rules<TrainOptions> = {
  epochs: is.integer(1),
  lr: is.positive(),
  batchSize: is.integer(1),
  clip: is.nonNegative(),
  beta1: unit('max'),
  beta2: unit('max'),
  eps: is.positive(),
  weightDecay: [is.nonNegative(), is.object('an object of per-parameter decays')],
  keepBest: is.boolean(),
  earlyStop: is.positive(),
  monitor: is.oneOf(['validation', 'training']),
  lossOn: is.oneOf(['outputs', 'rates', 'states']),
  trials: is.integer(1),
  heldOut: unit('max'),
  drawNoise: is.boolean(),
  seed: is.seed(),
  lrSchedule: is.object("an object { kind: 'step' | 'plateau', ... }"),
  checkpoint: is.object('an object { path, every? }'),
  curriculum: is.function(),
  resume: [is.string(), is.boolean()],
  signal: is.signal(),
  onProgress: is.function(),
};

const SCHEDULE_RULES = {
  step: { kind: is.oneOf(['step']), every: is.integer(1), factor: unit('min') },
  plateau: {
    kind: is.oneOf(['plateau']),
    patience: is.integer(1),
    factor: unit('min'),
    threshold: is.number(0, 1, { maxOpen: true }),
    minLr: is.nonNegative(),
  },
} as const;

const CHECKPOINT_RULES: Rules<CheckpointOptions> = { path: is.string(), every: is.integer(1) };

/** A nested option object of train() (lrSchedule, checkpoint, weightDecay), its fields named by their path. */
function checkNested<T extends object>(name: string, rules: Rules<T>, value: object, defaults: Partial<T> = {}): T {
  return checkOptionGroup(WHERE, name, rules, value, defaults);
}

function checkSchedule(schedule: LrSchedule): ResolvedSchedule {
  const kind = checkValue<'step' | 'plateau'>(WHERE, 'lrSchedule.kind', schedule.kind, is.oneOf(['step', 'plateau']));
  if (kind === 'step') return checkNested('lrSchedule', SCHEDULE_RULES.step as Rules<LrSchedule>, schedule) as ResolvedSchedule;
  return checkNested('lrSchedule', SCHEDULE_RULES.plateau as Rules<LrSchedule>, schedule, TRAIN_DEFAULTS.lrSchedule) as ResolvedSchedule;
}

function checkCheckpoint(checkpoint: CheckpointOptions): Required<CheckpointOptions> {
  checkValue(WHERE, 'checkpoint.path', checkpoint.path, CHECKPOINT_RULES.path);
  return checkNested('checkpoint', CHECKPOINT_RULES, checkpoint, TRAIN_DEFAULTS.checkpoint) as Required<CheckpointOptions>;
}

/** One decay per parameter of the model: a number for all, or the named ones (unknown names are errors). */
function resolveWeightDecay(decay: WeightDecay, paramNames: readonly ParamName[]): Record<ParamName, number> {
  const given: Partial<Record<ParamName, number>> =
    typeof decay === 'number'
      ? Object.fromEntries(paramNames.map((p) => [p, decay]))
      : checkNested('weightDecay', Object.fromEntries(paramNames.map((p) => [p, is.nonNegative()])) as Rules<Record<ParamName, number>>, decay);
  return Object.fromEntries(paramNames.map((p) => [p, given[p] ?? 0])) as Record<ParamName, number>;
}

/** Where a run resumes from: `resume: true` reads `checkpoint.path` (when it exists), a string names the file. */
function resumeSource(resume: string | boolean | undefined, checkpoint: Required<CheckpointOptions> | undefined) {
  if (resume === true && !checkpoint) {
    throw optionError(WHERE, 'resume', "a checkpoint's path when no checkpoint option is given (true resumes from checkpoint.path)", true);
  }
  if (typeof resume === 'string') return { resumeFrom: resume, resumeRequired: true };
  return { resumeFrom: resume ? checkpoint!.path : undefined, resumeRequired: false };
}

/**
 * Checks train()'s positional arguments before anything else: a model, and a task (anything with `sample`) or a
 * dataset { inputs, targets, mask? } of tensors (their shapes are checked against the model later).
 */
export function checkTrainArguments(model: unknown, source: unknown): void {
  checkModel(WHERE, 'model', model);
  if (source !== null && typeof source === 'object' && typeof (source as { sample?: unknown }).sample === 'function') return;
  checkValue(WHERE, 'source', source, is.object('a task (with sample) or a dataset { inputs, targets, mask? }'), 'argument');
  const dataset = source as Record<string, unknown>;
  for (const key of ['inputs', 'targets', 'mask']) {
    if (key !== 'mask' || dataset.mask !== undefined) checkValue(WHERE, `source.${key}`, dataset[key], is.tensor(), 'argument');
  }
}

/**
 * Checks train()'s options and merges them over TRAIN_DEFAULTS. With a dataset, `trials` and `curriculum` do not
 * apply. The options that depend on the trials (batchSize against their count, monitor) are checked with them.
 */
export function checkTrainOptions(user: unknown, forTask: boolean, paramNames: readonly ParamName[]): ResolvedTrainOptions {
  const { trials: _trials, curriculum: _curriculum, ...datasetRules } = TRAIN_RULES;
  const rules = forTask ? TRAIN_RULES : datasetRules;
  const notApplicable: NotApplicable = forTask ? {} : { trials: 'the trials are the dataset given', curriculum: 'a curriculum needs a task, not a dataset' };
  const { heldOut, trials, monitor: _monitor, lrSchedule: _schedule, checkpoint: _checkpoint, ...common } = TRAIN_DEFAULTS;
  const defaults: TrainOptions = forTask ? { ...common, trials, heldOut: heldOut.task } : { ...common, heldOut: heldOut.dataset };
  const o = checkOptions(WHERE, rules as Rules<TrainOptions>, user, defaults, notApplicable);
  const checkpoint = o.checkpoint && checkCheckpoint(o.checkpoint);
  return {
    ...(o as ResolvedTrainOptions),
    trials: o.trials ?? 0,
    weightDecay: resolveWeightDecay(o.weightDecay!, paramNames),
    lrSchedule: o.lrSchedule && checkSchedule(o.lrSchedule),
    checkpoint,
    ...resumeSource(o.resume, checkpoint),
  };
}

/** The monitored loss: the user's choice, else validation when trials are held out. */
export function resolveMonitor(monitor: Monitor | undefined, heldOutTrials: number): Monitor {
  if (monitor === 'validation' && heldOutTrials === 0) {
    throw optionError(WHERE, 'monitor', "'training' when no trials are held out (set heldOut above 0 to monitor validation)", monitor);
  }
  return monitor ?? (heldOutTrials > 0 ? TRAIN_DEFAULTS.monitor : 'training');
}
