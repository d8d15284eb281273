// `lowrank sweep`: grids of jobs from a plan file, run on the local cores or as a SLURM array, resumable; `sweep run`
// (one job: what each array task runs), `sweep status`, `sweep collect` and `sweep cancel`. Parses arguments and
// calls ts/sweeps.
import { type Command, Option } from 'commander';
import { int, intList, num } from './args.js';
import {
  cancelSlurm,
  collectTable,
  jobStates,
  jobsToRun,
  loadPlan,
  readRecord,
  runJob,
  runLocal,
  submitSlurm,
  waitSlurm,
  type JobState,
  type LoadedPlan,
} from '../sweeps/index.js';
import { writeTable } from '../sweeps/collect.js';
import { trainPack } from '../sweeps/pack.js';
import { checkOutputDirectory } from '../io/files.js';

interface SweepCliOptions {
  backend: 'local' | 'slurm';
  wait?: boolean;
  poll: number;
  dryRun?: boolean;
  json?: boolean;
}

export function registerSweep(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('run a grid of jobs from a plan (PLAN.json) on the local cores or as a SLURM array; reruns skip finished jobs')
    .argument('<plan>', 'the plan file (see docs/sweeps.md)')
    .addOption(new Option('--backend <b>', 'where jobs run').choices(['local', 'slurm']).default('local'))
    .option('--wait', 'slurm: wait until the array has finished (Ctrl-C then cancels it)')
    .option('--poll <seconds>', 'slurm --wait: seconds between squeue polls', num('--poll'), 2)
    .option('--dry-run', 'check the plan and list the jobs that would run, run nothing')
    .option('--json', 'print one JSON line per finished job instead of progress')
    .action(runSweep);
  sweep
    .command('run')
    .description('run one job of a plan (what each SLURM array task runs)')
    .argument('<plan>', 'the plan file')
    .requiredOption('--index <i>', 'the grid index of the job', int('--index', 0))
    .action(runOne);
  sweep
    .command('pack', { hidden: true })
    .description('run some train jobs of a plan as one ensemble (what the local backend runs for a pack of jobs)')
    .argument('<plan>', 'the plan file')
    .requiredOption('--indices <list>', 'the grid indices of the jobs', intList('--indices', 0))
    .requiredOption('--scratch <dir>', 'where each job writes <job id>/result.npz')
    .action(runPackCommand);
  sweep
    .command('status')
    .description("the state of every job of a plan: ok, failed (with its message), pending or running on SLURM, missing")
    .argument('<plan>', 'the plan file')
    .option('--json', 'print one JSON line per job')
    .action((plan: string, _o: unknown, cmd: Command) => showStatus(plan, cmd.optsWithGlobals<{ json?: boolean }>()));
  sweep
    .command('collect')
    .description('collect the jobs of a plan into one table (one row per job)')
    .argument('<plan>', 'the plan file')
    .requiredOption('--out <table>', 'table.csv or table.npz')
    .action(async (plan: string, o: { out: string }) => {
      const loaded = loadPlan(plan);
      const table = collectTable(loaded);
      await writeTable(table, o.out);
      process.stderr.write(`sweep: ${table.rows.length} jobs, ${table.columns.length} columns -> ${o.out}\n`);
    });
  sweep
    .command('cancel')
    .description("cancel a plan's SLURM array tasks still queued or running (scancel)")
    .argument('<plan>', 'the plan file')
    .action((plan: string) => {
      const n = cancelSlurm(loadPlan(plan));
      process.stderr.write(`sweep: cancelled ${n} array task(s)\n`);
    });
}

function counts(states: readonly JobState[]): string {
  const c: Record<string, number> = {};
  for (const s of states) c[s] = (c[s] ?? 0) + 1;
  return (['ok', 'failed', 'running', 'pending', 'missing'] as const).filter((s) => c[s]).map((s) => `${c[s]} ${s}`).join(', ');
}

