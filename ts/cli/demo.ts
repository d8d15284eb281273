// `lowrank demo`: LINT's main result in a few minutes (ts/experiments/demo.ts), printed as a table.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { cdmDemo, DEMO_DEFAULTS, type DemoResult } from '../experiments/demo.js';
import { int, intList } from './args.js';
import { interruptSignal, reportInterrupted, unlessAborted } from './interrupt.js';
import { StagePrinter, printTable } from './progress.js';
import { writeReport } from '../report/index.js';

interface DemoCliOptions {
  size: number;
  teacherEpochs: number;
  fitEpochs: number;
  ranks: number[];
  seed: number;
  outDir: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
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
    .action(runDemo);
}

async function runDemo(o: DemoCliOptions): Promise<void> {
  const progress = new StagePrinter(Boolean(o.json));
  const { json, ...options } = o;
  const started = Date.now();
  const result = await unlessAborted(cdmDemo({
    ...options,
    signal: interruptSignal(),
    onProgress: (e) => (e.type === 'stage' ? progress.start(e.text, e.epochs) : progress.epoch(e.epoch)),
  }));
  progress.done();
  if (!result) return reportInterrupted(filesWrittenSince(o.outDir, started), 'the teacher and the finished fits');
  const report = join(o.outDir, 'report.html');
  await writeReport(o.outDir, report, { task: 'cdm', analyses: false });
  if (json) process.stdout.write(JSON.stringify({ type: 'result', ...result, report }) + '\n');
  else {
    printDemo(result, o.size);
    process.stdout.write(`report: ${report}\n`);
  }
}

function printDemo(result: DemoResult, size: number): void {
  process.stdout.write(
    `CDM teacher: full-rank, N = ${size}, accuracy ${result.teacherAccuracy.toFixed(3)}. ` +
      `R2 on rates against the teacher (held-out trials); accuracy with the teacher's readout.\n`,
  );
  printTable(
    ['rank', 'fit R2', 'fit accuracy', 'truncation R2', 'truncation accuracy'],
    result.rows.map((r) => [String(r.rank), r.fitR2, r.fitAccuracy, r.truncationR2, r.truncationAccuracy]),
  );
  process.stdout.write(`${result.seconds.toFixed(0)} s; saved ${result.files.join(', ')}\n`);
}

/** The files of `dir` written since `since` (ms): what an interrupted demo had finished. */
function filesWrittenSince(dir: string, since: number): string[] {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  return names.map((name) => join(dir, name)).filter((path) => statSync(path).mtimeMs >= since - 1000 && !basename(path).startsWith('.'));
}
