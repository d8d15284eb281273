// Packing sweep jobs into ensembles (local backend): `train` jobs that differ only in options that leave the network's
// shape alone (seed, learning rate, epochs, ...) run as one trainEnsemble in one child process,
// `lowrank sweep pack PLAN --indices i,j,k --scratch DIR`, instead of one child each. Each job's result file and
// result line are those of the job run alone (trainEnsemble gives each member exactly what train() gives it), and each
// job is committed as usual. A pack that fails as a whole (an error, e.g. members that turn out not to fit one
// ensemble) falls back to running its unfinished jobs one by one; a pack killed by a signal fails its unfinished jobs
// ("killed by SIGKILL"), as a killed job does, and the next run reruns them.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { buildModel, registerTrain, saveTrained, taskOf, trainOptionsOf, trainSummary, type TrainCliOptions } from '../cli/train.js';
import { trainEnsemble } from '../training/ensemble.js';
import { jobArguments, type LoadedPlan, type SweepJob } from './plan.js';
import { commitJob, type JobRecord } from './results.js';

/** The options of a `train` job that may differ between the members of one ensemble. */
const MEMBER_OPTIONS = new Set(['seed', 'lr', 'epochs', 'batchSize', 'clip', 'trials', 'earlyStop', 'lrSchedule', 'noise', 'alpha', 'rho']);
/** The most jobs one pack holds. */
const MAX_PACK = 64;

/**
 * The units the local backend runs: packs of compatible `train` jobs (several jobs) and single jobs. Jobs are
 * compatible when their options differ only in MEMBER_OPTIONS and they write no checkpoints; each group is cut into
 * as many packs as there are workers (at most MAX_PACK jobs each), so that every worker still has work.
 */
export function packJobs(loaded: LoadedPlan, jobs: readonly SweepJob[]): SweepJob[][] {
  const { kind, workers, pack } = loaded.plan;
  if (kind !== 'train' || !pack || !loaded.path) return jobs.map((j) => [j]);
  const groups = new Map<string, SweepJob[]>();
  const singles: SweepJob[][] = [];
  for (const job of jobs) {
    if (job.options.checkpoint !== undefined) {
      singles.push([job]);
      continue;
    }
    const key = JSON.stringify(Object.entries(job.options).filter(([k]) => !MEMBER_OPTIONS.has(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const units: SweepJob[][] = [];
  for (const group of groups.values()) {
    const size = Math.min(MAX_PACK, Math.ceil(group.length / workers));
    for (let i = 0; i < group.length; i += size) units.push(group.slice(i, i + size));
  }
  return [...units, ...singles];
}

/**
 * Runs a pack in a child process and commits a record for each of its jobs that the child finished (or, when a signal
 * killed it, a failed record for the others); returns those records and the jobs left unfinished by a child that
 * failed with an error, which the caller runs alone.
 */
export async function runPack(loaded: LoadedPlan, pack: readonly SweepJob[], cli: string, signal?: AbortSignal): Promise<{ records: JobRecord[]; left: SweepJob[] }> {
  const scratch = join(loaded.out, 'scratch', `pack-${pack[0].id}.${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const args = [cli, 'sweep', 'pack', loaded.path, '--indices', pack.map((j) => j.index).join(','), '--scratch', scratch];
  const started = performance.now();
  const { lines, signal: killedBy } = await new Promise<{ lines: string; signal: NodeJS.Signals | null }>((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: loaded.dir, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const kill = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', kill, { once: true });
    child.on('error', fail);
    child.on('close', (_code, s) => {
      signal?.removeEventListener('abort', kill);
      done({ lines: out, signal: s });
    });
  });
  const records: JobRecord[] = [];
  if (signal?.aborted) {
    rmSync(scratch, { recursive: true, force: true });
    return { records, left: [] };
  }
  const seconds = (performance.now() - started) / 1000 / pack.length;
  const finished = new Map<number, Record<string, unknown>>();
  for (const line of lines.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown> & { job: number };
    finished.set(parsed.job, parsed);
  }
  for (const job of pack) {
    // a pack killed by a signal (as a job would be): its unfinished jobs failed, as such a job does
    const line = finished.get(job.index) ?? (killedBy ? { job: job.index, type: 'failed', message: `killed by ${killedBy}` } : undefined);
    if (!line) continue;
    const { job: _job, type, message, ...result } = line;
    const base = { id: job.id, index: job.index, kind: loaded.plan.kind, params: job.params, seconds, ensemble: pack.map((j) => j.index) };
    const record: JobRecord = type === 'result' ? { ...base, status: 'ok', result } : { ...base, status: 'failed', message: String(message) };
    commitJob(loaded, job, join(scratch, job.id), record);
    records.push(record);
  }
  rmSync(scratch, { recursive: true, force: true });
  return { records, left: killedBy ? [] : pack.filter((j) => !finished.has(j.index)) };
}

/** The `lowrank train` options of a job, parsed by the command's own parser. */
async function trainOptionsOfJob(job: SweepJob, threads: number): Promise<TrainCliOptions> {
  const program = new Command('lowrank').exitOverride();
  registerTrain(program);
  let parsed: TrainCliOptions | undefined;
  program.commands[0].action((o: TrainCliOptions) => {
    parsed = o;
  });
  await program.parseAsync([...jobArguments('train', job.options), '--threads', String(threads)], { from: 'user' });
  return parsed!;
}

/**
 * What `lowrank sweep pack` runs in the child: the pack's jobs as one ensemble; each job's model file goes to
 * `scratch/<job id>/result.npz` and its result line (with `job`: its index) to stdout, or a failed line for a member
 * that diverged.
 */
export async function trainPack(loaded: LoadedPlan, jobs: readonly SweepJob[], scratch: string, signal?: AbortSignal): Promise<void> {
  const options = await Promise.all(jobs.map((job) => trainOptionsOfJob(job, loaded.plan.threads)));
  const taskList = options.map(taskOf);
  const models = options.map((o, i) => buildModel(o, taskList[i]));
  const results = await trainEnsemble(models, taskList, { members: options.map(trainOptionsOf), threads: loaded.plan.threads, signal });
  for (const [i, job] of jobs.entries()) {
    const r = results[i];
    if (r.error) {
      process.stdout.write(`${JSON.stringify({ type: 'failed', job: job.index, message: r.error.message })}\n`);
      continue;
    }
    mkdirSync(join(scratch, job.id), { recursive: true });
    await saveTrained(join(scratch, job.id, 'result.npz'), models[i], taskList[i], options[i].preset, r);
    process.stdout.write(`${JSON.stringify({ type: 'result', job: job.index, ...trainSummary(taskList[i], r) })}\n`);
  }
  for (const m of models) m.dispose();
}
