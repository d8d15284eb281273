// `lowrank report PATH --out report.html`: the self-contained HTML report of a result file, a model, or a folder.
import type { Command } from 'commander';
import { REPORT_DEFAULTS, writeReport } from '../report/index.js';
import { tasks } from '../tasks/index.js';
import { int } from './args.js';

interface ReportCliOptions {
  out: string;
  task?: string;
  preset?: string;
  trials: number;
  seed: number;
  analyses: boolean;
  maxPoints: number;
  title?: string;
  json?: boolean;
}

/** Adds the `report` command to the program. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('one self-contained HTML page (figures, tables, config, versions, commands, a 3-D view) of a result file, a model or a folder (docs/figures.md)')
    .argument('<path>', 'a result or model file (.npz), or a folder of them (e.g. lowrank-demo)')
    .requiredOption('--out <file.html>', 'where to write the page')
    .option('--task <name>', `the task models are run on (default: the one their files record): ${tasks.names.join(', ')}`)
    .option('--preset <name>', "the task's constants: 'lint' or 'populations'")
    .option('--trials <n>', 'trials simulated per model', int('--trials'), 32)
    .option('--seed <n>', 'seed of the trials', int('--seed', 0), 0)
    .option('--no-analyses', 'for a model alone: do not run the default analyses (fixed points, latent flow, measures)')
    .option('--max-points <n>', 'connectivity, gains figures: neurons drawn at most, every k-th (0 = all)', int('--max-points', 0), REPORT_DEFAULTS.maxPoints)
    .option('--title <text>', 'the page title')
    .option('--json', 'print the summary as one JSON line')
    .action(runReport);
}

async function runReport(path: string, o: ReportCliOptions): Promise<void> {
  const report = await writeReport(path, o.out, {
    task: o.task,
    preset: o.preset,
    trials: o.trials,
    seed: o.seed,
    analyses: o.analyses,
    maxPoints: o.maxPoints,
    title: o.title,
    onProgress: o.json ? undefined : (text) => process.stderr.write(`${text}\n`),
  });
  const summary = { type: 'report', out: o.out, files: report.files.length, figures: report.figures, views: report.views, errors: report.errors };
  if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    for (const e of report.errors) process.stderr.write(`could not draw: ${e}\n`);
    process.stdout.write(`${o.out}\n`);
  }
}
