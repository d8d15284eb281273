// The demo of LINT's main result (Valente et al. 2022, fig. 2b-c): a full-rank network trained on context-dependent
// decision making is fitted by low-rank networks of increasing rank, which reproduce its trajectories and its task
// performance from rank 1, while truncating its own connectivity to the same rank does neither.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { modelArrays } from '../model/files.js';
import { saveResult } from '../results/format.js';
import { FullRankRNN } from '../model/index.js';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { tasks } from '../tasks/index.js';
import type { Task } from '../tasks/types.js';
import { train, type EpochReport, type TrainResult } from '../training/train.js';
import { saveFit, saveTable } from '../lint/files.js';
import { fitTeacher } from '../lint/teacher.js';
import { truncationBaseline } from '../lint/baselines.js';
import { rule } from '../lint/rules.js';

/** Options of {@link cdmDemo}; defaults in {@link DEMO_DEFAULTS}. */
export interface DemoOptions {
  /** Units of the teacher (default 512). */
  size?: number;
  /** Teacher training epochs at lr 1e-4 (default 30; the reference many-fit recipe). */
  teacherEpochs?: number;
  /** Epochs of each fit at lr 1e-2, clip 1 (default 150; the reference uses 500-1000). */
  fitEpochs?: number;
  /** Ranks of the fits and truncations (default 1, 2, 3). */
  ranks?: readonly number[];
  /** Seed of the teacher, its training, the trials and the fits (default 1). */
  seed?: number;
  /** Folder for teacher.npz, fit-rank<R>.npz and results.npz (created; default: nothing is saved). */
  outDir?: string;
  /** Aborts the current training or fit; the call then rejects with an error named AbortError. */
  signal?: AbortSignal;
  /** Called at the start of each stage (the teacher, then each rank) and after each of its epochs. */
  onProgress?: (event: DemoProgress) => void;
}

/** What the demo reports: the start of each stage (one line of text, e.g. for a CLI), then each epoch of it. */
export type DemoProgress =
  | { type: 'stage'; stage: string; text: string; epochs: number }
  | { type: 'epoch'; stage: string; epoch: EpochReport; epochs: number };

/** One rank of the demo: the fit and the SVD truncation of the teacher, scored the same way. */
export interface DemoRow {
  /** The rank of the fit and of the truncation. */
  rank: number;
  /** R² on rates phi(x) against the teacher, held-out trials, each network with its own noise. */
  fitR2: number;
  /** CDM accuracy of the fit with the teacher's readout, on the held-out trials. */
  fitAccuracy: number;
  /** R² of the rank-R truncation, scored as `fitR2`. */
  truncationR2: number;
  /** CDM accuracy of the truncation, on the held-out trials. */
  truncationAccuracy: number;
}

/** What {@link cdmDemo} returns: the table of the demo and the files written. */
export interface DemoResult {
  /** CDM accuracy of the trained teacher on the held-out trials. */
  teacherAccuracy: number;
  /** One row per rank. */
  rows: DemoRow[];
  /** The paths written under `outDir` (none without it). */
  files: string[];
  /** Wall-clock time of the demo. */
  seconds: number;
}

/**
 * The defaults of `lint.cdmDemo`: a teacher of 512 units trained for 30 epochs, fits of rank 1, 2 and 3 of 150
 * epochs each, seed 1.
 */
export const DEMO_DEFAULTS = { size: 512, teacherEpochs: 30, fitEpochs: 150, ranks: [1, 2, 3], seed: 1 } as const satisfies DemoOptions;

/** The teacher's recipe (the reference many-fit recipe): noise 0.05, wi and wo trained, Adam at lr 1e-4. */
export const DEMO_TEACHER = { noise: 0.05, lr: 1e-4 } as const;

function demoRules(size: number): Rules<DemoOptions> {
  return {
    size: is.integer(8),
    teacherEpochs: is.integer(1),
    fitEpochs: is.integer(1),
    ranks: rule.ranks(size),
    seed: is.seed(),
    outDir: is.string(),
    signal: is.signal(),
    onProgress: is.function(),
  };
}

type Demo = DemoOptions & typeof DEMO_DEFAULTS;

