// Option rules shared by the LINT entries and the experiments built on them (ts/core/validate.ts vocabulary):
// what a fit's training options, a task, a model or an activity kind must be.
import { ACTIVATIONS } from '../model/index.js';
import { MODEL_RULE } from '../model/check.js';
import { is, type Rule, type Rules } from '../core/validate.js';

/** Which activity is fitted and compared: rates phi(x + b) (the LINT default) or states x (recordings). */
export type ActivityKind = 'rates' | 'states';

export const ACTIVITY_KINDS: readonly ActivityKind[] = ['rates', 'states'];

export const rule = {
  activity: (): Rule => is.oneOf(ACTIVITY_KINDS),
  /** A task: anything with `sample(trials, { seed })` (and, for accuracies, `accuracy`). */
  task: (): Rule => is.task(),
  model: (): Rule => MODEL_RULE.any,
  /** A share of trials held out, strictly between 0 and 1. */
  share: (): Rule => is.number(0, 1, { minOpen: true, maxOpen: true }),
  /** Indices into [0, size), e.g. trials or neurons. */
  /** A non-empty array of ranks in [1, max]. */
  ranks: (max = Infinity): Rule => is.arrayOf(is.integer(1, max), max === Infinity ? 'a non-empty array of integers >= 1' : `a non-empty array of integers in [1, ${max}]`),
  indices: (size: number, what: string): Rule => is.arrayOf(is.integer(0, size - 1), `a non-empty array of ${what} indices in [0, ${size - 1}]`),
} as const;

/** The training options of a fitted student, as `lint.fit` takes them (the rest of its options are about the data). */
export interface StudentTraining {
  epochs?: number;
  lr?: number;
  clip?: number;
  /** Default min(32, number of fitted trials). */
  batchSize?: number;
  earlyStop?: number;
  keepBest?: boolean;
  /** Per-step noise sigma of the student while it is fitted (default 0; `fitTeacher`: the teacher's). */
  noise?: number;
  alpha?: number;
  activation?: (typeof ACTIVATIONS)[number];
  /** Train the input vectors wi (default true, as in the reference). */
  trainInputs?: boolean;
  /** Initial connectivity scale of a full-rank student, wrec ~ N(0, rho^2 / N) (default 1). */
  rho?: number;
}

export const STUDENT_TRAINING_RULES: Rules<StudentTraining> = {
  epochs: is.integer(1),
  lr: is.positive(),
  clip: is.nonNegative(),
  batchSize: is.integer(1),
  earlyStop: is.nonNegative(),
  keepBest: is.boolean(),
  noise: is.nonNegative(),
  alpha: is.number(0, 1, { minOpen: true }),
  activation: is.oneOf(ACTIVATIONS),
  trainInputs: is.boolean(),
  rho: is.nonNegative(),
};

/** dtype, device, threads, signal: where and how a call runs. */
export const RUN_RULES = {
  dtype: is.oneOf(['float32', 'float64']),
  device: is.oneOf(['auto', 'cpu', 'cuda']),
  threads: is.threads(),
  signal: is.signal(),
} as const;
