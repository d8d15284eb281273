// `lowrank fit`: LINT fits of a teacher's trajectories or of trajectories from files, at each rank, printed as a
// table and saved. Parses arguments and calls ts/lint and ts/experiments; read top to bottom: read the inputs, build
// the targets, fit each rank, print, save.
import { basename, dirname, extname, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadNpy, loadNpz, toFloatTensor } from '../io/index.js';
import { loadModel } from '../model/files.js';
import { FullRankRNN, type AnyModel } from '../model/index.js';
import type { Device } from '../native/load.js';
import { tasks } from '../tasks/index.js';
import type { Task } from '../tasks/types.js';
import type { Tensor } from '../core/tensor.js';
import { saveFit, saveTable } from '../lint/files.js';
import { LINT_DEFAULTS, type ActivityKind, type LintFit } from '../lint/fit.js';
import { recordingTargets } from '../lint/recordings.js';
import { minimalRank, rankSweep, teacherRankSweep, RANK_SWEEP_DEFAULTS, type RankSweep, type RankSweepProgress, type RankSweepRow } from '../experiments/rank-sweep.js';
import { truncationBaseline, type TruncationScore } from '../lint/baselines.js';
import { TEACHER_TRIALS_DEFAULTS, type TeacherFit } from '../lint/teacher.js';
import { int, intList, num, threads } from './args.js';
import { interruptSignal, reportInterrupted, unlessAborted } from './interrupt.js';
import { StagePrinter, printTable } from './progress.js';
import { addRecordingOptions, fromRecording, recordingSource, type RecordingCliOptions } from './recording-source.js';
import { FIT_DATA_DEFAULTS } from '../recordings/fit-data.js';

interface FitCliOptions extends RecordingCliOptions {
  teacher?: string;
  task?: string;
  preset?: string;
  trials: number;
  data?: string;
  targets?: string;
  inputs?: string;
  mask?: string;
  prePeriod?: number;
  heldOut?: number;
  ranks: number[];
  rank?: number[];
  fraction: number;
  on: ActivityKind;
  epochs: number;
  lr: number;
  clip: number;
  batchSize?: number;
  noise?: number;
  truncation?: boolean;
  seed: number;
  threads: number;
  device: Device;
  out?: string;
}

/** What is fitted: a teacher run on a task's trials, or trajectories read from files. */
type FitSource = { teacher: AnyModel; task: Task } | { targets: Tensor; inputs: Tensor; mask?: Tensor };

/** One row of the printed and saved table. */
interface FitRow {
  rank: number;
  r2: number;
  r2Median: number;
  fittedR2: number;
  accuracy?: number;
  cc?: number;
  ecc?: number;
  truncationR2?: number;
  truncationAccuracy?: number;
}

