// Running sweep jobs: one job is the `lowrank` command of its kind run as a child process (so a crash, a native
// abort or a kill takes down that job only), writing into a scratch directory that is committed by rename when it
// ends. The local backend keeps `workers` such children running; the SLURM backend submits one array whose tasks
// each run `lowrank sweep run PLAN --index $SLURM_ARRAY_TASK_ID` (see ./slurm.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { is, checkValue, show } from '../core/validate.js';
import { checkLoaded, jobArguments, takesThreads, type LoadedPlan, type SweepJob } from './plan.js';
import { packJobs, runPack } from './pack.js';
import { commitJob, readRecord, type JobRecord, type JobState } from './results.js';
import { slurmStates } from './slurm.js';

/** Options of {@link runJob} and {@link runLocal}. */
export interface RunJobOptions {
  /** The `lowrank` CLI script the jobs run (default: the running script, process.argv[1]). */
  cli?: string;
  /** Aborting kills running jobs; they leave no record (they count as missing and run again next time). */
  signal?: AbortSignal;
}

/** The CLI script jobs run. */
export function cliScript(cli?: string): string {
  if (cli !== undefined) checkValue('cliScript', 'cli', cli, is.string(), 'argument');
  const script = cli ?? process.argv[1];
  if (!script) throw new RangeError('sweep: cannot tell which lowrank CLI script to run; pass the cli option');
  return script;
}

/**
 * Runs one job to its end and commits its record; returns the record, or undefined when it was cancelled (no
 * record is left). A job that fails (non-zero exit or a signal) gets a 'failed' record with the error message.
 */
export async function runJob(loaded: LoadedPlan, job: SweepJob, options: RunJobOptions = {}): Promise<JobRecord | undefined> {
  checkLoaded('runJob', loaded);
  const scratch = join(loaded.out, 'scratch', `${job.id}.${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const threads = takesThreads(loaded.plan.kind) ? ['--threads', String(loaded.plan.threads)] : [];
  const args = [cliScript(options.cli), ...jobArguments(loaded.plan.kind, job.options), ...threads, '--json', '--out', join(scratch, 'result.npz')];
  const started = performance.now();
  const { code, signal, stdout, stderr } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: loaded.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-1_000_000);
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-20_000);
    });
    const kill = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', fail);
    child.on('close', (c, s) => {
      options.signal?.removeEventListener('abort', kill);
      done({ code: c, signal: s, stdout: out, stderr: err });
    });
  });
  if (options.signal?.aborted) {
    rmSync(scratch, { recursive: true, force: true });
    return undefined;
  }
  const seconds = (performance.now() - started) / 1000;
  const base = { id: job.id, index: job.index, kind: loaded.plan.kind, params: job.params, seconds };
  let record: JobRecord;
  const result = resultLine(stdout);
  if (code === 0 && result) record = { ...base, status: 'ok', result };
  else {
    const lines = stderr.trim().split('\n').filter((l) => l.trim() && !l.includes('\r'));
    const why = signal ? `killed by ${signal}` : code === 0 ? 'the command printed no result line' : `exit code ${code}`;
    const error = [...lines].reverse().find((l) => l.startsWith('lowrank: ')) ?? lines.at(-1);
    record = { ...base, status: 'failed', message: error ? `${error.replace(/^lowrank: /, '')} (${why})` : why };
  }
  commitJob(loaded, job, scratch, record);
  return record;
}

/** The command's result: its last JSON line of type 'result', else its last JSON object line (a summary). */
function resultLine(stdout: string): Record<string, unknown> | undefined {
  let last: Record<string, unknown> | undefined;
  for (const line of stdout.trim().split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
      if (typeof parsed.out === 'string') delete parsed.out; // the scratch path; the files are listed in the record
      if (parsed.type === 'result') {
        delete parsed.type;
        return parsed;
      }
      last ??= parsed;
    } catch {
      // not a JSON line
    }
  }
  return last;
}

/** Progress of a sweep on the local backend: after each job. */
export interface SweepProgress {
  /** The job that just ended. */
  record: JobRecord;
  /** Jobs ended in this run so far, and how many of them failed. */
  done: number;
  failed: number;
  /** Jobs this run runs. */
  total: number;
  /** Jobs running now. */
  running: number;
}

/** Options of {@link runLocal}. */
export interface RunLocalOptions extends RunJobOptions {
  /** Called after each job. */
  onProgress?: (p: SweepProgress) => void;
}

/**
 * Runs `jobs` on the local cores, `plan.workers` at a time; returns their records (cancelled jobs have none).
 * Compatible `train` jobs run packed into ensembles (see ./pack.ts), with the same results.
 */
export async function runLocal(loaded: LoadedPlan, jobs: readonly SweepJob[], options: RunLocalOptions = {}): Promise<JobRecord[]> {
  checkLoaded('runLocal', loaded);
  if (!Array.isArray(jobs)) throw new TypeError(`runLocal: argument 'jobs' must be an array of jobs of the plan; got ${show(jobs)}`);
  const records: JobRecord[] = [];
  const units = packJobs(loaded, jobs);
  let next = 0;
  let running = 0;
  let failed = 0;
  const ended = (record: JobRecord | undefined): void => {
    if (!record) return;
    records.push(record);
    if (record.status === 'failed') failed++;
    options.onProgress?.({ record, done: records.length, failed, total: jobs.length, running });
  };
  const worker = async (): Promise<void> => {
    while (next < units.length && !options.signal?.aborted) {
      const unit = units[next++];
      running += unit.length;
      const packed = unit.length > 1 ? await runPack(loaded, unit, cliScript(options.cli), options.signal) : { records: [], left: unit };
      for (const record of packed.records) {
        running--;
        ended(record);
      }
      for (const job of packed.left) {
        const record = options.signal?.aborted ? undefined : await runJob(loaded, job, options);
        running--;
        ended(record);
      }
      running -= unit.length - packed.records.length - packed.left.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(loaded.plan.workers, units.length) }, worker));
  return records;
}

/** The state of every job: from its record, else from SLURM's queue (pending/running), else missing. */
export function jobStates(loaded: LoadedPlan): JobState[] {
  checkLoaded('jobStates', loaded);
  const queued = slurmStates(loaded);
  return loaded.jobs.map((job) => {
    const record = readRecord(loaded, job);
    if (record) return record.status;
    return queued.get(job.index) ?? 'missing';
  });
}

/** The jobs a run submits: failed and missing ones (finished and queued jobs are skipped). */
export function jobsToRun(loaded: LoadedPlan, states: readonly JobState[] = jobStates(loaded)): SweepJob[] {
  return loaded.jobs.filter((_, i) => states[i] === 'failed' || states[i] === 'missing');
}
