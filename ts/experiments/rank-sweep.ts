// Rank sweeps: the minimal rank that explains the data (lint_reference.md §5, §8). Each rank is fitted to the same
// trajectories (or the same teacher run) with the same seed, and scored the same way.
import type { AnyModel } from '../model/index.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import type { EpochReport } from '../training/train.js';
import { rule } from '../lint/rules.js';
import { fit, type LintFit, type LintFitOptions } from '../lint/fit.js';
import { fitTeacher, type FitTeacherOptions, type TeacherFit } from '../lint/teacher.js';

/** One rank of a sweep: its score and the fit it came from. */
export interface RankSweepRow {
  /** The student's rank. */
  rank: number;
  /** The score the sweep compares: held-out R² when trials are held out (or a teacher is given), else fitted R². */
  r2: number;
  /** The fit (`lint.fit`'s or `lint.fitTeacher`'s); its model is disposed unless `keepModels`. */
  result: LintFit | TeacherFit;
}

/** What {@link rankSweep} and {@link teacherRankSweep} return: a row per rank and the minimal rank. */
export interface RankSweep {
  /** One row per rank, in the order of `ranks`. */
  rows: RankSweepRow[];
  /** The best global R² of the rows. */
  best: number;
  /** The fraction of `best` the minimal rank had to reach. */
  fraction: number;
  /** The smallest rank whose R² reaches fraction x best (undefined when the best R² is not positive). */
  minimalRank?: number;
}

/** What a sweep reports: each epoch of the fit of `rank`, then each rank once fitted (`done` of `total` ranks). */
export type RankSweepProgress =
  | { type: 'epoch'; rank: number; epoch: EpochReport }
  | { type: 'rank'; row: RankSweepRow; done: number; total: number };

/** The sweep's own options, beside those of each fit; defaults in {@link RANK_SWEEP_DEFAULTS}. */
export interface RankSweepOptions {
  /** Ranks to fit (default 1..5). */
  ranks?: readonly number[];
  /** Fraction of the best R² that the minimal rank must reach (default 0.95). */
  fraction?: number;
  /** Keep every fitted model (default false: they are disposed, only their scores kept). */
  keepModels?: boolean;
  /** Called after each epoch of each fit and after each rank. */
  onProgress?: (event: RankSweepProgress) => void;
}

/** The defaults of `lint.rankSweep` and `lint.teacherRankSweep`: ranks 1..5, minimal rank at 95 % of the best R². */
export const RANK_SWEEP_DEFAULTS = { ranks: [1, 2, 3, 4, 5], fraction: 0.95, keepModels: false } as const satisfies RankSweepOptions;

const SWEEP_RULES: Rules<RankSweepOptions> = {
  ranks: rule.ranks(),
  fraction: is.number(0, 1, { minOpen: true }),
  keepModels: is.boolean(),
  onProgress: is.function(),
};

/** The minimal rank reaching `fraction` of the best score. */
export function minimalRank(rows: { rank: number; r2: number }[], fraction: number): { best: number; rank?: number } {
  checkValue('minimalRank', 'rows', rows, is.arrayOf(is.object('a row { rank, r2 }')), 'argument');
  checkValue('minimalRank', 'fraction', fraction, is.number(0, 1, { minOpen: true }), 'argument');
  const best = Math.max(...rows.map((r) => r.r2));
  if (!(best > 0)) return { best };
  const ok = rows.filter((r) => r.r2 >= fraction * best).map((r) => r.rank);
  return { best, rank: Math.min(...ok) };
}

/** Splits a sweep's own options (checked against their rules) from the options of each fit. */
function sweepOptions<F extends object>(where: string, options: F & RankSweepOptions): [Required<Omit<RankSweepOptions, 'onProgress'>> & RankSweepOptions, F] {
  const { ranks, fraction, keepModels, onProgress, ...fitOptions } = options ?? ({} as F & RankSweepOptions);
  const own = checkOptions(where, SWEEP_RULES, { ranks, fraction, keepModels, onProgress }, RANK_SWEEP_DEFAULTS);
  return [own as Required<Omit<RankSweepOptions, 'onProgress'>> & RankSweepOptions, fitOptions as unknown as F];
}

async function sweep(
  opts: Required<Omit<RankSweepOptions, 'onProgress'>> & RankSweepOptions,
  fitRank: (rank: number, onEpoch: (e: EpochReport) => void) => Promise<{ r2: number; result: LintFit | TeacherFit; model: AnyModel }>,
): Promise<RankSweep> {
  const rows: RankSweepRow[] = [];
  for (const rank of opts.ranks) {
    const { r2, result, model } = await fitRank(rank, (epoch) => opts.onProgress?.({ type: 'epoch', rank, epoch }));
    const row = { rank, r2, result };
    if (!opts.keepModels) model.dispose();
    rows.push(row);
    opts.onProgress?.({ type: 'rank', row, done: rows.length, total: opts.ranks.length });
  }
  const { best, rank } = minimalRank(rows, opts.fraction);
  return { rows, best, fraction: opts.fraction, minimalRank: rank };
}

/** Options of {@link rankSweep}: those of `lint.fit` for every rank (but `rank` and `onProgress`) and the sweep's. */
export type RankSweepFitOptions = Omit<LintFitOptions, 'rank' | 'onProgress'> & RankSweepOptions;

/** Fits each rank to trajectories; the score is the held-out R² when `heldOut` is set, else the fitted R². */
export async function rankSweep(targets: Tensor, inputs: Tensor, options: RankSweepFitOptions = {}): Promise<RankSweep> {
  const [own, fitOptions] = sweepOptions('lint.rankSweep', options);
  return sweep(own, async (rank, onProgress) => {
    const result = await fit(targets, inputs, { ...fitOptions, rank, onProgress });
    return { r2: (result.heldOut ?? result).r2.global, result, model: result.model };
  });
}

/** Options of {@link teacherRankSweep}: those of `lint.fitTeacher` (but `rank` and `onProgress`) and the sweep's. */
export type TeacherRankSweepOptions = Omit<FitTeacherOptions, 'rank' | 'onProgress'> & RankSweepOptions;

/** Fits each rank to a teacher's trajectories; the score is the R² against the teacher on the held-out trials. */
export async function teacherRankSweep(teacher: AnyModel, options: TeacherRankSweepOptions): Promise<RankSweep> {
  const [own, fitOptions] = sweepOptions('lint.teacherRankSweep', options);
  return sweep(own, async (rank, onProgress) => {
    const result = await fitTeacher(teacher, { ...fitOptions, rank, onProgress });
    return { r2: result.r2.global, result, model: result.fit.model };
  });
}