export function registerFit(program: Command): void {
  const command = program
    .command('fit')
    .description('fit low-rank networks to trajectories (LINT): of a teacher model run on a task, from .npy files, or of a recording (NWB, MATLAB)')
    .option('--teacher <model.npz>', 'teacher network (a model file); its trajectories on --task trials are the targets')
    .option('--task <name>', `task the teacher is run on: ${tasks.names.join(', ')}`)
    .option('--preset <name>', "task constants: 'lint' or 'populations' (dm, mdm, wm)")
    .option('--trials <n>', 'trials generated from the task (20 % held out for scoring)', int('--trials', 10), TEACHER_TRIALS_DEFAULTS.trials)
    .option('--data <file.npz>', "arrays 'targets' [trials, steps, neurons], 'inputs' [trials, steps, K] and optionally 'mask'")
    .option('--targets <x.npy>', 'trajectories [trials, steps, neurons] (rates, or states with --on states)')
    .option('--inputs <u.npy>', 'inputs [trials, steps, K] (with --pre-period: the pre-period steps included)')
    .option('--mask <m.npy>', 'mask [trials, steps] or [trials, steps, neurons] (1 = fitted)')
    .option('--pre-period <P>', `free pre-period: targets are padded with P unfitted steps at the start (default 0; ${FIT_DATA_DEFAULTS.prePeriod} for a recording)`, int('--pre-period', 0))
    .option('--held-out <fraction>', 'fraction of trials (conditions) held out and scored (with --teacher: default 0.2)', num('--held-out'))
    .option('--ranks <list>', 'ranks to fit: 1,2,3 or 1-5', intList('--ranks'), [LINT_DEFAULTS.rank])
    .option('--rank <R>', 'one rank (same as --ranks R)', (v) => intList('--rank')(v))
    .option('--fraction <x>', 'minimal rank: the smallest reaching this fraction of the best R2', num('--fraction'), RANK_SWEEP_DEFAULTS.fraction)
    .addOption(new Option('--on <what>', 'fit rates phi(x) or states x (a recording: always states)').choices(['rates', 'states']).default(LINT_DEFAULTS.on))
    .option('--epochs <n>', 'epochs per fit', int('--epochs'), LINT_DEFAULTS.epochs)
    .option('--lr <x>', 'Adam learning rate', num('--lr'), LINT_DEFAULTS.lr)
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', num('--clip'), LINT_DEFAULTS.clip)
    .option('--batch-size <n>', 'trials per minibatch (default min(32, trials))', int('--batch-size'))
    .option('--noise <sigma>', "student noise while fitting (default: the teacher's, or 0 for data)", num('--noise'))
    .option('--truncation', "also score SVD truncations of a full-rank teacher's weights at the same ranks")
    .option('--seed <n>', 'seed of the trials, initial weights and noise', int('--seed', 0), 0)
    .option('--threads <n>', 'CPU threads (0 = all cores)', threads, 0)
    .addOption(new Option('--device <d>', 'backend').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--out <results.npz>', 'write the table here and each fit to <results>-rank<R>.npz (numpy-readable)')
    .option('--json', 'print JSON lines (epochs, then the result) instead of progress and a table');
  addRecordingOptions(command).action(runFit);
}

async function runFit(o: FitCliOptions): Promise<void> {
  if (o.rank) o.ranks = o.rank;
  const source = await readInputs(o);
  try {
    const sweep = await fitEachRank(o, source);
    if (sweep.interrupted) {
      // Ctrl-C: the ranks fitted so far are saved as if they were all that was asked
      const rows = tableRows(sweep, undefined);
      if (rows.length > 0) printResult(o, sweep, rows);
      const files = o.out && rows.length > 0 ? await saveResults(o, o.out, sweep, rows) : [];
      reportInterrupted(files, `the ${rows.length} finished rank(s)`);
      return;
    }
    const truncation = 'teacher' in source && o.truncation ? await truncations(o, source.teacher as FullRankRNN, source.task) : undefined;
    const rows = tableRows(sweep, truncation);
    printResult(o, sweep, rows);
    if (o.out) await saveResults(o, o.out, sweep, rows);
  } finally {
    if ('teacher' in source) source.teacher.dispose();
  }
}

/** The teacher and its task, or the targets, inputs and mask (the pre-period applied) from --data or .npy files. */
async function readInputs(o: FitCliOptions): Promise<FitSource> {
  const fromData = Boolean(o.targets || o.data);
  if ([Boolean(o.teacher), fromData, fromRecording(o)].filter(Boolean).length !== 1) {
    throw new InvalidArgumentError('give one of --teacher <model.npz> with --task, --data <file.npz> (or --targets <x.npy> with --inputs <u.npy>), or --nwb / --mat <recording>');
  }
  if (fromRecording(o)) {
    o.on = 'states'; // processed rates are fitted as states x, not as phi(x)
    return recordingSource(o);
  }
  if (o.teacher) {
    if (!o.task) throw new InvalidArgumentError('--teacher needs --task <name> (the trials the teacher is run on)');
    const task = tasks.byName(o.task, o.preset ? { preset: o.preset } : {});
    const teacher = await loadModel(o.teacher, { threads: o.threads, device: o.device });
    if (o.truncation && !(teacher instanceof FullRankRNN)) {
      teacher.dispose();
      throw new InvalidArgumentError('--truncation needs a full-rank teacher');
    }
    return { teacher, task };
  }
  return buildTargets(o, await loadData(o));
}

/** targets, inputs and mask from one .npz (--data) or from .npy files. */
async function loadData(o: FitCliOptions): Promise<{ targets: Tensor; inputs: Tensor; mask?: Tensor }> {
  if (o.data) {
    if (o.targets || o.inputs || o.mask) throw new InvalidArgumentError('give --data <file.npz> or --targets/--inputs/--mask, not both');
    let arrays;
    try {
      arrays = await loadNpz(o.data);
    } catch (err) {
      throw new InvalidArgumentError(`--data ${o.data}: ${(err as Error).message}`);
    }
    const get = (name: string) => (arrays[name] ? toFloatTensor(arrays[name], `${o.data}: '${name}'`, 'float32') : undefined);
    const targets = get('targets');
    const inputs = get('inputs');
    if (!targets || !inputs) throw new InvalidArgumentError(`--data ${o.data} needs arrays 'targets' and 'inputs' (and optionally 'mask'); it has ${Object.keys(arrays).join(', ')}`);
    return { targets, inputs, mask: get('mask') };
  }
  if (!o.inputs) throw new InvalidArgumentError('--targets needs --inputs <u.npy> [trials, steps, inputs]');
  return {
    targets: await loadTensor(o.targets!, '--targets'),
    inputs: await loadTensor(o.inputs, '--inputs'),
    mask: o.mask ? await loadTensor(o.mask, '--mask') : undefined,
  };
}

async function loadTensor(path: string, name: string): Promise<Tensor> {
  try {
    return await loadNpy(path, { dtype: 'float32' });
  } catch (err) {
    throw new InvalidArgumentError(`${name} ${path}: ${(err as Error).message}`);
  }
}

/** With --pre-period P: targets padded with P unfitted steps (lint.recordingTargets), and the mask that says so. */
function buildTargets(o: FitCliOptions, data: { targets: Tensor; inputs: Tensor; mask?: Tensor }): FitSource {
  if (!o.prePeriod) return data;
  if (data.mask) throw new InvalidArgumentError('give --mask or --pre-period, not both');
  const { targets, mask } = recordingTargets(data.targets, o.prePeriod);
  return { targets, inputs: data.inputs, mask };
}

/** The rank sweep (lint.teacherRankSweep or lint.rankSweep), with one progress line per rank. */
async function fitEachRank(o: FitCliOptions, source: FitSource): Promise<RankSweep & { interrupted?: true }> {
  const progress = new StagePrinter(Boolean(o.json));
  let current: number | undefined;
  const finished: RankSweepRow[] = [];
  const onProgress = (e: RankSweepProgress) => {
    if (e.type === 'rank') finished.push(e.row);
    if (e.type !== 'epoch') return;
    if (e.rank !== current) progress.start(`fitting rank ${(current = e.rank)} (${o.epochs} epochs, on ${o.on})`, o.epochs);
    progress.epoch(e.epoch);
  };
  const { on, epochs, lr, clip, batchSize, noise, seed, threads, device, ranks, fraction } = o;
  const options = { on, epochs, lr, clip, batchSize, noise, seed, threads, device, ranks, fraction, keepModels: Boolean(o.out), signal: interruptSignal(), onProgress };
  const sweep = await unlessAborted(
    'teacher' in source
      ? teacherRankSweep(source.teacher, { ...options, task: source.task, trials: o.trials, heldOut: o.heldOut })
      : rankSweep(source.targets, source.inputs, { ...options, mask: source.mask, heldOut: o.heldOut }),
  );
  progress.done();
  if (sweep) return sweep;
  if (finished.length === 0) return { rows: finished, best: NaN, fraction: o.fraction, interrupted: true };
  const { best, rank } = minimalRank(finished, o.fraction);
  return { rows: finished, best, fraction: o.fraction, minimalRank: rank, interrupted: true };
}

/** SVD truncations of a full-rank teacher at the same ranks, scored as the fits. */
function truncations(o: FitCliOptions, teacher: FullRankRNN, task: Task): Promise<TruncationScore[]> {
  return truncationBaseline(teacher, { task, ranks: o.ranks, trials: o.trials, heldOut: o.heldOut, on: o.on, seed: o.seed });
}

function teacherFit(r: LintFit | TeacherFit): TeacherFit | undefined {
  return 'fit' in r ? r : undefined;
}

function lintFit(r: LintFit | TeacherFit): LintFit {
  return teacherFit(r)?.fit ?? (r as LintFit);
}

function tableRows(sweep: RankSweep, truncation: TruncationScore[] | undefined): FitRow[] {
  return sweep.rows.map((row, i) => {
    const t = teacherFit(row.result);
    const fitted = lintFit(row.result);
    return {
      rank: row.rank,
      r2: row.r2,
      r2Median: t ? t.r2.perNeuronMedian : (fitted.heldOut ?? fitted).r2.perNeuronMedian,
      fittedR2: fitted.r2.global,
      accuracy: t?.accuracy,
      cc: t?.cc,
      ecc: t?.ecc,
      truncationR2: truncation?.[i].r2.global,
      truncationAccuracy: truncation?.[i].accuracy,
    };
  });
}

function printResult(o: FitCliOptions, sweep: RankSweep, rows: FitRow[]): void {
  if (o.json) {
    process.stdout.write(JSON.stringify({ type: 'result', on: o.on, best: sweep.best, minimalRank: sweep.minimalRank, rows }) + '\n');
    return;
  }
  const scored = o.teacher ? 'R2 vs teacher (validation)' : o.heldOut ? 'R2 held out' : 'R2 fitted';
  process.stdout.write(`${scored}, on ${o.on}; minimal rank reaching ${o.fraction} of the best: ${sweep.minimalRank ?? '-'}\n`);
  printTable(
    ['rank', 'R2', 'median R2/neuron', 'fitted R2', 'accuracy', 'CC', 'ECC', 'trunc R2', 'trunc acc'],
    rows.map((r) => [String(r.rank), r.r2, r.r2Median, r.fittedR2, r.accuracy, r.cc, r.ecc, r.truncationR2, r.truncationAccuracy]),
  );
}

/** `base.npz` -> `base-rank2.npz` next to it. */
function perRankPath(out: string, rank: number): string {
  const ext = extname(out) || '.npz';
  return join(dirname(out), `${basename(out, extname(out))}-rank${rank}${ext}`);
}

/** Each fit to <out>-rank<R>.npz (the models are disposed once saved), and the table to <out>; returns the files. */
async function saveResults(o: FitCliOptions, out: string, sweep: RankSweep, rows: FitRow[]): Promise<string[]> {
  const saved: string[] = [];
  for (const row of sweep.rows) {
    const path = perRankPath(out, row.rank);
    await saveFit(path, row.result);
    saved.push(path);
    lintFit(row.result).model.dispose();
  }
  const column = <K extends keyof FitRow>(key: K) => rows.map((r) => r[key] as number | undefined);
  await saveTable(
    out,
    {
      rank: column('rank'),
      r2: column('r2'),
      r2_median: column('r2Median'),
      fitted_r2: column('fittedR2'),
      accuracy: column('accuracy'),
      cc: column('cc'),
      ecc: column('ecc'),
      truncation_r2: column('truncationR2'),
      truncation_accuracy: column('truncationAccuracy'),
    },
    { on: o.on, best: sweep.best, fraction: o.fraction, minimalRank: sweep.minimalRank, teacher: o.teacher, task: o.task, targets: o.targets, fits: saved },
  );
  if (!o.json) process.stderr.write(`saved ${out} and ${saved.join(', ')}\n`);
  return [out, ...saved];
}
