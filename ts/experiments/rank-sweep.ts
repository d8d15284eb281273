// Rank sweeps (the minimal rank that explains the data) and the subsampling experiment of LINT (fits to a random
// fraction of a teacher's neurons, rank-R students against unconstrained ones; lint_reference.md §5, §8).
import { checkSeed, type AnyModel } from '../model/models.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import type { Task } from '../tasks/types.js';
import { fit, type LintFit, type LintFitOptions } from '../lint/fit.js';
import { fitTeacher, type FitTeacherOptions, type TeacherFit } from '../lint/teacher.js';

export interface RankSweepRow {
  rank: number;
  /** The score the sweep compares: held-out R² when trials are held out (or a teacher is given), else fitted R². */
  r2: number;
  result: LintFit | TeacherFit;
}

export interface RankSweep {
  rows: RankSweepRow[];
  best: number;
  fraction: number;
  /** The smallest rank whose R² reaches fraction x best (undefined when the best R² is not positive). */
  minimalRank?: number;
}

export interface RankSweepOptions {
  /** Ranks to fit (default 1..5). */
  ranks?: number[];
  /** Fraction of the best R² that the minimal rank must reach (default 0.95). */
  fraction?: number;
  /** Keep every fitted model (default false: they are disposed, only their scores kept). */
  keepModels?: boolean;
  /** Called after each rank. */
  onRank?: (row: RankSweepRow) => void;
}

/** The minimal rank reaching `fraction` of the best score. */
export function minimalRank(rows: { rank: number; r2: number }[], fraction: number): { best: number; rank?: number } {
  const best = Math.max(...rows.map((r) => r.r2));
  if (!(best > 0)) return { best };
  const ok = rows.filter((r) => r.r2 >= fraction * best).map((r) => r.rank);
  return { best, rank: Math.min(...ok) };
}

