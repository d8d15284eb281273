// The SVD-truncation baselines of LINT (lint_reference.md §5): the teacher's own connectivity cut to rank R, either
// W itself (the reference fit scripts) or the change Delta W = W - W_init added back to W_init ([P] rdm_fr_fig1).
// Scored on the same quantity as the fits (the reference scores truncations on x and fits on phi(x); we do not).
import { FullRankRNN, type AnyModel } from '../model/index.js';
import { lowRankFromFullRank } from '../model/reparametrize.js';
import { truncateWeights, truncatedMatrix } from '../model/truncate.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, optionError, type Rules } from '../core/validate.js';
import type { Task } from '../tasks/types.js';
import { compareNetworks, taskAccuracy, teacherTrials, TEACHER_TRIALS_DEFAULTS } from './teacher.js';
import { rule, type ActivityKind } from './rules.js';
import { STREAMS, streamSeed } from '../core/random.js';
import type { TrajectoryR2 } from './metrics.js';

/** Options of {@link svdTruncation}; defaults in {@link SVD_TRUNCATION_DEFAULTS}. */
export interface TruncationOptions {
  /** 'weights' truncates W (default); 'change' truncates W - initial and adds initial back. */
  of?: 'weights' | 'change';
  /** W_init for of: 'change': the untrained teacher, or its wrec [N, N]. */
  initial?: FullRankRNN | Tensor;
  /** Noise sigma of the truncated net (default 0, as the reference baselines). */
  noise?: number;
}

/** The defaults of `lint.svdTruncation` (the reference fit scripts'): W itself truncated, no noise. */
export const SVD_TRUNCATION_DEFAULTS = { of: 'weights', noise: 0 } as const satisfies TruncationOptions;

const TRUNCATION_RULES: Rules<TruncationOptions> = {
  of: is.oneOf(['weights', 'change']),
  initial: [is.custom('a FullRankRNN', (v) => v instanceof FullRankRNN, (v) => v !== null && typeof v === 'object'), is.tensor()],
  noise: is.nonNegative(),
};

/** W_0 of a change truncation: the untrained teacher's wrec, or the matrix given. */
function initialWeights(initial: TruncationOptions['initial'], N: number): Tensor {
  if (initial === undefined) {
    throw optionError('lint.svdTruncation', 'initial', "the untrained teacher or its wrec [N, N] when of is 'change'", initial, TypeError);
  }
  if (initial instanceof FullRankRNN) {
    if (initial.size !== N) throw new RangeError(`lint.svdTruncation: option 'initial' must be a net of size ${N}; got size ${initial.size}`);
    return initial.param('wrec');
  }
  return checkTensor(initial, 'initial', [N, N]);
}

/**
 * The teacher with its recurrent weights replaced by a rank-R SVD truncation. For of: 'weights' the result is a
 * LowRankRNN (`lowRankFromFullRank`: m = U S sqrt(N), n = V sqrt(N), the same dynamics as the truncated full-rank
 * net, at O(N R) per step); for of: 'change' the teacher itself (`model.with`: train flags, Dale signs and mask kept)
 * with wrec = W_init + [W - W_init]_R. Inputs, readout (si and so included) are the teacher's.
 */
export async function svdTruncation(teacher: FullRankRNN, rank: number, options: TruncationOptions = {}): Promise<AnyModel> {
  checkValue('lint.svdTruncation', 'teacher', teacher, is.custom('a FullRankRNN', (v) => v instanceof FullRankRNN));
  const o = checkOptions('lint.svdTruncation', TRUNCATION_RULES, options, SVD_TRUNCATION_DEFAULTS);
  const N = teacher.size;
  checkValue('lint.svdTruncation', 'rank', rank, is.integer(1, N));
  if (o.of === 'weights') return lowRankFromFullRank(teacher, rank, { noise: o.noise });
  const w0 = initialWeights(o.initial, N);
  const cut = await truncateWeights(teacher.param('wrec').data, N, rank, { relativeTo: w0.data, where: 'lint.svdTruncation' });
  return teacher.with({ noise: o.noise, params: { wrec: truncatedMatrix(cut) } });
}

