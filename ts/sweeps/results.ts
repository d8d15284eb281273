// The results of a sweep, one pair of files per job in <out>/jobs: `<id>.npz` (the command's result file, and for
// fits `<id>-rank<R>.npz`) and `<id>.json` (one JSON line: the job, its status, its message when it failed and the
// command's result line). Files are written under a temporary name and renamed, the JSON line last, so a job is
// finished exactly when its JSON line exists.
import { checkLoaded } from './plan.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedPlan, SweepJob } from './plan.js';

/** The JSON line a finished job leaves. */
export interface JobRecord {
  /** The job's id. */
  id: string;
  /** Its grid index. */
  index: number;
  /** The job kind. */
  kind: string;
  /** The grid point. */
  params: Record<string, unknown>;
  /** 'ok', or 'failed' with `message`. */
  status: 'ok' | 'failed';
  /** Why it failed (the command's error, or the signal that ended it). */
  message?: string;
  /** Wall time of the job in seconds (of a packed job: its ensemble's wall time shared out evenly). */
  seconds: number;
  /** The grid indices of the jobs trained with it as one ensemble (local backend, see the plan's `pack`). */
  ensemble?: number[];
  /** The command's result line (its --json 'result' object), when it succeeded. */
  result?: Record<string, unknown>;
  /** Result files, relative to the jobs directory. */
  files?: string[];
}

/** The state of one job: finished, failed, pending or running on SLURM, or not there at all. */
export type JobState = 'ok' | 'failed' | 'pending' | 'running' | 'missing';

/** The directory job files go to. */
export function jobsDir(loaded: LoadedPlan): string {
  checkLoaded('jobsDir', loaded);
  return join(loaded.out, 'jobs');
}

/** The record of a job, or undefined when it has not finished (a half-written record counts as missing). */
export function readRecord(loaded: LoadedPlan, job: SweepJob): JobRecord | undefined {
  checkLoaded('readRecord', loaded);
  const path = join(jobsDir(loaded), `${job.id}.json`);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobRecord;
  } catch {
    return undefined;
  }
}

/** Moves a job's result files from its scratch directory into place, then writes its JSON line (all by rename). */
export function commitJob(loaded: LoadedPlan, job: SweepJob, scratch: string, record: JobRecord): void {
  const dir = jobsDir(loaded);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  if (existsSync(scratch)) {
    for (const name of readdirSync(scratch).sort()) {
      if (!name.endsWith('.npz')) continue;
      const target = `${job.id}${name.slice('result'.length)}`;
      renameSync(join(scratch, name), join(dir, target));
      files.push(target);
    }
  }
  if (record.status === 'ok') record.files = files;
  const tmp = join(dir, `.${job.id}.json.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  renameSync(tmp, join(dir, `${job.id}.json`));
  rmSync(scratch, { recursive: true, force: true });
}
