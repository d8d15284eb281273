// The SLURM backend: one `sbatch --array` per run, listing the grid indices to run; each array task runs
// `lowrank sweep run PLAN --index $SLURM_ARRAY_TASK_ID`, which runs that one job and commits its files. The arrays
// submitted are recorded in <out>/slurm/arrays.json; their live tasks are read from `squeue` (finished tasks leave
// the queue and are then known by their result files, so no accounting database or `sacct` is needed).
import { checkLoaded } from './plan.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedPlan, SweepJob } from './plan.js';

/** One submitted array: SLURM's job id and the grid indices it runs. */
export interface SlurmArray {
  /** The array's job id. */
  jobId: string;
  /** Grid indices (array task ids). */
  indices: number[];
  /** When it was submitted (ISO time). */
  submitted: string;
}

function slurmDir(loaded: LoadedPlan): string {
  return join(loaded.out, 'slurm');
}

/** The arrays submitted for this plan so far. */
export function slurmArrays(loaded: LoadedPlan): SlurmArray[] {
  checkLoaded('slurmArrays', loaded);
  const path = join(slurmDir(loaded), 'arrays.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SlurmArray[]) : [];
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`sweep: '${command}' was not found; the slurm backend needs SLURM's client commands on the PATH`);
    throw new Error(`sweep: ${command} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** The `#SBATCH` lines of the plan's resources. */
export function sbatchLines(loaded: LoadedPlan): string[] {
  checkLoaded('sbatchLines', loaded);
  const s = loaded.plan.slurm;
  const lines = [`--job-name=lowrank-${loaded.plan.kind.replace(' ', '-')}`, `--cpus-per-task=${s.cpus ?? loaded.plan.threads}`, `--output=${join(slurmDir(loaded), '%A_%a.log')}`];
  if (s.partition) lines.push(`--partition=${s.partition}`);
  if (s.time) lines.push(`--time=${s.time}`);
  if (s.mem) lines.push(`--mem=${s.mem}`);
  if (s.gpus) lines.push(`--gres=gpu:${s.gpus}`);
  return [...lines, ...(s.extra ?? [])];
}

/** Submits one array running `jobs` (each task: `lowrank sweep run PLAN --index <i>`); returns it. */
export function submitSlurm(loaded: LoadedPlan, jobs: readonly SweepJob[], cli: string): SlurmArray {
  checkLoaded('submitSlurm', loaded);
  if (!loaded.path) throw new RangeError('sweep: the slurm backend needs a plan file (array tasks read it)');
  const dir = slurmDir(loaded);
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'task.sh');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    script,
    ['#!/bin/bash', ...sbatchLines(loaded).map((l) => `#SBATCH ${l}`), `cd ${quote(loaded.dir)}`, `exec ${quote(process.execPath)} ${quote(cli)} sweep run ${quote(loaded.path)} --index "$SLURM_ARRAY_TASK_ID"`, ''].join('\n'),
    { mode: 0o755 },
  );
  const indices = jobs.map((j) => j.index);
  const limit = loaded.plan.slurm.maxRunning ? `%${loaded.plan.slurm.maxRunning}` : '';
  const out = run('sbatch', ['--parsable', `--array=${indices.join(',')}${limit}`, script]);
  const jobId = out.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new Error(`sweep: sbatch printed ${JSON.stringify(out.trim())}, not a job id`);
  const array = { jobId, indices, submitted: new Date().toISOString() };
  writeFileSync(join(dir, 'arrays.json'), JSON.stringify([...slurmArrays(loaded), array], null, 1));
  return array;
}

/** Grid indices of this plan's array tasks still in SLURM's queue, and whether each is pending or running. */
export function slurmStates(loaded: LoadedPlan): Map<number, 'pending' | 'running'> {
  checkLoaded('slurmStates', loaded);
  const states = new Map<number, 'pending' | 'running'>();
  const arrays = slurmArrays(loaded);
  if (arrays.length === 0) return states;
  let text: string;
  try {
    text = execFileSync('squeue', ['-h', '-r', '-j', arrays.map((a) => a.jobId).join(','), '-o', '%i %T'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // squeue fails when none of the ids is known any more (all finished and purged): nothing is queued.
    if ((err as { code?: string }).code === 'ENOENT') throw new Error("sweep: 'squeue' was not found; this plan was submitted to SLURM");
    return states;
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+)_(\d+)\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    if (/^(PENDING|CONFIGURING|REQUEUED|RESIZING|SUSPENDED)$/.test(m[3])) states.set(Number(m[2]), 'pending');
    else if (/^(RUNNING|COMPLETING|STAGE_OUT|SIGNALING)$/.test(m[3])) states.set(Number(m[2]), 'running');
  }
  return states;
}

/** Cancels this plan's array tasks still queued or running (`scancel`); returns how many there were. */
export function cancelSlurm(loaded: LoadedPlan): number {
  checkLoaded('cancelSlurm', loaded);
  const states = slurmStates(loaded);
  if (states.size > 0) run('scancel', slurmArrays(loaded).map((a) => a.jobId));
  return states.size;
}

/** Options of {@link waitSlurm}. */
export interface WaitSlurmOptions {
  /** Aborting cancels the plan's array tasks (scancel) and returns. */
  signal?: AbortSignal;
  /** Seconds between squeue polls (default 2). */
  poll?: number;
  /** Called after each poll with the number of tasks still queued or running. */
  onPoll?: (left: number) => void;
}

/** Waits until none of the plan's array tasks is queued or running. */
export async function waitSlurm(loaded: LoadedPlan, options: WaitSlurmOptions = {}): Promise<void> {
  checkLoaded('waitSlurm', loaded);
  for (;;) {
    if (options.signal?.aborted) {
      cancelSlurm(loaded);
      return;
    }
    const left = slurmStates(loaded).size;
    options.onPoll?.(left);
    if (left === 0) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(done, (options.poll ?? 2) * 1000);
      options.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        done();
      }, { once: true });
    });
  }
}
