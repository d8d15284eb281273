// `lowrank partial-observation ...`: teacher-student experiments under partial observation (seed 003) and the
// closed-form estimator. Parses arguments and calls ts/partial-observation.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import * as po from '../partial-observation/index.js';
import { loadNpy } from '../io/index.js';
import { loadModel } from '../model/files.js';
import { saveResult } from '../results/format.js';
import { num } from './args.js';
import { interruptSignal, reportInterrupted, unlessAborted } from './interrupt.js';

interface EstimateCliOptions {
  states: string;
  alpha: number;
  ridge: number;
  activation: po.PartialActivation;
  out: string;
  json?: boolean;
}

interface RunCliOptions {
  out: string;
  table?: string;
  json?: boolean;
}

/** Adds the `partial-observation` command group to the program. */
export function registerPartialObservation(program: Command): void {
  const group = program
    .command('partial-observation')
    .description('teacher-student experiments: when RNNs fitted to a few observed units invent attractors (docs/partial-observation.md)');
  group
    .command('estimate')
    .description('the closed-form MAP / ridge estimate of A in x_t = (1 - a) x_{t-1} + a A phi(x_{t-1}) + a eta_t from observed activity')
    .requiredOption('--states <X.npy>', 'observed activity [T, d] or [B, T, d] (each trial its own sequence)')
    .requiredOption('--alpha <a>', 'a = dt / tau of the dynamics, in (0, 1]', num('--alpha'))
    .requiredOption('--ridge <rho>', 'the ridge rho >= 0', num('--ridge'))
    .addOption(new Option('--activation <phi>', 'phi').choices([...po.PARTIAL_ACTIVATIONS]).default('linear'))
    .requiredOption('--out <E.npz>', 'writes A [d, d], eigenvalues [d, 2] (real, imaginary), line_attractor_score, time_constants')
    .option('--json', 'print the summary as one JSON line')
    .action(runEstimate);
  group
    .command('run <config>')
    .description('run an experiment or a sweep from a JSON config ({ teacher, simulation, ridge, students, ... } or { sweep: { teachers, units | fractions, noise, seeds, simulation } })')
    .requiredOption('--out <R.npz>', 'where to write the result (kind partial-observation: eigenvalues, teacher_eigenvalues, ... or table.*)')
    .option('--table <file.md>', 'a sweep: also write its Markdown table here')
    .option('--json', 'print the summary as one JSON line')
    .action(runConfig);
}

async function runEstimate(o: EstimateCliOptions): Promise<void> {
  const states = await loadNpy(o.states, { dtype: 'float64' });
  const e = await po.estimate(states, { alpha: o.alpha, ridge: o.ridge, activation: o.activation });
  await saveResult(o.out, 'partial-observation', { A: e.A, eigenvalues: e.eigenvalues, line_attractor_score: e.lineAttractorScore, time_constants: e.timeConstants }, {
    meta: { experiment: 'estimate', states: o.states, alpha: o.alpha, ridge: o.ridge, activation: o.activation },
  });
  const d = e.A.shape[0];
  const leading = [e.eigenvalues.data[0], e.eigenvalues.data[1]];
  if (o.json) process.stdout.write(JSON.stringify({ type: 'partial-observation-estimate', units: d, lineAttractorScore: e.lineAttractorScore, leadingEigenvalue: leading, out: o.out }) + '\n');
  else process.stderr.write(`A [${d}, ${d}]: leading eigenvalue ${leading[0].toFixed(4)}${leading[1] ? ` ${leading[1] >= 0 ? '+' : '-'} ${Math.abs(leading[1]).toFixed(4)}i` : ''}, line-attractor score ${e.lineAttractorScore.toFixed(3)}; saved ${o.out}\n`);
}

/** A teacher given by file in a JSON config: { matrix: "B.npy" } or { model: "net.npz" } (paths relative to the config). */
async function teacherFromFiles(spec: Record<string, unknown>, base: string): Promise<po.TeacherSpec> {
  if (typeof spec.matrix === 'string') return loadNpy(resolve(base, spec.matrix), { dtype: 'float64' });
  if (typeof spec.model === 'string') return loadModel(resolve(base, spec.model), { dtype: 'float64' });
  return spec as unknown as po.TeacherSpec;
}

async function runConfig(path: string, o: RunCliOptions): Promise<void> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: not a readable JSON config (${(err as Error).message})`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`${path}: the config must be a JSON object`);
  const progress = (text: string) => (o.json ? undefined : process.stderr.write(`${text}\n`));
  const signal = interruptSignal();
  if ('sweep' in config) {
    const finished: po.SweepRow[] = [];
    const rows = await unlessAborted(
      po.sweep(config.sweep as po.SweepConfig, (row, done, total) => {
        finished.push(row);
        progress(`${done}/${total}: ${row.teacher} D=${row.D} d=${row.d} noise=${row.noise} seed=${row.seed}: student score ${row.studentScore.toFixed(3)}`);
      }, signal),
    );
    if (!rows) {
      // Ctrl-C: the finished rows are saved as a sweep of those rows
      if (finished.length > 0) await po.saveSweep(o.out, finished, config.sweep as object);
      reportInterrupted(finished.length > 0 ? [o.out] : [], `the ${finished.length} finished row(s)`);
      return;
    }
    await po.saveSweep(o.out, rows, config.sweep as object);
    if (o.table) await writeFile(o.table, po.sweepMarkdown(rows) + '\n');
    if (o.json) process.stdout.write(JSON.stringify({ type: 'partial-observation-sweep', rows, out: o.out }) + '\n');
    else process.stderr.write(po.sweepMarkdown(rows) + `\nsaved ${o.out}\n`);
    return;
  }
  const teacher = await teacherFromFiles((config.teacher ?? {}) as Record<string, unknown>, dirname(path));
  const r = await unlessAborted(po.runExperiment({ ...(config as unknown as po.ExperimentConfig), teacher }, (stage) => progress(stage), signal));
  if (!r) return reportInterrupted([]);
  await po.saveExperiment(o.out, r);
  const summary = {
    teacher: r.teacher.kind,
    D: r.teacher.weights.shape[0],
    d: r.units.length,
    teacherScore: r.teacher.lineAttractorScore,
    studentScore: r.student.lineAttractorScore,
    limitScore: r.limit?.lineAttractorScore,
    limitDistance: r.limit?.distance,
    studentLeading: [r.student.eigenvalues.data[0], r.student.eigenvalues.data[1]],
    bptt: r.students.map((s) => ({ rank: s.rank, score: s.lineAttractorScore, leading: [s.eigenvalues.data[0], s.eigenvalues.data[1]] })),
    limitCycle: r.limitCycle,
    out: o.out,
  };
  if (o.json) process.stdout.write(JSON.stringify({ type: 'partial-observation-run', ...summary }) + '\n');
  else process.stderr.write(`${JSON.stringify(summary, null, 1)}\n`);
}
