// The subsampling experiment of LINT (lint_reference.md §5, §8): fits to a random share of a teacher's neurons,
// rank-R students against unconstrained ones, each scored against the teacher on those neurons.
import { checkModel } from '../model/check.js';
import type { AnyModel } from '../model/index.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, is, type Rules } from '../core/validate.js';
import type { Task } from '../tasks/types.js';
import { fitTeacher } from '../lint/teacher.js';
import { RUN_RULES, rule, type StudentTraining } from '../lint/rules.js';

/**
 * Options of {@link subsampling}; defaults in {@link SUBSAMPLING_DEFAULTS}. The trials are those of `lint.fitTeacher`:
 * one of `task` and `inputs` is required.
 */
export interface SubsamplingOptions {
  /** A task whose trials are generated (seeded); accuracy is scored with its readout. */
  task?: Task;
  /** Inputs [B, T, K], when there is no task. */
  inputs?: Tensor;
  /** Trials generated from the task (default 1000, `fitTeacher`'s). */
  trials?: number;
  /** Fractions p of the teacher's neurons (default 1, 0.2, 0.05, 0.01). */
  fractions?: readonly number[];
  /** Random neuron subsets per fraction (default 10; one for a fraction that keeps every neuron). */
  draws?: number;
  /** Rank of the constrained student (default 1; at most the number of neurons drawn). */
  rank?: number;
  /** Also fit an unconstrained (full-rank) student to each subset (default true). */
  unconstrained?: boolean;
  /** Training options of the rank-R students (reference: lr 1e-2, 200 epochs). */
  lowRankFit?: StudentTraining;
  /** Training options of the full-rank students (reference: lr 1e-4, 200 epochs). */
  fullRankFit?: StudentTraining;
  /** Seed of the neuron draws, the trials and the fits (default 0). */
  seed?: number;
  /** Aborts the current fit; the call then rejects with an error named AbortError. */
  signal?: AbortSignal;
  /** Called with each row once its students are fitted and scored. */
  onProgress?: (event: SubsamplingProgress) => void;
}

/** How well one student reproduces the teacher on its subset of neurons (held-out trials). */
export interface SubsamplingScore {
  /** Global R² against the teacher. */
  r2: number;
  /** Median per-neuron R². */
  r2Median: number;
  /** Task accuracy with the teacher's readout restricted to the subset (with a task). */
  accuracy?: number;
}

/** One draw of one fraction: the neurons drawn and the scores of the students fitted to them. */
export interface SubsamplingRow {
  /** The fraction p of the teacher's neurons. */
  fraction: number;
  /** The draw, from 0. */
  draw: number;
  /** The teacher neurons drawn, round(p N) of them (at least 1), sorted. */
  neurons: number[];
  /** The rank-R student's score. */
  lowRank: SubsamplingScore;
  /** The unconstrained student's score (with `unconstrained`). */
  fullRank?: SubsamplingScore;
}

/** What {@link subsampling} reports: each row once its students are fitted and scored. */
export interface SubsamplingProgress {
  /** Always 'row'. */
  type: 'row';
  /** The row just finished. */
  row: SubsamplingRow;
}

/**
 * The defaults of `lint.subsampling` (the reference experiment's): fractions 1, 0.2, 0.05 and 0.01, 10 draws each,
 * rank-1 students (lr 1e-2) against full-rank ones (lr 1e-4), 200 epochs each, seed 0.
 */
export const SUBSAMPLING_DEFAULTS = {
  fractions: [1, 0.2, 0.05, 0.01],
  draws: 10,
  rank: 1,
  unconstrained: true,
  lowRankFit: { epochs: 200, lr: 1e-2 },
  fullRankFit: { epochs: 200, lr: 1e-4 },
  seed: 0,
} as const satisfies SubsamplingOptions;

function subsamplingRules(N: number): Rules<SubsamplingOptions> {
  return {
    task: rule.task(),
    inputs: is.tensor(),
    trials: is.integer(2),
    fractions: is.arrayOf(is.number(0, 1, { minOpen: true }), 'a non-empty array of fractions in (0, 1]'),
    draws: is.integer(1),
    rank: is.integer(1, N),
    unconstrained: is.boolean(),
    lowRankFit: is.object('an object of training options (epochs, lr, ...)'),
    fullRankFit: is.object('an object of training options (epochs, lr, ...)'),
    seed: is.seed(),
    signal: RUN_RULES.signal,
    onProgress: is.function(),
  };
}

/** The `count` neurons of draw `draw` (stream subsampledNeurons, indexed by the draw and the count), sorted. */
function drawNeurons(seed: number, N: number, count: number, draw: number): number[] {
  return new Random(streamSeed(seed, STREAMS.subsampledNeurons, draw, count)).sampleIndices(N, count).sort((a, b) => a - b);
}

/**
 * For each fraction p and draw, picks round(p N) of the teacher's neurons at random (at least 1), fits a rank-R and
 * (optionally) a full-rank student to their trajectories, and scores each against the teacher on those neurons
 * (R² on held-out trials; accuracy with the teacher's readout restricted to them).
 */
export async function subsampling(teacher: AnyModel, options: SubsamplingOptions): Promise<SubsamplingRow[]> {
  checkModel('lint.subsampling', 'teacher', teacher);
  const o = checkOptions('lint.subsampling', subsamplingRules(teacher.size), options, SUBSAMPLING_DEFAULTS);
  const N = teacher.size;
  const common = { task: o.task, inputs: o.inputs, trials: o.trials, seed: o.seed, signal: o.signal };
  const score = async (rank: number | 'full', neurons: number[], training: StudentTraining): Promise<SubsamplingScore> => {
    const r = await fitTeacher(teacher, { ...common, ...training, rank, neurons });
    r.fit.model.dispose();
    return { r2: r.r2.global, r2Median: r.r2.perNeuronMedian, accuracy: r.accuracy };
  };
  const rows: SubsamplingRow[] = [];
  for (const fraction of o.fractions!) {
    const count = Math.max(1, Math.round(fraction * N));
    for (let draw = 0; draw < (count === N ? 1 : o.draws!); draw++) {
      const neurons = drawNeurons(o.seed!, N, count, draw);
      const lowRank = await score(Math.min(o.rank!, count), neurons, { ...SUBSAMPLING_DEFAULTS.lowRankFit, ...o.lowRankFit });
      const row: SubsamplingRow = { fraction, draw, neurons, lowRank };
      if (o.unconstrained) row.fullRank = await score('full', neurons, { ...SUBSAMPLING_DEFAULTS.fullRankFit, ...o.fullRankFit });
      rows.push(row);
      o.onProgress?.({ type: 'row', row });
    }
  }
  return rows;
}
