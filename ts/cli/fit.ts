// `lowrank fit` and `lowrank demo`: argument parsing and printing around ts/lint.
import { basename, dirname, extname, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadNpy, loadNpz, toFloatTensor } from '../io/index.js';
import { loadModel } from '../model/files.js';
import { FullRankRNN, type AnyModel } from '../model/models.js';
import { tasks } from '../tasks/index.js';
import type { Tensor } from '../core/tensor.js';
import type { EpochReport } from '../training/train.js';
import { cdmDemo, DEMO_DEFAULTS } from '../experiments/demo.js';
import { saveFit, saveTable } from '../lint/files.js';
import { LINT_DEFAULTS, type ActivityKind, type LintFit } from '../lint/fit.js';
import { recordingTargets } from '../lint/recordings.js';
import { rankSweep, teacherRankSweep, type RankSweep } from '../experiments/rank-sweep.js';
import { truncationBaseline, type TruncationScore } from '../lint/baselines.js';
import type { TeacherFit } from '../lint/teacher.js';
import { fractionList, int, intList, num } from './args.js';
import { ProgressLine } from './progress.js';

interface FitCliOptions {
  teacher?: string;
  task?: string;
  preset?: string;
  trials: number;
  data?: string;
  targets?: string;
  inputs?: string;
  mask?: string;
  prePeriod: number;
  heldOut?: number;
  ranks: number[];
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
  device: 'auto' | 'cpu' | 'cuda';
  out?: string;
  json?: boolean;
}