/** An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM. */
function interrupt(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const stop = (): void => {
    process.stderr.write('\nsweep: cancelling...\n');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { signal: controller.signal, release: () => (process.off('SIGINT', stop), process.off('SIGTERM', stop)) };
}

async function runSweep(plan: string, o: SweepCliOptions): Promise<void> {
  const loaded = loadPlan(plan);
  const states = jobStates(loaded);
  const todo = jobsToRun(loaded, states);
  const grid = Object.entries(loaded.plan.grid).map(([k, v]) => `${k}: ${v.length}`).join(' x ');
  process.stderr.write(`sweep: ${loaded.jobs.length} ${loaded.plan.kind} jobs (${grid}); now ${counts(states)}; ${todo.length} to run on ${o.backend} -> ${loaded.out}\n`);
  if (o.dryRun) {
    for (const job of todo) process.stdout.write(`${JSON.stringify({ index: job.index, id: job.id, params: job.params })}\n`);
    return;
  }
  if (todo.length === 0) return;
  await checkOutputDirectory(loaded.out, "the plan's 'out'");
  const { signal, release } = interrupt();
  try {
    if (o.backend === 'local') await sweepLocal(loaded, todo, signal, Boolean(o.json));
    else {
      const array = submitSlurm(loaded, todo, process.argv[1]);
      process.stderr.write(`sweep: submitted array ${array.jobId} (${array.indices.length} tasks)\n`);
      if (!o.wait) return;
      await waitSlurm(loaded, { signal, poll: o.poll });
    }
  } finally {
    release();
  }
  const after = jobStates(loaded);
  process.stderr.write(`sweep: ${signal.aborted ? 'cancelled; ' : ''}${counts(after)}\n`);
  for (const job of loaded.jobs) {
    const record = after[job.index] === 'failed' ? readRecord(loaded, job) : undefined;
    if (record) process.stderr.write(`  failed ${job.id} ${JSON.stringify(job.params)}: ${record.message}\n`);
  }
  if (after.includes('failed')) process.exitCode = 1;
  if (signal.aborted) {
    process.stderr.write(`interrupted: the finished jobs are kept in ${loaded.out} (rerun the same command to run the rest)\n`);
    process.exitCode = 130;
  }
}

async function sweepLocal(loaded: LoadedPlan, todo: LoadedPlan['jobs'], signal: AbortSignal, json: boolean): Promise<void> {
  const started = performance.now();
  await runLocal(loaded, todo, {
    signal,
    onProgress: ({ record, done, failed, total, running }) => {
      if (json) {
        process.stdout.write(`${JSON.stringify(record)}\n`);
        return;
      }
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / done) * (total - done);
      const what = record.status === 'ok' ? 'ok' : `FAILED: ${record.message}`;
      process.stderr.write(`[${done}/${total}] ${record.id} ${JSON.stringify(record.params)} ${what} (${record.seconds.toFixed(1)} s); ${failed} failed, ${running} running, ${eta.toFixed(0)} s left\n`);
    },
  });
}

async function runOne(plan: string, o: { index: number }): Promise<void> {
  const loaded = loadPlan(plan);
  const job = loaded.jobs[o.index];
  if (!job) throw new RangeError(`sweep run: option '--index' must be an integer in [0, ${loaded.jobs.length - 1}]; got ${o.index}`);
  if (readRecord(loaded, job)?.status === 'ok') {
    process.stderr.write(`sweep: job ${o.index} (${job.id}) has already finished\n`);
    return;
  }
  const { signal, release } = interrupt();
  try {
    const record = await runJob(loaded, job, { signal });
    if (!record) process.exitCode = 1;
    else {
      process.stdout.write(`${JSON.stringify(record)}\n`);
      if (record.status === 'failed') process.exitCode = 1;
    }
  } finally {
    release();
  }
}

async function runPackCommand(plan: string, o: { indices: number[]; scratch: string }): Promise<void> {
  const loaded = loadPlan(plan);
  const jobs = o.indices.map((i) => loaded.jobs[i]);
  if (jobs.some((j) => !j)) throw new RangeError(`sweep pack: option '--indices' must be grid indices in [0, ${loaded.jobs.length - 1}]; got ${o.indices.join(',')}`);
  const { signal, release } = interrupt();
  try {
    await trainPack(loaded, jobs, o.scratch, signal);
  } finally {
    release();
  }
}

function showStatus(plan: string, o: { json?: boolean }): void {
  const loaded = loadPlan(plan);
  const states = jobStates(loaded);
  if (!o.json) process.stderr.write(`sweep: ${loaded.jobs.length} jobs: ${counts(states)}\n`);
  for (const job of loaded.jobs) {
    const record = readRecord(loaded, job);
    const line = { index: job.index, id: job.id, state: states[job.index], params: job.params, message: record?.message, seconds: record?.seconds };
    if (o.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else process.stdout.write(`${job.index}\t${job.id}\t${states[job.index]}\t${JSON.stringify(job.params)}${record?.message ? `\t${record.message}` : ''}\n`);
  }
}
