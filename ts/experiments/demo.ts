// The demo of LINT's main result (Valente et al. 2022, fig. 2b-c): a full-rank network trained on context-dependent
// decision making is fitted by low-rank networks of increasing rank, which reproduce its trajectories and its task
// performance from rank 1, while truncating its own connectivity to the same rank does neither.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { saveModel } from '../model/files.js';
import { FullRankRNN } from '../model/models.js';
import { tasks } from '../tasks/index.js';
import { train, type EpochReport } from '../training/train.js';
import { saveFit, saveTable } from '../lint/files.js';
import { fitTeacher } from '../lint/teacher.js';
import { truncationBaseline } from '../lint/baselines.js';

export interface DemoOptions {
  /** Units of the teacher (default 512). */
  size?: number;
  /** Teacher training epochs at lr 1e-4 (default 30; the reference many-fit recipe). */
  teacherEpochs?: number;
  /** Epochs of each fit at lr 1e-2, clip 1 (default 150; the reference uses 500-1000). */
  fitEpochs?: number;
  ranks?: number[];
  seed?: number;
  /** Folder for teacher.npz, fit-rank<R>.npz and results.npz (created; default: nothing is saved). */
  outDir?: string;
  signal?: AbortSignal;
  /** One line per stage, e.g. for a CLI. */
  onStage?: (text: string) => void;
  onEpoch?: (stage: string, report: EpochReport, epochs: number) => void;
}

export interface DemoRow {
  rank: number;
  /** R² on rates phi(x) against the teacher, validation trials, each network with its own noise. */
  fitR2: number;
  fitAccuracy: number;
  truncationR2: number;
  truncationAccuracy: number;
}

export interface DemoResult {
  teacherAccuracy: number;
  rows: DemoRow[];
  files: string[];
  seconds: number;
}

export const DEMO_DEFAULTS = { size: 512, teacherEpochs: 30, fitEpochs: 150, ranks: [1, 2, 3], seed: 1 } as const;

/** Trains the CDM teacher, fits each rank, scores fits and SVD truncations the same way, and saves everything. */
export async function cdmDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const size = opts.size ?? DEMO_DEFAULTS.size;
  const teacherEpochs = opts.teacherEpochs ?? DEMO_DEFAULTS.teacherEpochs;
  const fitEpochs = opts.fitEpochs ?? DEMO_DEFAULTS.fitEpochs;
  const ranks = opts.ranks ?? [...DEMO_DEFAULTS.ranks];
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const files: string[] = [];
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  const out = (name: string) => {
    const path = join(opts.outDir!, name);
    files.push(path);
    return path;
  };

  const task = tasks.cdm();
  const teacher = new FullRankRNN({ size, inputs: task.inputSize, outputs: task.outputSize, noise: 0.05, seed, train: { wi: true, wo: true } });
  try {
    opts.onStage?.(`training a full-rank CDM teacher (N = ${size}, ${teacherEpochs} epochs, lr 1e-4)`);
    await train(teacher, task, {
      epochs: teacherEpochs,
      lr: 1e-4,
      seed,
      signal: opts.signal,
      onProgress: (e) => opts.onEpoch?.('teacher', e, teacherEpochs),
    });
    if (opts.outDir) await saveModel(out('teacher.npz'), teacher);
    const rows: DemoRow[] = [];
    let teacherAccuracy = NaN;
    for (const rank of ranks) {
      opts.onStage?.(`fitting a rank-${rank} network to the teacher's rates (${fitEpochs} epochs)`);
      const r = await fitTeacher(teacher, {
        task,
        rank,
        epochs: fitEpochs,
        seed,
        signal: opts.signal,
        onProgress: (e) => opts.onEpoch?.(`rank ${rank}`, e, fitEpochs),
      });
      const [cut] = await truncationBaseline(teacher, { task, ranks: [rank], seed });
      teacherAccuracy = r.teacherAccuracy!;
      rows.push({ rank, fitR2: r.r2.global, fitAccuracy: r.accuracy!, truncationR2: cut.r2.global, truncationAccuracy: cut.accuracy! });
      if (opts.outDir) await saveFit(out(`fit-rank${rank}.npz`), r);
      r.fit.model.dispose();
    }
    if (opts.outDir) {
      await saveTable(
        out('results.npz'),
        {
          rank: rows.map((r) => r.rank),
          fit_r2: rows.map((r) => r.fitR2),
          fit_accuracy: rows.map((r) => r.fitAccuracy),
          truncation_r2: rows.map((r) => r.truncationR2),
          truncation_accuracy: rows.map((r) => r.truncationAccuracy),
        },
        { task: 'cdm', teacher: { size, epochs: teacherEpochs, accuracy: teacherAccuracy }, fitEpochs, r2On: 'rates', seed },
      );
    }
    return { teacherAccuracy, rows, files, seconds: (performance.now() - started) / 1000 };
  } finally {
    teacher.dispose();
  }
}