/** Prints rows as an aligned text table, numbers to 3 decimals (stderr is for progress; tables go to stdout). */
function printTable(header: string[], rows: (string | number | undefined)[][]): void {
  const cells = rows.map((r) => r.map((v) => (v === undefined ? '-' : typeof v === 'number' ? v.toFixed(3) : v)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write([line(header), ...cells.map(line)].join('\n') + '\n');
}

/** `base.npz` -> `base-rank2.npz` next to it. */
function perRankPath(out: string, rank: number): string {
  const ext = extname(out) || '.npz';
  return join(dirname(out), `${basename(out, extname(out))}-rank${rank}${ext}`);
}

function epochPrinter(json: boolean) {
  let line: ProgressLine | undefined;
  return {
    start(name: string, epochs: number) {
      line?.done();
      line = new ProgressLine(epochs, json);
      line.note(name);
    },
    epoch(e: EpochReport) {
      line?.epoch(e);
    },
    done() {
      line?.done();
    },
  };
}

async function loadTensor(path: string, name: string): Promise<Tensor> {
  try {
    return await loadNpy(path, { dtype: 'float32' });
  } catch (err) {
    throw new InvalidArgumentError(`${name} ${path}: ${(err as Error).message}`);
  }
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

async function runFit(o: FitCliOptions): Promise<void> {
  const fromData = Boolean(o.targets || o.data);
  if (Boolean(o.teacher) === fromData) {
    throw new InvalidArgumentError('give either --teacher <model.npz> with --task, or --data <file.npz> (or --targets <x.npy> with --inputs <u.npy>)');
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const progress = epochPrinter(Boolean(o.json));
  const common = {
    on: o.on,
    epochs: o.epochs,
    lr: o.lr,
    clip: o.clip,
    batchSize: o.batchSize,
    noise: o.noise,
    seed: o.seed,
    threads: o.threads,
    device: o.device,
    signal: controller.signal,
    onProgress: (e: EpochReport) => progress.epoch(e),
  };
  const announce = (rank: number) => progress.start(`fitting rank ${rank} (${o.epochs} epochs, on ${o.on})`, o.epochs);
  const sweepOpts = {
    ranks: o.ranks,
    fraction: o.fraction,
    keepModels: Boolean(o.out),
    onRank: (row: { rank: number }) => {
      const next = o.ranks[o.ranks.indexOf(row.rank) + 1];
      if (next !== undefined) announce(next);
    },
  };
  let sweep: RankSweep;
  let truncation: TruncationScore[] | undefined;
  let teacher: AnyModel | undefined;
  if (o.teacher) {
    if (!o.task) throw new InvalidArgumentError('--teacher needs --task <name> (the trials the teacher is run on)');
    const task = tasks.byName(o.task, o.preset ? { preset: o.preset } : {});
    teacher = await loadModel(o.teacher, { threads: o.threads, device: o.device });
    if (o.truncation && !(teacher instanceof FullRankRNN)) throw new InvalidArgumentError('--truncation needs a full-rank teacher');
    announce(o.ranks[0]);
    sweep = await teacherRankSweep(teacher, { ...common, ...sweepOpts, task, trials: o.trials });
    progress.done();
    if (teacher instanceof FullRankRNN && o.truncation) {
      truncation = await truncationBaseline(teacher, { task, ranks: o.ranks, trials: o.trials, on: o.on, seed: o.seed });
    }
  } else {
    const data = await loadData(o);
    const inputs = data.inputs;
    let { targets, mask } = data;
    if (o.prePeriod > 0) {
      if (mask) throw new InvalidArgumentError('give --mask or --pre-period, not both');
      const prepared = recordingTargets(targets, o.prePeriod);
      targets = prepared.targets;
      mask = prepared.mask;
    }
    announce(o.ranks[0]);
    sweep = await rankSweep(targets, inputs, { ...common, ...sweepOpts, mask, heldOut: o.heldOut });
    progress.done();
  }

  const teacherFit = (r: LintFit | TeacherFit): TeacherFit | undefined => ('fit' in r ? r : undefined);
  const rows = sweep.rows.map((row, i) => {
    const t = teacherFit(row.result);
    const lintFit = t ? t.fit : (row.result as LintFit);
    return {
      rank: row.rank,
      r2: row.r2,
      r2Median: t ? t.r2.perNeuronMedian : (lintFit.heldOut ?? lintFit).r2.perNeuronMedian,
      fittedR2: lintFit.r2.global,
      accuracy: t?.accuracy,
      cc: t?.cc,
      ecc: t?.ecc,
      truncationR2: truncation?.[i].r2.global,
      truncationAccuracy: truncation?.[i].accuracy,
    };
  });
  if (o.json) {
    process.stdout.write(JSON.stringify({ type: 'result', on: o.on, best: sweep.best, minimalRank: sweep.minimalRank, rows }) + '\n');
  } else {
    const scored = o.teacher ? 'R2 vs teacher (validation)' : o.heldOut ? 'R2 held out' : 'R2 fitted';
    process.stdout.write(`${scored}, on ${o.on}; minimal rank reaching ${o.fraction} of the best: ${sweep.minimalRank ?? '-'}\n`);
    printTable(
      ['rank', 'R2', 'median R2/neuron', 'fitted R2', 'accuracy', 'CC', 'ECC', 'trunc R2', 'trunc acc'],
      rows.map((r) => [String(r.rank), r.r2, r.r2Median, r.fittedR2, r.accuracy, r.cc, r.ecc, r.truncationR2, r.truncationAccuracy]),
    );
  }
  if (o.out) {
    const saved: string[] = [];
    for (const row of sweep.rows) {
      const path = perRankPath(o.out, row.rank);
      await saveFit(path, row.result);
      saved.push(path);
      (teacherFit(row.result)?.fit ?? (row.result as LintFit)).model.dispose();
    }
    await saveTable(
      o.out,
      {
        rank: rows.map((r) => r.rank),
        r2: rows.map((r) => r.r2),
        r2_median: rows.map((r) => r.r2Median),
        fitted_r2: rows.map((r) => r.fittedR2),
        accuracy: rows.map((r) => r.accuracy),
        cc: rows.map((r) => r.cc),
        ecc: rows.map((r) => r.ecc),
        truncation_r2: rows.map((r) => r.truncationR2),
        truncation_accuracy: rows.map((r) => r.truncationAccuracy),
      },
      { on: o.on, best: sweep.best, fraction: o.fraction, minimalRank: sweep.minimalRank, teacher: o.teacher, task: o.task, targets: o.targets, fits: saved },
    );
    if (!o.json) process.stderr.write(`saved ${o.out} and ${saved.join(', ')}\n`);
  }
  teacher?.dispose();
}

export function registerLintCommands(program: Command): void {
  program
    .command('fit')
    .description('fit low-rank networks to trajectories (LINT): of a teacher model run on a task, or from .npy files')
    .option('--teacher <model.npz>', 'teacher network (a model file); its trajectories on --task trials are the targets')
    .option('--task <name>', `task the teacher is run on: ${tasks.names.join(', ')}`)
    .option('--preset <name>', "task constants: 'lint' or 'populations' (dm, mdm, wm)")
    .option('--trials <n>', 'trials generated from the task (20 % held out for scoring)', int('--trials', 10), 1000)
    .option('--data <file.npz>', "arrays 'targets' [trials, steps, neurons], 'inputs' [trials, steps, K] and optionally 'mask'")
    .option('--targets <x.npy>', 'trajectories [trials, steps, neurons] (rates, or states with --on states)')
    .option('--inputs <u.npy>', 'inputs [trials, steps, K] (with --pre-period: the pre-period steps included)')
    .option('--mask <m.npy>', 'mask [trials, steps] or [trials, steps, neurons] (1 = fitted)')
    .option('--pre-period <P>', 'free pre-period: targets are padded with P unfitted steps at the start', int('--pre-period', 0), 0)
    .option('--held-out <fraction>', 'fraction of trials (conditions) held out and scored', num('--held-out'))
    .option('--ranks <list>', 'ranks to fit: 1,2,3 or 1-5', intList('--ranks'), [LINT_DEFAULTS.rank])
    .option('--rank <R>', 'one rank (same as --ranks R)', (v) => intList('--rank')(v))
    .option('--fraction <x>', 'minimal rank: the smallest reaching this fraction of the best R2', num('--fraction'), 0.95)
    .addOption(new Option('--on <what>', 'fit rates phi(x) or states x').choices(['rates', 'states']).default('rates'))
    .option('--epochs <n>', 'epochs per fit', int('--epochs'), LINT_DEFAULTS.epochs)
    .option('--lr <x>', 'Adam learning rate', num('--lr'), LINT_DEFAULTS.lr)
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', num('--clip'), LINT_DEFAULTS.clip)
    .option('--batch-size <n>', 'trials per minibatch (default min(32, trials))', int('--batch-size'))
    .option('--noise <sigma>', "student noise while fitting (default: the teacher's, or 0 for data)", num('--noise'))
    .option('--truncation', "also score SVD truncations of a full-rank teacher's weights at the same ranks")
    .option('--seed <n>', 'seed of the trials, initial weights and noise', int('--seed', 0), 0)
    .option('--threads <n>', 'CPU threads (0 = all cores)', int('--threads', 0), 0)
    .addOption(new Option('--device <d>', 'backend').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--out <results.npz>', 'write the table here and each fit to <results>-rank<R>.npz (numpy-readable)')
    .option('--json', 'print JSON lines (epochs, then the result) instead of progress and a table')
    .action(async (o: FitCliOptions & { rank?: number[] }) => {
      if (o.rank) o.ranks = o.rank;
      await runFit(o);
    });

  program
    .command('demo')
    .description("LINT's main result in a few minutes: fit ranks 1-3 to a full-rank CDM network, against SVD truncation")
    .option('--size <N>', 'teacher units', int('--size', 8), DEMO_DEFAULTS.size)
    .option('--teacher-epochs <n>', 'teacher training epochs', int('--teacher-epochs'), DEMO_DEFAULTS.teacherEpochs)
    .option('--fit-epochs <n>', 'epochs per fit', int('--fit-epochs'), DEMO_DEFAULTS.fitEpochs)
    .option('--ranks <list>', 'ranks to fit', intList('--ranks'), [...DEMO_DEFAULTS.ranks])
    .option('--seed <n>', 'seed', int('--seed', 0), DEMO_DEFAULTS.seed)
    .option('--out-dir <dir>', 'where teacher.npz, fit-rank<R>.npz and results.npz are written', 'lowrank-demo')
    .option('--json', 'print JSON lines instead of progress and a table')
    .action(async (o: { size: number; teacherEpochs: number; fitEpochs: number; ranks: number[]; seed: number; outDir: string; json?: boolean }) => {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const progress = epochPrinter(Boolean(o.json));
      let current = '';
      const result = await cdmDemo({
        ...o,
        signal: controller.signal,
        onStage: (text) => {
          current = text;
        },
        onEpoch: (stage, e, epochs) => {
          if (e.epoch === 1) progress.start(current, epochs);
          progress.epoch(e);
        },
      });
      progress.done();
      if (o.json) {
        process.stdout.write(JSON.stringify({ type: 'result', ...result }) + '\n');
        return;
      }
      process.stdout.write(
        `CDM teacher: full-rank, N = ${o.size}, accuracy ${result.teacherAccuracy.toFixed(3)}. ` +
          `R2 on rates against the teacher (held-out trials); accuracy with the teacher's readout.\n`,
      );
      printTable(
        ['rank', 'fit R2', 'fit accuracy', 'truncation R2', 'truncation accuracy'],
        result.rows.map((r) => [String(r.rank), r.fitR2, r.fitAccuracy, r.truncationR2, r.truncationAccuracy]),
      );
      process.stdout.write(`${result.seconds.toFixed(0)} s; saved ${result.files.join(', ')}\n`);
    });
}