/** Trains the CDM teacher, fits each rank, scores fits and SVD truncations the same way, and saves everything. */
export async function cdmDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const size = (options as DemoOptions | undefined)?.size ?? DEMO_DEFAULTS.size;
  const o = checkOptions('lint.cdmDemo', demoRules(typeof size === 'number' ? size : Infinity), options, DEMO_DEFAULTS) as Demo;
  const files: string[] = [];
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });
  const out = (name: string) => {
    const path = join(o.outDir!, name);
    files.push(path);
    return path;
  };
  const task = tasks.cdm();
  const { teacher, training } = await trainTeacher(task, o);
  try {
    // the teacher's file keeps its task and training epochs, for the report's training curves and trials
    if (o.outDir) await saveResult(out('teacher.npz'), 'model', {}, { arrays: modelArrays(teacher), meta: { task: 'cdm', training: { epochs: training.epochs, bestLoss: training.bestLoss, bestEpoch: training.bestEpoch } } });
    const rows: DemoRow[] = [];
    let teacherAccuracy = NaN;
    for (const rank of o.ranks) {
      const row = await fitAndTruncate(teacher, task, rank, o, o.outDir ? out(`fit-rank${rank}.npz`) : undefined);
      teacherAccuracy = row.teacherAccuracy;
      rows.push(row.row);
    }
    if (o.outDir) await saveTable(out('results.npz'), demoColumns(rows), demoMeta(o, teacherAccuracy));
    return { teacherAccuracy, rows, files, seconds: (performance.now() - started) / 1000 };
  } finally {
    teacher.dispose();
  }
}

/** The full-rank CDM teacher, trained with the reference many-fit recipe. */
async function trainTeacher(task: Task, o: Demo): Promise<{ teacher: FullRankRNN; training: TrainResult }> {
  const { size, teacherEpochs: epochs, seed } = o;
  const teacher = new FullRankRNN({ size, inputs: task.inputSize, outputs: task.outputSize, noise: DEMO_TEACHER.noise, seed, train: { wi: true, wo: true } });
  const stage = 'teacher';
  o.onProgress?.({ type: 'stage', stage, text: `training a full-rank CDM teacher (N = ${size}, ${epochs} epochs, lr ${DEMO_TEACHER.lr.toExponential()})`, epochs });
  try {
    const training = await train(teacher, task, { epochs, lr: DEMO_TEACHER.lr, seed, signal: o.signal, onProgress: (epoch) => o.onProgress?.({ type: 'epoch', stage, epoch, epochs }) });
    return { teacher, training };
  } catch (err) {
    teacher.dispose();
    throw err;
  }
}

/** One rank: the fit and the truncation, scored on the same held-out trials and the same teacher run (one seed). */
async function fitAndTruncate(teacher: FullRankRNN, task: Task, rank: number, o: Demo, path: string | undefined) {
  const stage = `rank ${rank}`;
  const epochs = o.fitEpochs;
  o.onProgress?.({ type: 'stage', stage, text: `fitting a rank-${rank} network to the teacher's rates (${epochs} epochs)`, epochs });
  const r = await fitTeacher(teacher, {
    task,
    rank,
    epochs,
    seed: o.seed,
    signal: o.signal,
    onProgress: (epoch) => o.onProgress?.({ type: 'epoch', stage, epoch, epochs }),
  });
  try {
    const [cut] = await truncationBaseline(teacher, { task, ranks: [rank], seed: o.seed });
    if (path) await saveFit(path, r);
    const row: DemoRow = { rank, fitR2: r.r2.global, fitAccuracy: r.accuracy!, truncationR2: cut.r2.global, truncationAccuracy: cut.accuracy! };
    return { row, teacherAccuracy: r.teacherAccuracy! };
  } finally {
    r.fit.model.dispose();
  }
}

function demoColumns(rows: DemoRow[]) {
  return {
    rank: rows.map((r) => r.rank),
    fit_r2: rows.map((r) => r.fitR2),
    fit_accuracy: rows.map((r) => r.fitAccuracy),
    truncation_r2: rows.map((r) => r.truncationR2),
    truncation_accuracy: rows.map((r) => r.truncationAccuracy),
  };
}

function demoMeta(o: Demo, teacherAccuracy: number) {
  return { task: 'cdm', teacher: { size: o.size, epochs: o.teacherEpochs, accuracy: teacherAccuracy }, fitEpochs: o.fitEpochs, r2On: 'rates', seed: o.seed };
}