function checkSweep(opts: RankSweepOptions): { ranks: number[]; fraction: number } {
  const ranks = opts.ranks ?? [1, 2, 3, 4, 5];
  if (!Array.isArray(ranks) || ranks.length === 0 || ranks.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new RangeError(`ranks must be a non-empty array of positive integers; got ${JSON.stringify(opts.ranks)}`);
  }
  const fraction = opts.fraction ?? 0.95;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1]; got ${fraction}`);
  return { ranks, fraction };
}

async function sweep(
  opts: RankSweepOptions,
  fitRank: (rank: number) => Promise<{ r2: number; result: LintFit | TeacherFit; model: AnyModel }>,
): Promise<RankSweep> {
  const { ranks, fraction } = checkSweep(opts);
  const rows: RankSweepRow[] = [];
  for (const rank of ranks) {
    const { r2, result, model } = await fitRank(rank);
    const row = { rank, r2, result };
    if (!opts.keepModels) model.dispose();
    rows.push(row);
    opts.onRank?.(row);
  }
  const { best, rank } = minimalRank(rows, fraction);
  return { rows, best, fraction, minimalRank: rank };
}

/** Fits each rank to trajectories; the score is the held-out R² when `heldOut` is set, else the fitted R². */
export function rankSweep(targets: Tensor, inputs: Tensor, opts: Omit<LintFitOptions, 'rank'> & RankSweepOptions = {}): Promise<RankSweep> {
  return sweep(opts, async (rank) => {
    const result = await fit(targets, inputs, { ...opts, rank });
    return { r2: (result.heldOut ?? result).r2.global, result, model: result.model };
  });
}

/** Fits each rank to a teacher's trajectories; the score is the R² against the teacher on validation trials. */
export function teacherRankSweep(teacher: AnyModel, opts: Omit<FitTeacherOptions, 'rank'> & RankSweepOptions): Promise<RankSweep> {
  return sweep(opts, async (rank) => {
    const result = await fitTeacher(teacher, { ...opts, rank });
    return { r2: result.r2.global, result, model: result.fit.model };
  });
}

export interface SubsamplingOptions {
  task?: Task;
  inputs?: Tensor;
  trials?: number;
  /** Fractions p of the teacher's neurons (default 1, 0.2, 0.05, 0.01). */
  fractions?: number[];
  /** Random neuron subsets per fraction (default 10). */
  draws?: number;
  /** Rank of the constrained student (default 1). */
  rank?: number;
  /** Also fit an unconstrained (full-rank) student to each subset (default true). */
  unconstrained?: boolean;
  /** Fit options of the rank-R students (reference: lr 1e-2, 200 epochs). */
  lowRankFit?: Omit<LintFitOptions, 'rank'>;
  /** Fit options of the full-rank students (reference: lr 1e-4, 200 epochs). */
  fullRankFit?: Omit<LintFitOptions, 'rank'>;
  seed?: number;
  signal?: AbortSignal;
  onRow?: (row: SubsamplingRow) => void;
}

export interface SubsamplingScore {
  r2: number;
  r2Median: number;
  accuracy?: number;
}

export interface SubsamplingRow {
  fraction: number;
  draw: number;
  neurons: number[];
  lowRank: SubsamplingScore;
  fullRank?: SubsamplingScore;
}

export const SUBSAMPLING_DEFAULTS = {
  fractions: [1, 0.2, 0.05, 0.01],
  draws: 10,
  lowRankFit: { epochs: 200, lr: 1e-2 },
  fullRankFit: { epochs: 200, lr: 1e-4 },
} as const;

/**
 * For each fraction p and draw, picks round(p N) of the teacher's neurons at random (at least 1), fits a rank-R and
 * (optionally) a full-rank student to their trajectories, and scores each against the teacher on those neurons
 * (R² on validation trials; accuracy with the teacher's readout restricted to them).
 */
export async function subsampling(teacher: AnyModel, opts: SubsamplingOptions): Promise<SubsamplingRow[]> {
  const fractions = opts.fractions ?? [...SUBSAMPLING_DEFAULTS.fractions];
  if (!Array.isArray(fractions) || fractions.length === 0 || fractions.some((p) => !(p > 0 && p <= 1))) {
    throw new RangeError(`fractions must be a non-empty array of numbers in (0, 1]; got ${JSON.stringify(opts.fractions)}`);
  }
  const draws = opts.draws ?? SUBSAMPLING_DEFAULTS.draws;
  if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`draws must be a positive integer; got ${draws}`);
  const seed = checkSeed(opts.seed);
  const rank = opts.rank ?? 1;
  const N = teacher.size;
  const common = { task: opts.task, inputs: opts.inputs, trials: opts.trials, seed, signal: opts.signal };
  const score = async (rankOf: number | 'full', neurons: number[], fitOpts: Omit<LintFitOptions, 'rank'>): Promise<SubsamplingScore> => {
    const r = await fitTeacher(teacher, { ...common, ...fitOpts, rank: rankOf, neurons });
    r.fit.model.dispose();
    return { r2: r.r2.global, r2Median: r.r2.perNeuronMedian, accuracy: r.accuracy };
  };
  const rows: SubsamplingRow[] = [];
  for (const fraction of fractions) {
    const count = Math.max(1, Math.round(fraction * N));
    for (let draw = 0; draw < (count === N ? 1 : draws); draw++) {
      const neurons = new Random(seed * 7907 + draw * 31 + count).sampleIndices(N, count).sort((a, b) => a - b);
      const usedRank = Math.min(rank, count);
      const row: SubsamplingRow = {
        fraction,
        draw,
        neurons,
        lowRank: await score(usedRank, neurons, { ...SUBSAMPLING_DEFAULTS.lowRankFit, ...opts.lowRankFit }),
      };
      if (opts.unconstrained ?? true) row.fullRank = await score('full', neurons, { ...SUBSAMPLING_DEFAULTS.fullRankFit, ...opts.fullRankFit });
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}