/** One rank of {@link truncationBaseline}: how well the truncated teacher reproduces the teacher. */
export interface TruncationScore {
  /** The truncation rank. */
  rank: number;
  /** R² of the truncation against the teacher on the held-out trials, as `fitTeacher` scores a fit. */
  r2: TrajectoryR2;
  /** The truncation's task accuracy on the held-out trials (with a task). */
  accuracy?: number;
}

/**
 * Options of {@link truncationBaseline}: the truncation, the ranks, and the trials (as `fitTeacher` takes them);
 * defaults in {@link TRUNCATION_BASELINE_DEFAULTS}. One of `task` and `inputs` is required.
 */
export interface TruncationBaselineOptions extends TruncationOptions {
  /** The truncation ranks, each in [1, N]. */
  ranks: number[];
  /** A task (its trials are generated, seeded, as `fitTeacher` does) or inputs [B, T, K]. */
  task?: Task;
  /** Inputs [B, T, K], when there is no task (no accuracy is then scored). */
  inputs?: Tensor;
  /** Trials generated from the task (default 1000). */
  trials?: number;
  /** The share of trials held out and scored (default 0.2): the same trials as `fitTeacher` with the same options. */
  heldOut?: number;
  /** Score rates (default) or states. */
  on?: ActivityKind;
  /** The seed, as `fitTeacher`'s (default 0): the same seed gives the same trials and teacher run. */
  seed?: number;
}

/** The defaults of `lint.truncationBaseline`: those of `svdTruncation` and of the teacher's trials, rates, seed 0. */
export const TRUNCATION_BASELINE_DEFAULTS = {
  ...SVD_TRUNCATION_DEFAULTS,
  trials: TEACHER_TRIALS_DEFAULTS.trials,
  heldOut: TEACHER_TRIALS_DEFAULTS.heldOut,
  on: 'rates',
  seed: 0,
} as const satisfies Omit<TruncationBaselineOptions, 'ranks'>;

function baselineRules(N: number): Rules<TruncationBaselineOptions> {
  return {
    ...TRUNCATION_RULES,
    ranks: is.arrayOf(is.integer(1, N)),
    task: rule.task(),
    inputs: is.tensor(),
    trials: is.integer(2),
    heldOut: rule.share(),
    on: rule.activity(),
    seed: is.seed(),
  };
}

/**
 * Truncations at each rank, scored against the teacher on the held-out trials of `task` (or of `inputs`), exactly as
 * `fitTeacher` scores a fit with the same seed: the same trials, the same run of the teacher (stream
 * teacherComparison) and the same accuracy noise (stream studentAccuracy).
 */
export async function truncationBaseline(teacher: FullRankRNN, options: TruncationBaselineOptions): Promise<TruncationScore[]> {
  checkValue('lint.truncationBaseline', 'teacher', teacher, is.custom('a FullRankRNN', (v) => v instanceof FullRankRNN));
  const o = checkOptions('lint.truncationBaseline', baselineRules(teacher.size), options, TRUNCATION_BASELINE_DEFAULTS);
  if (o.ranks === undefined) throw optionError('lint.truncationBaseline', 'ranks', 'a non-empty array of ranks', undefined, TypeError);
  const source = o.task ?? o.inputs;
  if (!source) throw new TypeError('lint.truncationBaseline needs a task (option task) or inputs [B, T, K] (option inputs)');
  const { heldOut } = teacherTrials(source, { trials: o.trials, heldOut: o.heldOut, seed: o.seed });
  const rows: TruncationScore[] = [];
  for (const rank of o.ranks) {
    const cut = await svdTruncation(teacher, rank, { of: o.of, initial: o.initial, noise: o.noise });
    try {
      const row: TruncationScore = { rank, r2: await compareNetworks(teacher, cut, heldOut.inputs, { on: o.on, seed: o.seed }) };
      if (o.task) row.accuracy = await taskAccuracy(cut, o.task, heldOut.batch!, streamSeed(o.seed!, STREAMS.studentAccuracy));
      rows.push(row);
    } finally {
      cut.dispose();
    }
  }
  return rows;
}
